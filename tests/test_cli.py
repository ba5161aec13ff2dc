"""The `paper-processor` console script, run as a user would, against loopback fakes.

Each test starts the fakes (real HTTP servers on 127.0.0.1) in this process and runs the
installed console script in a subprocess. The calibrated converter stands in for marker, except
in the one test marked `marker`.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from workflows.research.academic_lit_review.paper_processor.store import safe_stem
from workflows.research.academic_lit_review.paper_processor.testing.degraded_pdfs import (
    write_image_of_text_pdf,
    write_text_then_photo_pdf,
    write_unmapped_font_pdf,
)
from workflows.research.academic_lit_review.paper_processor.testing.loopback import serve_loopback
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (
    OpenWebHost,
    Respond,
    html_page,
)
from workflows.research.academic_lit_review.paper_processor.testing.pdfs import (
    paper_text,
    write_paper_pdf,
)
from workflows.research.academic_lit_review.paper_processor.testing.retrieve_service import (
    RetrieveService,
)

SUMMARY_LINE = re.compile(r"^(\d+) converted, (\d+) failed$")
RUN_TIMEOUT_S = 120


def _console_script() -> str:
    beside_python = Path(sys.executable).with_name("paper-processor")
    found = str(beside_python) if beside_python.exists() else shutil.which("paper-processor")
    if found is None:
        pytest.fail("the paper-processor console script is not installed (pip install -e .)")
    return found


def _env(**overrides: str) -> dict[str, str]:
    """The caller's environment without its PAPER_PROCESSOR_* settings, plus fast test ones."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PAPER_PROCESSOR_") and k != "SURYA_INFERENCE_URL"
    }
    env.update(
        PAPER_PROCESSOR_ALLOW_PRIVATE_HOSTS="1",
        PAPER_PROCESSOR_CONVERTER="calibrated",
        PAPER_PROCESSOR_CALIBRATED_SECONDS_PER_PAGE="0.01",
        PAPER_PROCESSOR_RETRIEVE_POLL_INTERVAL_S="0.1",
        # Only the given OA URLs: the other routes (doi.org, OpenAlex, ...) are on the internet.
        PAPER_PROCESSOR_SOURCE_ORDER='["oa_urls"]',
        PAPER_PROCESSOR_HOST_MIN_INTERVAL_S="0",
        NO_COLOR="1",
    )
    env.update(overrides)
    return env


def run_cli(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_console_script(), *map(str, args)],
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


@dataclass
class Fakes:
    host: OpenWebHost
    web_url: str
    service: RetrieveService
    retrieve_url: str
    folder: Path

    def pdf(self, seed: int, pages: int = 1) -> Path:
        title, paragraphs = paper_text(seed)
        return write_paper_pdf(
            self.folder / f"paper-{seed}.pdf",
            title=title,
            authors=["A. Author"],
            paragraphs=paragraphs,
            pages=pages,
            doi=f"10.5555/t.{seed}",
        )

    def open_access(self, seed: int, *, pages: int = 1, delay_s: float = 0.0) -> dict:
        """A paper whose PDF this host serves."""
        self.host.add(f"/{seed}.pdf", Respond(body=self.pdf(seed, pages), delay_s=delay_s))
        return {
            "doi": f"10.5555/t.{seed}",
            "title": paper_text(seed)[0],
            "oa_urls": [f"{self.web_url}/{seed}.pdf"],
        }

    def html_instead_of_pdf(self, seed: int) -> dict:
        self.host.add(
            f"/{seed}.pdf",
            Respond(
                body=html_page("Landing", "<p>Subscribe</p>"),
                content_type="text/html; charset=utf-8",
            ),
        )
        return {
            "doi": f"10.5555/t.{seed}",
            "title": f"Landing {seed}",
            "oa_urls": [f"{self.web_url}/{seed}.pdf"],
        }

    def missing(self, seed: int) -> dict:
        return {
            "doi": f"10.5555/t.{seed}",
            "title": f"Missing {seed}",
            "oa_urls": [f"{self.web_url}/{seed}.pdf"],
        }  # no route: 404

    def retrieve_only(self, seed: int, *, ready_after_s: float = 0.3) -> dict:
        """A paper with no open-access copy that retrieve-academic holds."""
        self.service.hold(f"10.5555/t.{seed}", self.pdf(seed), ready_after_s=ready_after_s)
        return {"doi": f"10.5555/t.{seed}", "title": paper_text(seed)[0]}


