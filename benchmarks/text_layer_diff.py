"""Whether the trimmed text-layer converter writes marker's markdown: every corpus PDF, both ways.

Converts each PDF of `../shared/data/papers` (or the first `--papers`) with the worker's
"before" and "after" setups of `profile_worker.py` (quality check and repairs on, as in a run),
compares the markdown byte for byte and prints one JSON line: papers, pages, the papers whose
markdown differs (with the first differing line), and whether headings and fallback pages agree.

    python -m benchmarks.text_layer_diff [--papers N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from benchmarks.profile_worker import CORPUS, build
from workflows.research.academic_lit_review.paper_processor.conversion.worker import (
    Job,
    convert_document,
)


def first_difference(before: str, after: str) -> dict:
    for number, (old, new) in enumerate(zip(before.splitlines(), after.splitlines(), strict=False)):
        if old != new:
            return {"line": number + 1, "before": old[:200], "after": new[:200]}
    return {"line": min(len(before.splitlines()), len(after.splitlines())) + 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=0, help="the first N only (0: all)")
    parser.add_argument("--keep", type=Path, help="write both markdowns under this folder")
    args = parser.parse_args()
    pdfs = sorted(CORPUS.resolve().rglob("*.pdf"))
    pdfs = pdfs[: args.papers] if args.papers else pdfs
    built = {setup: build(setup) for setup in ("before", "after")}
    differ, structure_differs, pages = [], [], 0
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        for pdf in pdfs:
            name = f"{pdf.parent.name}__{pdf.stem}"
            markdown, structure = {}, {}
            for setup, (converter, checker) in built.items():
                out = root / setup / f"{name}.md"
                out.parent.mkdir(parents=True, exist_ok=True)
                done = convert_document(converter, checker, Job(str(pdf), str(out)))
                markdown[setup] = out.read_bytes()
                structure[setup] = (done.headings, done.fallback_pages)
            pages += done.pages
            if markdown["before"] != markdown["after"]:
                before, after = (markdown[s].decode("utf-8") for s in ("before", "after"))
                differ.append({"paper": name, **first_difference(before, after)})
            if structure["before"] != structure["after"]:
                structure_differs.append(name)
    for converter, _checker in built.values():
        converter.close()
    print(
        json.dumps(
            {
                "papers": len(pdfs),
                "pages": pages,
                "identical": len(pdfs) - len(differ),
                "differ": differ,
                "structure_differs": structure_differs,
            }
        )
    )


if __name__ == "__main__":
    main()
