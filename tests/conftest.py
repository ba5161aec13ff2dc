"""Shared fixtures: real loopback servers, generated PDFs, and a way to run the real graph."""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from workflows.research.academic_lit_review.paper_processor.context import Context
from workflows.research.academic_lit_review.paper_processor.conversion.stock import close_all
from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore
from workflows.research.academic_lit_review.paper_processor.testing.loopback import serve_loopback
from workflows.research.academic_lit_review.paper_processor.testing.openweb import OpenWebHost
from workflows.research.academic_lit_review.paper_processor.testing.pdfs import (
    paper_text,
    write_paper_pdf,
)
from workflows.research.academic_lit_review.paper_processor.testing.retrieve_service import (
    RetrieveService,
)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass
class Served:
    host: Any
    base_url: str

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@pytest.fixture(autouse=True)
def no_warm_converters_between_tests() -> Iterator[None]:
    """Converters stay warm in a process between runs; a test's runs end with it."""
    yield
    close_all()


@pytest.fixture
def open_web() -> Iterator[Served]:
    host = OpenWebHost()
    with serve_loopback(host.app) as base_url:
        yield Served(host, base_url)


@pytest.fixture
def retrieve_service() -> Iterator[Served]:
    service = RetrieveService()
    with serve_loopback(service.app) as base_url:
        yield Served(service, base_url)


@dataclass(frozen=True)
class GeneratedPaper:
    seed: int
    doi: str
    title: str
    paragraphs: list[str]
    pdf: Path


@pytest.fixture
def make_paper(tmp_path: Path):
    """Generate a real text PDF for a seed: `make_paper(3) -> GeneratedPaper`."""
    folder = tmp_path / "pdfs"
    folder.mkdir(exist_ok=True)

    def make(seed: int, *, pages: int = 1) -> GeneratedPaper:
        title, paragraphs = paper_text(seed)
        doi = f"10.5555/test.{seed}"
        pdf = write_paper_pdf(
            folder / f"paper-{seed}.pdf",
            title=title,
            authors=["Ada Lovelace"],
            paragraphs=paragraphs,
            pages=pages,
            doi=doi,
        )
        return GeneratedPaper(seed, doi, title, paragraphs, pdf)

    return make


@pytest.fixture
def langgraph_dev_rules() -> Iterator[None]:
    """Blocking calls on the event loop raise `BlockingError`, exactly as under `langgraph dev`.

    The server's own set-up (langgraph_runtime_inmem's blockbuster configuration) is activated, so
    these tests refuse what the server refuses. Every refused call is also recorded and fails the
    test at teardown, even where the code under test caught the error and carried on.
    """
    from blockbuster import BlockingError
    from langgraph_runtime_inmem.queue import _enable_blockbuster

    original_init = BlockingError.__init__
    refused: list[str] = []
    rules = _enable_blockbuster()  # wraps BlockingError.__init__ with the server's message
    server_init = BlockingError.__init__

    def record(self, func: str, *args: Any, **kwargs: Any) -> None:
        # Where it was called from, in this project's code: file:function of the nearest frame.
        ours = [f for f in traceback.extract_stack() if "/workflows/" in f.filename]
        where = f"{ours[-1].filename.split('/workflows/')[-1]}:{ours[-1].name}" if ours else "?"
        refused.append(f"{func} in {where}")
        server_init(self, func, *args, **kwargs)

    BlockingError.__init__ = record
    try:
        yield
    finally:
        rules.deactivate()
        BlockingError.__init__ = original_init
    assert not refused, f"blocking calls on the event loop: {refused}"


@pytest.fixture
def context(tmp_path: Path):
    """A Context for tests: loopback allowed, fast polling, calibrated converter by default.

    Only the given OA URLs are tried (the other routes would reach the internet), without
    per-host spacing; the resolver tests configure those routes themselves.
    """

    def make(**overrides: Any) -> Context:
        values: dict[str, Any] = dict(
            workspace=str(tmp_path / "workspace"),
            allow_private_hosts=True,
            retrieve_poll_interval_s=0.1,
            converter="calibrated",
            calibrated_seconds_per_page=0.05,
            conversion_workers=1,  # tests that need more say so; auto follows the machine
            download_timeout_s=30,
            conversion_timeout_s=120,
            source_order=["oa_urls"],
            host_min_interval_s=0.0,
        )
        values.update(overrides)
        return Context(**values)

    return make


@dataclass
class RunRecord:
    events: list[dict] = field(default_factory=list)
    output: dict | None = None

    def stages(self, stage: str) -> list[dict]:
        return [e for e in self.events if e.get("stage") == stage]

    def position(self, stage: str, index: int) -> int:
        """Where in the event order the stage of one paper happened."""
        for position, event in enumerate(self.events):
            if event.get("stage") == stage and event.get("index") == index:
                return position
        raise AssertionError(f"no {stage!r} event for paper #{index}")

    def outcome(self, index: int) -> dict:
        assert self.output is not None
        return self.output["outcomes"][index]


async def run_graph(
    graph, papers_or_none, *, context: Context, config: dict | None = None
) -> RunRecord:
    """Stream a run (custom + updates) and record every event in arrival order."""
    record = RunRecord()
    async for mode, chunk in graph.astream(
        papers_or_none, context=context, config=config, stream_mode=["custom", "updates"]
    ):
        if mode == "custom":
            record.events.append({**chunk, "received": time.monotonic()})
        elif "finalize" in chunk:
            record.output = chunk["finalize"]
    return record


def assert_each_converted_once(workspace: Path, papers: list[dict]) -> None:
    """The store's work log: every paper downloaded once and converted once, in all attempts."""
    store = ArtifactStore(workspace)
    try:
        for paper in papers:
            key = f"doi:{paper['doi']}"
            assert store.count("conversion", key) == 1, key
            assert store.count("download", key) == 1, key
    finally:
        store.close()


class _SuryaModels(BaseHTTPRequestHandler):
    """What mode.py and the quality stage's full-marker rung ask of a surya inference server
    before using it (its model list)."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        body = json.dumps({"data": [{"id": "surya"}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def inference_server() -> Iterator[str]:
    """The URL of a loopback server that answers like a surya inference server's model list."""
    server = HTTPServer(("127.0.0.1", 0), _SuryaModels)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def converter():
    """A text-layer marker converter as a worker builds it, shared by one module's tests."""
    from marker.settings import settings

    from workflows.research.academic_lit_review.paper_processor.conversion import worker

    font = Context().resolved_font_path()
    # The worker sets FONT_PATH before marker loads; in the tests marker is loaded already (the
    # layout modules import it), so its settings get the font directly.
    settings.FONT_PATH = font or settings.FONT_PATH
    made = worker.MarkerConverter(
        worker.WorkerSpec(converter="marker", mode="text_layer", font_path=font)
    )
    yield made
    made.close()


def convert_pdf(converter: Any, pdf: Path, tmp_path: Path) -> tuple[str, dict]:
    """`pdf` converted by `converter`: its markdown and the structure the worker reports."""
    from workflows.research.academic_lit_review.paper_processor.conversion import worker

    out = tmp_path / f"{pdf.stem}.md"
    converter.convert(worker.Job(pdf_path=str(pdf), out_path=str(out)))
    return out.read_text(encoding="utf-8"), converter.structure