@pytest.fixture
def fakes(tmp_path: Path) -> Iterator[Fakes]:
    folder = tmp_path / "pdfs"
    folder.mkdir()
    host, service = OpenWebHost(), RetrieveService(unknown_after_s=0.1)
    with serve_loopback(host.app) as web_url, serve_loopback(service.app) as retrieve_url:
        yield Fakes(host, web_url, service, retrieve_url, folder)


@pytest.fixture
def mixed_papers(fakes: Fakes) -> list[dict]:
    """Three papers that convert and two that fail: 3 converted, 2 failed."""
    return [
        fakes.open_access(1, pages=2, delay_s=0.1),
        fakes.html_instead_of_pdf(2),
        fakes.open_access(3, delay_s=0.2),
        fakes.missing(4),
        fakes.retrieve_only(5),
    ]


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def last_line(text: str) -> str:
    lines = text.rstrip("\n").splitlines()
    return lines[-1] if lines else ""


def read_manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


# -- run -----------------------------------------------------------------------------------------
def test_run_writes_markdown_and_manifest(
    tmp_path: Path, fakes: Fakes, mixed_papers: list[dict]
) -> None:
    papers = write_json(tmp_path / "papers.json", mixed_papers)
    out = tmp_path / "out"
    result = run_cli(
        "run",
        papers,
        "--out",
        out,
        "--workspace",
        tmp_path / "ws",
        "--retrieve-url",
        fakes.retrieve_url,
    )

    assert result.returncode == 0, result.stderr
    assert last_line(result.stdout) == "3 converted, 2 failed"
    assert "\x1b[" not in result.stdout  # not a terminal: plain lines, no escape codes
    manifest = read_manifest(out)
    assert [o["index"] for o in manifest] == [0, 1, 2, 3, 4]
    assert [o["status"] for o in manifest] == [
        "converted",
        "failed",
        "converted",
        "failed",
        "converted",
    ]
    for outcome in manifest:
        assert "markdown" not in outcome
        if outcome["status"] == "converted":
            assert outcome["markdown_file"] == f"{safe_stem(outcome['key'])}.md"
            assert (out / outcome["markdown_file"]).read_text().startswith("# ")
        else:
            assert outcome["markdown_file"] is None and outcome["reason"]
    assert manifest[4]["source"] == "retrieve_academic"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [o["markdown_file"] for o in manifest if o["markdown_file"]] + ["manifest.jsonl"]
    )  # nothing half-written left behind


def test_json_mode_prints_only_json_events(
    tmp_path: Path, fakes: Fakes, mixed_papers: list[dict]
) -> None:
    # JSON lines input, too.
    papers = tmp_path / "papers.jsonl"
    papers.write_text("".join(json.dumps(p) + "\n" for p in mixed_papers))
    result = run_cli(
        "run",
        papers,
        "--out",
        tmp_path / "out",
        "--workspace",
        tmp_path / "ws",
        "--retrieve-url",
        fakes.retrieve_url,
        "--json",
    )

    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    paper_events = [e for e in events if e["event"] == "paper"]
    assert {e["index"] for e in paper_events} == set(range(5))
    stages = {e["stage"] for e in paper_events}
    assert {
        "queued",
        "downloading",
        "retrieve_submitted",
        "converting",
        "converted",
        "failed",
    } <= stages
    summary = events[-1]
    assert summary["event"] == "summary"
    assert (summary["total"], summary["converted"], summary["failed"]) == (5, 3, 2)
    assert Path(summary["manifest"]).is_file()


