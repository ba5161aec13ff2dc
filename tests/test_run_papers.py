"""The library entry point `run_papers`: papers in, OUT/<paper>.md and OUT/manifest.jsonl out,
and every path a manifest names exists once it returns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from workflows.research.academic_lit_review.paper_processor.run import RunListener, run_papers
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond

# Under the rules of `langgraph dev`: a blocking call on the event loop fails the test.
pytestmark = pytest.mark.usefixtures("langgraph_dev_rules")


class Recorder(RunListener):
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.started_count = 0

    def started(self) -> None:
        self.started_count += 1

    def event(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def paths_named_in(record: dict[str, Any]) -> list[str]:
    """Every value of a field that names a file (`..._path`, `..._file`), at any depth."""
    found = []
    for name, value in record.items():
        if isinstance(value, dict):
            found += paths_named_in(value)
        elif name.endswith(("_path", "_file")) and isinstance(value, str):
            found.append(value)
    return found


async def test_run_papers_writes_outputs_whose_every_path_exists(
    open_web, make_paper, context, tmp_path: Path
) -> None:
    good = make_paper(1)
    open_web.host.add("/good.pdf", Respond(body=good.pdf))
    papers = [
        {"doi": good.doi, "title": good.title, "oa_urls": [open_web.url("/good.pdf")]},
        {"doi": "10.5555/missing", "oa_urls": [open_web.url("/missing.pdf")]},  # 404
    ]
    out = tmp_path / "out"
    ctx = context()

    for attempt in ("first", "again"):  # the second run answers the paper from the store
        listener = Recorder()
        result = await run_papers(papers, out, ctx, listener=listener)
        assert listener.started_count == 1
        assert [o["status"] for o in result.outcomes] == ["converted", "failed"]
        assert result.summary["converted"] == 1 and result.summary["failed"] == 1
        assert result.manifest == out / "manifest.jsonl"
        manifest = await anyio.Path(result.manifest).read_text(encoding="utf-8")
        records = [json.loads(line) for line in manifest.splitlines()]
        assert [r["index"] for r in records] == [0, 1]
        assert all("markdown" not in r for r in records)
        assert bool(records[0].get("cached")) is (attempt == "again")
        named = [p for r in records for p in paths_named_in(r)]
        assert len(named) == 2  # the converted paper's markdown_path and markdown_file
        for path in named:
            assert await anyio.Path(out / path).is_file(), (attempt, path)
        written = await anyio.Path(out / records[0]["markdown_file"]).read_text(encoding="utf-8")
        assert written == result.outcomes[0]["markdown"]
        stages = {e["stage"] for e in listener.events if e["index"] == 0}
        assert ("cached" in stages) is (attempt == "again"), stages
