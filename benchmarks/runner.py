"""One measured run in a fresh process: `python -m benchmarks.runner RUN.json RESULT.json`.

A fresh interpreter per run keeps the runs apart: no warm caches, imports or leftover memory
from an earlier run, so peak RSS and timings compare. RUN.json says which pipeline (graph,
baseline, or marker called directly) runs on which workload against which servers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from workflows.research.academic_lit_review.paper_processor.context import Context
from workflows.research.academic_lit_review.paper_processor.conversion.local_backend import (
    LocalBackend,
)
from workflows.research.academic_lit_review.paper_processor.conversion.sizing import auto_workers
from workflows.research.academic_lit_review.paper_processor.conversion.stock import shared_stocks
from workflows.research.academic_lit_review.paper_processor.conversion.worker import (
    Done,
    Job,
    WorkerSpec,
)
from workflows.research.academic_lit_review.paper_processor.run import RunListener, run_papers

from .instrument import RawRun, join_records, record_conversions
from .workload import Workload

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
# marker's text-layer configuration, as the package's worker uses it.
MARKER_TEXT_LAYER = {"mode": "fast", "disable_ocr": True, "force_layout_block": "Text"}


@dataclass(frozen=True)
class RunSpec:
    # "graph", "baseline", "direct" (marker in a loop), "warm" (the graph twice), "worker"
    pipeline: str
    workload: str  # path of the saved Workload
    open_web: str
    retrieve: str
    workspace: str
    # Overrides of the workload's shape: converter workers (a count or "auto"), and, for the
    # `worker` pipeline's before/after figures, WorkerSpec fields (pipeline.PER_WORKER_SETUPS).
    workers: int | str | None = None
    worker_setup: dict = field(default_factory=dict)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))


def run_context(workload: Workload, spec: RunSpec) -> Context:
    """The same configuration for the graph and the baseline.

    The one loopback host stands for the many publishers of a real run, so per-host politeness
    (spacing, two requests per host) is opened up to the download concurrency; the workload's
    delays are what acquisition costs. Papers without an OA copy go straight to
    retrieve-academic: the other resolvers (arXiv, doi.org, Unpaywall, ...) need the internet.
    Fields a version of the package lacks are left out.
    """
    shape = workload.shape
    wanted = {
        "workspace": spec.workspace,
        "allow_private_hosts": True,
        "converter": shape.converter,
        "marker_mode": "text_layer",
        "calibrated_seconds_per_page": workload.seconds_per_page,
        "conversion_workers": spec.workers if spec.workers is not None else shape.workers,
        "conversion_backend": "local",
        "download_concurrency": shape.download_concurrency,
        "retrieve_url": spec.retrieve,
        "retrieve_poll_interval_s": shape.poll_interval_s,
        "font_path": FONT_PATH if Path(FONT_PATH).exists() else None,
        "conversion_timeout_s": 600,
        "download_timeout_s": 60,
        "source_order": ["oa_urls"],
        "host_concurrency": shape.download_concurrency,
        "host_min_interval_s": 0.0,
    }
    return Context(**{k: v for k, v in wanted.items() if k in Context.model_fields})


@dataclass(frozen=True)
class PipelineRun:
    """What one pipeline run needs of its workload; the workload itself is not kept."""

    papers: list[dict]
    context: Context
    # sha256 of each paper's PDF -> its index, for per-paper records; None in memory runs
    # (tiny papers), which record nothing per paper so that RSS is the pipeline's alone.
    index_of_sha: dict[str, int] | None


def pipeline_run(workload: Workload, spec: RunSpec) -> PipelineRun:
    return PipelineRun(
        [p.as_input(spec.open_web) for p in workload.papers],
        run_context(workload, spec),
        None if workload.shape.tiny else {p.sha256: p.index for p in workload.papers},
    )


class FirstEvents(RunListener):
    """The first event per paper of the two stages the metrics need; the others are dropped."""

    def __init__(self, *, recording: bool) -> None:
        self.recording = recording
        self.seen: dict[str, dict[int, float]] = {"downloaded": {}, "converted": {}}

    def event(self, event: dict) -> None:
        stage = self.seen.get(event.get("stage")) if self.recording else None
        if stage is not None:
            stage.setdefault(event["index"], event["t"])


async def run_graph(run: PipelineRun, listener: FirstEvents) -> dict:
    """The package as a user runs it (`run_papers`, outputs written), without a checkpointer:
    the baseline has none either. The summary."""
    out_dir = Path(run.context.workspace) / "out"
    result = await run_papers(
        run.papers, out_dir, run.context, listener=listener, checkpoints=False
    )
    return result.summary


async def run_baseline(run: PipelineRun, listener: FirstEvents) -> dict:
    """The seed's gather-then-convert graph, streamed; the summary."""
    from .baseline import build_baseline_graph

    summary: dict = {}
    async for mode, chunk in build_baseline_graph().astream(
        {"papers": run.papers}, context=run.context, stream_mode=["custom", "updates"]
    ):
        if mode == "custom":
            listener.event(chunk)
        elif "finalize" in chunk:
            summary = chunk["finalize"]["summary"]
    return summary


def import_pipeline(name: str) -> None:
    """Import what the pipeline runs before the clock starts: the graph's import takes seconds,
    which are no part of a run. Only the one measured is imported (it counts in peak RSS)."""
    if name == "graph":
        import workflows.research.academic_lit_review.paper_processor.graph  # noqa: F401
    else:
        from . import baseline  # noqa: F401