def test_rerun_reuses_the_workspace(tmp_path: Path, fakes: Fakes) -> None:
    papers = write_json(
        tmp_path / "papers.json",
        {"papers": [fakes.open_access(1), fakes.open_access(2, pages=2), fakes.retrieve_only(3)]},
    )
    args = ("run", papers, "--workspace", tmp_path / "ws", "--retrieve-url", fakes.retrieve_url)
    first = run_cli(*args, "--out", tmp_path / "first")
    assert first.returncode == 0, first.stderr
    assert last_line(first.stdout) == "3 converted, 0 failed"
    requests, submissions = len(fakes.host.requests), len(fakes.service.submissions)

    again = run_cli(*args, "--out", tmp_path / "again", "--json")

    assert again.returncode == 0, again.stderr
    assert len(fakes.host.requests) == requests, "a rerun downloaded again"
    assert len(fakes.service.submissions) == submissions, "a rerun asked retrieve-academic again"
    events = [json.loads(line) for line in again.stdout.splitlines()]
    assert {e["index"] for e in events if e.get("stage") == "cached"} == {0, 1, 2}
    assert not [e for e in events if e.get("stage") in {"downloading", "converting"}]
    manifest = read_manifest(tmp_path / "again")
    assert all(o["status"] == "converted" and o["cached"] for o in manifest)
    for outcome in manifest:
        assert (tmp_path / "again" / outcome["markdown_file"]).read_text() == (
            tmp_path / "first" / outcome["markdown_file"]
        ).read_text()


