"""SIGKILL of the whole CLI process mid-run, then `--resume`: no finished work is repeated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pypdfium2

from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond

from .conftest import assert_each_converted_once
from .test_cli import _console_script, _env


def _read_events_until(process: subprocess.Popen, wanted, deadline_s: float) -> list[dict]:
    events: list[dict] = []
    deadline = time.monotonic() + deadline_s
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        events.append(json.loads(line))
        if wanted(events):
            return events
    raise AssertionError(f"the run never reached the kill point; saw {events[-5:]}")


def test_sigkill_then_resume_repeats_no_work(open_web, retrieve_service, make_paper, tmp_path):
    papers = []
    for seed in range(6):
        paper = make_paper(seed)
        open_web.host.add(f"/{seed}.pdf", Respond(body=paper.pdf, delay_s=0.3 * seed))
        papers.append(
            {"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url(f"/{seed}.pdf")]}
        )
    for seed in (6, 7):  # only retrieve-academic has these; its jobs outlive the first process
        paper = make_paper(seed)
        retrieve_service.host.hold(paper.doi, pdf=paper.pdf, ready_after_s=4.0)
        papers.append({"doi": paper.doi, "title": paper.title})
    papers_file = tmp_path / "papers.json"
    papers_file.write_text(json.dumps(papers))
    out, workspace = tmp_path / "out", tmp_path / "ws"
    command = [
        _console_script(),
        "run",
        str(papers_file),
        "--out",
        str(out),
        "--workspace",
        str(workspace),
        "--retrieve-url",
        retrieve_service.base_url,
        "--json",
    ]
    env = _env(PAPER_PROCESSOR_CALIBRATED_SECONDS_PER_PAGE="0.6")

    first = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:

        def mid_run(events: list[dict]) -> bool:
            stages = [e.get("stage") for e in events]
            return stages.count("converted") >= 2 and stages.count("retrieve_submitted") == 2

        _read_events_until(first, mid_run, deadline_s=90)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the CLI and its converter workers, at once
        first.wait(10)
    store = ArtifactStore(workspace)
    try:
        converted_before = store.count("conversion")
    finally:
        store.close()
    assert converted_before >= 2
    submissions_before = len(retrieve_service.host.submissions)
    assert submissions_before == 2

    second = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout.strip().splitlines()[-1])
    assert summary["event"] == "summary" and summary["converted"] == 8, summary

    assert_each_converted_once(workspace, papers)
    # The retrieve-academic jobs were re-attached, not submitted again.
    assert len(retrieve_service.host.submissions) == submissions_before
    # No partial artifact is visible: store objects are whole, the output holds finished files.
    for pdf in (workspace / "pdf").rglob("*.pdf"):
        assert len(pypdfium2.PdfDocument(str(pdf))) >= 1
    assert all(md.stat().st_size > 0 for md in (workspace / "md").rglob("*.md"))
    assert sorted(p.suffix for p in out.iterdir()) == [".jsonl"] + [".md"] * 8
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [m["status"] for m in manifest] == ["converted"] * 8
