"""A run's output folder: `<paper>.md` for each converted paper and `manifest.jsonl`.

Every file is written whole to a temporary name and renamed, so a reader never sees half of
one. Each manifest line is the paper's outcome without its markdown text, plus `markdown_file`
(the name of its `.md` beside the manifest, or null).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .store import safe_stem

MANIFEST_NAME = "manifest.jsonl"


def write_outputs(out_dir: Path, outcomes: list[dict[str, Any]]) -> Path:
    """Write OUT/<stem>.md for each converted paper and OUT/manifest.jsonl; return the manifest.

    Blocking file work: async callers run it in a worker thread.
    """
    lines = []
    for outcome in outcomes:
        markdown_file = None
        if outcome["status"] == "converted" and outcome.get("key"):
            markdown = outcome.get("markdown")
            if markdown is None and outcome.get("markdown_path"):
                markdown = Path(outcome["markdown_path"]).read_text(encoding="utf-8")
            markdown_file = f"{safe_stem(outcome['key'])}.md"
            write_atomically(out_dir / markdown_file, markdown or "")
        record = {k: v for k, v in outcome.items() if k != "markdown"}
        record["markdown_file"] = markdown_file
        lines.append(json.dumps(record, ensure_ascii=False, default=str))
    manifest = out_dir / MANIFEST_NAME
    write_atomically(manifest, "".join(f"{line}\n" for line in lines))
    return manifest


def write_atomically(path: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