class _Lines:
    """Reads a process's stdout lines in a thread, so waiting for one can time out."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        self._thread = threading.Thread(target=self._pump, args=(process.stdout,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)

    def wait_for(self, predicate: Callable[[str], bool], timeout_s: float = 60.0) -> str:
        """The first line that satisfies `predicate`; queue.Empty once `timeout_s` is over."""
        deadline = time.monotonic() + timeout_s
        while True:
            line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            if predicate(line):
                return line


def test_resume_continues_an_interrupted_run(tmp_path: Path, fakes: Fakes) -> None:
    stuck = fakes.open_access(1, delay_s=120)  # the first attempt never gets this one
    papers = write_json(tmp_path / "papers.json", [fakes.open_access(2), stuck])
    args = [
        "run",
        str(papers),
        "--out",
        str(tmp_path / "out"),
        "--workspace",
        str(tmp_path / "ws"),
        "--json",
    ]
    process = subprocess.Popen(
        [_console_script(), *args],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As at a terminal: a suite started in the background (`pytest &`, some CI runners) has
        # SIGINT ignored, children inherit that, and Python then leaves Ctrl-C ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        lines = _Lines(process)
        lines.wait_for(lambda line: '"downloading"' in line and '"index": 1' in line)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert "--resume" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "out" / "manifest.jsonl").exists()

    fakes.host.add("/1.pdf", Respond(body=fakes.pdf(1)))  # the host answers now
    resumed = run_cli(*args, "--resume")

    assert resumed.returncode == 0, resumed.stderr
    assert "resuming the interrupted run" in resumed.stderr
    events = [json.loads(line) for line in resumed.stdout.splitlines()]
    # prepare ran in the first attempt; the resumed thread goes on from its checkpoint
    assert not [e for e in events if e.get("stage") == "queued"]
    assert (events[-1]["converted"], events[-1]["failed"]) == (2, 0)
    assert len(read_manifest(tmp_path / "out")) == 2

    finished = run_cli(*args, "--resume")  # a finished run is not resumed again
    assert finished.returncode == 0, finished.stderr
    assert "nothing to resume" in finished.stderr


def test_resume_without_an_interrupted_run_starts_afresh(tmp_path: Path, fakes: Fakes) -> None:
    papers = write_json(tmp_path / "papers.json", [fakes.open_access(1)])
    result = run_cli(
        "run", papers, "--out", tmp_path / "out", "--workspace", tmp_path / "ws", "--resume"
    )
    assert result.returncode == 0, result.stderr
    assert "nothing to resume" in result.stderr
    assert last_line(result.stdout) == "1 converted, 0 failed"


def test_invalid_papers_fail_alone(tmp_path: Path, fakes: Fakes) -> None:
    papers = write_json(
        tmp_path / "papers.json",
        [fakes.open_access(1), {"doi": "not a doi"}, {"authors": ["Nobody"]}],
    )
    result = run_cli("run", papers, "--out", tmp_path / "out", "--workspace", tmp_path / "ws")
    assert result.returncode == 0, result.stderr
    assert last_line(result.stdout) == "1 converted, 2 failed"
    assert [o["reason"] for o in read_manifest(tmp_path / "out")] == [
        None,
        "invalid_input",
        "no_identifier",
    ]


# -- user errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "extra_args", "message"),
    [
        (None, [], "no such file"),
        (
            '[{"doi": "10.1/x"},\n {"doi": }]',
            [],
            "not valid JSON (line 2 column 10: Expecting value)",
        ),
        ('{"doi": "10.1/x"}', [], 'an object with a "papers" list'),
        ('{"papers": {"doi": "10.1/x"}}', [], '"papers" must be a list'),
        ('"papers"', [], "must be a list of paper objects, not a string"),
        ("[1, 2]", [], "paper #0 is a number, not an object"),
        ("", [], "the file is empty"),
        ("[]", ["--concurrency", "0"], "--concurrency"),
        ("[]", ["--workers", "0"], "neither a count of at least 1 nor auto"),
        ("[]", ["--retrieve-url", "ftp://x"], "not an http(s) URL"),
    ],
    ids=[
        "missing-file",
        "bad-json",
        "object-without-papers",
        "papers-not-a-list",
        "not-a-list",
        "not-objects",
        "empty-file",
        "bad-option",
        "bad-workers",
        "bad-url",
    ],
)
def test_user_errors_are_one_line(
    tmp_path: Path, content: str | None, extra_args: list[str], message: str
) -> None:
    papers = tmp_path / "papers.json"
    if content is not None:
        papers.write_text(content)
    result = run_cli(
        "run", papers, "--out", tmp_path / "out", "--workspace", tmp_path / "ws", *extra_args
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0]
    assert result.stdout == ""


def test_bad_setting_is_a_user_error(tmp_path: Path) -> None:
    papers = write_json(tmp_path / "papers.json", [])
    result = run_cli(
        "run",
        papers,
        "--out",
        tmp_path / "out",
        "--workspace",
        tmp_path / "ws",
        env=_env(PAPER_PROCESSOR_CONVERTER="typewriter"),
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: setting converter (PAPER_PROCESSOR_CONVERTER)")
    assert len(result.stderr.strip().splitlines()) == 1


def test_config_says_what_auto_workers_chose_and_why(tmp_path: Path) -> None:
    env = _env(PAPER_PROCESSOR_WORKSPACE=str(tmp_path / "ws"))
    auto = run_cli("config", env=env)
    assert auto.returncode == 0, auto.stderr
    assert re.search(
        r"^conversion_workers = [1-9]\d* \(auto: \d+ usable core\(s\), .* set by (cores|memory)\)",
        auto.stdout,
        re.MULTILINE,
    ), auto.stdout
    assert re.search(r"^converter_idle_s = \d", auto.stdout, re.MULTILINE)
    env["PAPER_PROCESSOR_CONVERSION_WORKERS"] = "3"
    fixed = run_cli("config", env=env)
    assert re.search(r"^conversion_workers = 3 \(set\)", fixed.stdout, re.MULTILINE), fixed.stdout


# -- doctor ----------------------------------------------------------------------------------------
def test_doctor_reports_mode_and_reason(tmp_path: Path, fakes: Fakes) -> None:
    env = _env()
    del env["PAPER_PROCESSOR_CONVERTER"]  # the doctor speaks of the real converter
    result = run_cli(
        "doctor", "--workspace", tmp_path / "ws", "--retrieve-url", fakes.retrieve_url, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"^conversion mode: text_layer — \S.+", out, re.MULTILINE), out
    assert re.search(r"^marker: marker-pdf \d", out, re.MULTILINE)
    assert re.search(r"^torch: .*(no GPU|GPU available)", out, re.MULTILINE)
    assert "font: " in out and f"workspace: {tmp_path / 'ws'}" in out
    assert re.search(
        rf"^source retrieve-academic: {re.escape(fakes.retrieve_url)} reachable.*"
        r"'healthy', VPN connected",
        out,
        re.MULTILINE,
    ), out
    assert last_line(out) == "all checks passed"


def test_doctor_says_retrieve_academic_is_not_configured_beside_other_sources(
    tmp_path: Path, fakes: Fakes
) -> None:
    env = _env(
        PAPER_PROCESSOR_SOURCE_ORDER='["oa_urls", "arxiv"]',
        PAPER_PROCESSOR_ARXIV_BASE=fakes.web_url,
    )
    result = run_cli("doctor", "--workspace", tmp_path / "ws", env=env)
    assert re.search(rf"^source arxiv: {re.escape(fakes.web_url)} reachable", result.stdout, re.M)
    assert re.search(
        r"^source retrieve-academic: not configured \(set PAPER_PROCESSOR_RETRIEVE_URL",
        result.stdout,
        re.MULTILINE,
    ), result.stdout


def test_doctor_flags_an_unhealthy_service(tmp_path: Path, fakes: Fakes) -> None:
    fakes.service.healthy = False
    result = run_cli("doctor", "--workspace", tmp_path / "ws", "--retrieve-url", fakes.retrieve_url)
    assert result.returncode == 1
    assert re.search(
        r"^!! source retrieve-academic: .*VPN NOT connected", result.stdout, re.MULTILINE
    )
    assert last_line(result.stdout) == "1 problem(s) found"


# -- real marker -----------------------------------------------------------------------------------
@pytest.mark.marker
def test_run_with_real_marker(tmp_path: Path, fakes: Fakes) -> None:
    # A page whose font maps its glyphs to no letters: its text layer is garbage, and the
    # quality stage reads the page again with OCR.
    garbled = write_unmapped_font_pdf(tmp_path / "garbled.pdf", ["Words kept apart by gaps only."])
    fakes.host.add("/garbled.pdf", Respond(body=garbled))
    damaged = {"doi": "10.5555/t.garbled", "oa_urls": [f"{fakes.web_url}/garbled.pdf"]}
    papers = write_json(tmp_path / "papers.json", [fakes.open_access(7, pages=2), damaged])
    env = _env()
    del env["PAPER_PROCESSOR_CONVERTER"]
    result = run_cli(
        "run", papers, "--out", tmp_path / "out", "--workspace", tmp_path / "ws", env=env
    )
    assert result.returncode == 0, result.stderr
    assert last_line(result.stdout) == "2 converted, 0 failed"
    outcome, repaired = read_manifest(tmp_path / "out")
    assert outcome["converter"] == "marker"
    markdown = " ".join((tmp_path / "out" / outcome["markdown_file"]).read_text().split())
    for paragraph in paper_text(7)[1]:
        assert paragraph in markdown
    # Quality in the manifest and in the closing table.
    assert outcome["quality"]["flags"] == [] and outcome["quality"]["score"] >= 0.9
    assert repaired["quality"]["pages"][0]["repaired_by"] == "ocr"
    assert (
        "Words kept apart by gaps only."
        in (tmp_path / "out" / repaired["markdown_file"]).read_text()
    )
    assert re.search(r"repaired\s.*1\s.*page\(s\) 1 by ocr", result.stdout), result.stdout


@pytest.mark.marker
def test_json_events_and_closing_table_carry_quality(tmp_path: Path, fakes: Fakes) -> None:
    # A scanned page (OCR repairs it), a text PDF (left alone) and a paper whose second page is
    # a photograph (no text to read: still poor), converted by real marker and the OCR rung.
    sentence = (
        "Coral reefs in the northern survey area lost a third of their cover within five years."
    )
    scan = write_image_of_text_pdf(tmp_path / "scan.pdf", [sentence])
    photo = write_text_then_photo_pdf(tmp_path / "photo.pdf", " ".join([sentence] * 3))
    for name, pdf in {"scan": scan, "photo": photo}.items():
        fakes.host.add(f"/{name}.pdf", Respond(body=pdf))
    papers = write_json(
        tmp_path / "papers.json",
        [
            fakes.open_access(7),
            {"doi": "10.5555/t.scan", "oa_urls": [f"{fakes.web_url}/scan.pdf"]},
            {"doi": "10.5555/t.photo", "oa_urls": [f"{fakes.web_url}/photo.pdf"]},
        ],
    )
    env = _env(COLUMNS="200")  # the closing table's rows unwrapped
    del env["PAPER_PROCESSOR_CONVERTER"]
    out, workspace = tmp_path / "out", tmp_path / "ws"

    as_json = run_cli("run", papers, "--out", out, "--workspace", workspace, "--json", env=env)

    assert as_json.returncode == 0, as_json.stderr
    events = [json.loads(line) for line in as_json.stdout.splitlines()]
    converted = {e["index"]: e for e in events if e.get("stage") == "converted"}
    assert sorted(converted) == [0, 1, 2], [e for e in events if e.get("stage") == "failed"]
    manifest = read_manifest(out)
    for outcome in manifest:
        assert converted[outcome["index"]]["quality"] == outcome["quality"]
    text, scanned, photographed = (converted[i]["quality"] for i in range(3))
    assert [p["repaired_by"] for p in text["pages"]] == [None] and text["score"] >= 0.9
    [page] = scanned["pages"]
    assert "no_text_layer" in page["flags"] and page["repaired_by"] == "ocr", page
    assert scanned["flags"] == [] and scanned["score"] >= 0.8
    assert "lost a third of their cover" in (out / manifest[1]["markdown_file"]).read_text()
    assert photographed["score"] == 0.5 and "no_text_layer" in photographed["flags"]
    assert [p["repaired_by"] for p in photographed["pages"]] == [None, None]

    # The same papers again, as a person reads them: answered from the workspace with their
    # quality, the closing table counts the paper repaired and the one still poor.
    table = run_cli("run", papers, "--out", tmp_path / "again", "--workspace", workspace, env=env)

    assert table.returncode == 0, table.stderr
    assert last_line(table.stdout) == "3 converted, 0 failed"
    assert re.search(r"repaired\s.*\b1\b.*#1 .*page\(s\) 1 by ocr", table.stdout), table.stdout
    assert re.search(
        r"still poor \(score < 0\.8\)\s.*\b1\b.*#2 .*score 0\.50 \(mostly_image, no_text_layer\)",
        table.stdout,
    ), table.stdout


# -- demo ----------------------------------------------------------------------------------------
@pytest.mark.marker
def test_demo_converts_and_every_manifest_path_exists(tmp_path: Path) -> None:
    env = _env()
    del env["PAPER_PROCESSOR_CONVERTER"]  # the demo runs the real converter
    result = run_cli("demo", "--out", tmp_path / "out", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 converted, 2 failed" in result.stdout.splitlines(), result.stdout
    records = read_manifest(tmp_path / "out")
    assert [r["status"] for r in records].count("converted") == 5
    for record in records:
        for field in ("markdown_path", "markdown_file"):
            if record.get(field):
                assert (tmp_path / "out" / record[field]).exists(), (field, record)