async def run_pipeline(name: str, run: PipelineRun) -> RawRun:
    """One run of the graph (or the baseline graph), keeping what the metrics need."""
    ctx, recording = run.context, run.index_of_sha is not None
    listener = FirstEvents(recording=recording)
    import_pipeline(name)
    pipeline = run_graph if name == "graph" else run_baseline
    with record_conversions(enabled=recording) as spans:
        t0 = time.time()
        summary = await pipeline(run, listener)
        makespan = time.time() - t0
    seen = listener.seen
    records = join_records(t0, seen["downloaded"], seen["converted"], spans, run.index_of_sha or {})
    slots = ctx.conversion_workers
    if slots == "auto":
        slots = auto_workers(ctx).count
    return RawRun(
        name,
        makespan,
        slots,
        len(run.papers),
        summary["converted"],
        summary["failed"],
        summary["by_reason"],
        records,
    )


def run_marker_directly(workload: Workload) -> dict:
    """marker's PdfConverter in a loop in this process: models loaded once, then every PDF."""
    if Path(FONT_PATH).exists():
        os.environ["FONT_PATH"] = FONT_PATH  # else marker downloads a font at construction
    started = time.perf_counter()
    from marker.converters.pdf import PdfConverter
    from marker.models import create_model_dict
    from marker.output import text_from_rendered

    converter = PdfConverter(artifact_dict=create_model_dict(), config=dict(MARKER_TEXT_LAYER))
    load_s = time.perf_counter() - started
    out = Path(workload.papers[0].pdf).parent / "direct-markdown"
    out.mkdir(exist_ok=True)
    documents = []
    for paper in workload.papers:
        if paper.source == "retrieve_fails":
            continue  # the pipelines never get these PDFs
        began = time.perf_counter()
        markdown, _ext, _images = text_from_rendered(converter(paper.pdf))
        (out / f"{paper.index}.md").write_text(markdown, encoding="utf-8")
        documents.append(
            {
                "index": paper.index,
                "pages": int(converter.page_count or paper.pages),
                "seconds": time.perf_counter() - began,
            }
        )
    return {"load_s": load_s, "documents": documents}


def run_twice(workload: Workload, spec: RunSpec) -> dict:
    """The graph twice in this process, each run on a fresh workspace and its own event loop
    (as a program invoking it twice): a cold run, then a warm one on the converters it left.

    Reports both runs, when each converter of the cold run was ready (seconds since that run
    started) and how many converters each run started (counted by the process's stock).
    """
    cold_run = pipeline_run(workload, spec)
    warm_run = pipeline_run(workload, dataclasses.replace(spec, workspace=spec.workspace + "-2"))
    del workload
    import_pipeline("graph")  # imported before the clock starts, as run_pipeline's own t0 is
    cold_t0 = time.time()
    cold = asyncio.run(run_pipeline("graph", cold_run))
    (stock,) = shared_stocks()
    cold_starts, ready = stock.starts, [info["ready_at"] - cold_t0 for info in stock.infos]
    warm = asyncio.run(run_pipeline("graph", warm_run))
    return {
        "cold": cold.to_json(),
        "warm": warm.to_json(),
        "cold_converters_ready_s": sorted(ready),
        "cold_converter_starts": cold_starts,
        "warm_converter_starts": stock.starts - cold_starts,
    }


def run_workers(workload: Workload, spec: RunSpec) -> dict:
    """`auto` converter workers, started as a run starts them, converting the workload's PDFs
    at the same time (each its share, in turn): pages and converter seconds of each.

    Per-worker speed is measured with every worker busy, as in a run: a pool of processes
    inside one worker (pdftext's) then competes with the other workers for the same cores.
    """
    ctx = Context(converter="marker")
    count = auto_workers(ctx).count
    worker_spec = WorkerSpec(
        converter="marker",
        mode="text_layer",
        font_path=FONT_PATH if Path(FONT_PATH).exists() else None,
        check_quality=True,
        ocr_engine=ctx.ocr_engine,
        **spec.worker_setup,
    )
    out = Path(spec.workspace)
    out.mkdir(parents=True, exist_ok=True)
    papers = [p for p in workload.papers if p.source != "retrieve_fails"]
    backend = LocalBackend()
    workers = [backend.launch(worker_spec) for _ in range(count)]
    results: list[dict] = [{"pages": 0, "seconds": 0.0} for _ in workers]

    def convert_share(number: int) -> None:
        worker = workers[number]
        for paper in papers[number::count]:
            worker.conn.send(Job(paper.pdf, str(out / f"{paper.index}.md"), pages=paper.pages))
            done = worker.receive(600)
            if not isinstance(done, Done):
                raise RuntimeError(f"paper {paper.index}: {done}")
            results[number]["pages"] += done.pages
            results[number]["seconds"] += done.seconds

    try:
        for worker in workers:  # models loaded before any clock starts
            backend.wait_ready(worker, 600)
        with ThreadPoolExecutor(count) as threads:
            list(threads.map(convert_share, range(count)))
    finally:
        for worker in workers:
            backend.stop(worker)
    return {"workers": results}


def main(argv: list[str]) -> None:
    run_path, result_path = Path(argv[0]), Path(argv[1])
    spec = RunSpec(**json.loads(run_path.read_text()))
    workload = Workload.load(Path(spec.workload))
    if spec.pipeline in ("graph", "baseline"):
        run = pipeline_run(workload, spec)
        del workload  # the benchmark's own records do not count against the pipeline's memory
        result = asyncio.run(run_pipeline(spec.pipeline, run)).to_json()
    elif spec.pipeline == "direct":
        result = run_marker_directly(workload)
    elif spec.pipeline == "warm":
        result = run_twice(workload, spec)
    elif spec.pipeline == "worker":
        result = run_workers(workload, spec)
    else:
        raise SystemExit(f"unknown pipeline {spec.pipeline!r}")
    result_path.write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
