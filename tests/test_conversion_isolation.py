"""Converter isolation: a document that kills or hangs its worker fails alone."""

from __future__ import annotations

import anyio

from workflows.research.academic_lit_review.paper_processor.conversion.local_backend import (
    LocalBackend,
)
from workflows.research.academic_lit_review.paper_processor.conversion.pool import (
    ConversionFailed,
    ConverterPool,
)
from workflows.research.academic_lit_review.paper_processor.conversion.worker import (
    Done,
    Job,
    WorkerSpec,
)
from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.models import Reason
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond
from workflows.research.academic_lit_review.paper_processor.testing.pdfs import write_paper_pdf

from .conftest import run_graph


def _poison(tmp_path, name: str, marker: str):
    return write_paper_pdf(
        tmp_path / f"{name}.pdf",
        title=f"{marker} please",
        authors=["Mallory"],
        paragraphs=[f"This document says {marker}."],
    )


async def test_crashing_and_hanging_documents_fail_alone(open_web, make_paper, context, tmp_path):
    crash = _poison(tmp_path, "crash", "CRASH-CONVERTER")
    hang = _poison(tmp_path, "hang", "HANG-CONVERTER")
    open_web.host.add("/crash.pdf", Respond(body=crash))
    open_web.host.add("/hang.pdf", Respond(body=hang))
    papers = [
        {"doi": "10.5555/crash", "oa_urls": [open_web.url("/crash.pdf")]},
        {"doi": "10.5555/hang", "oa_urls": [open_web.url("/hang.pdf")]},
    ]
    for seed in range(4):
        paper = make_paper(seed)
        open_web.host.add(f"/{seed}.pdf", Respond(body=paper.pdf, delay_s=0.2 * seed))
        papers.append({"doi": paper.doi, "oa_urls": [open_web.url(f"/{seed}.pdf")]})

    with anyio.fail_after(90):
        run = await run_graph(
            graph,
            {"papers": papers},
            context=context(converter="faulty", conversion_workers=2, conversion_timeout_s=3),
        )

    got = [(o["status"], o["reason"]) for o in run.output["outcomes"]]
    assert (
        got
        == [("failed", "conversion_failed"), ("failed", "conversion_timeout")]
        + [("converted", None)] * 4
    )
    assert "crashed" in run.outcome(0)["message"]
    assert list((tmp_path / "workspace" / "tmp").iterdir()) == []


async def test_workers_are_recycled_and_long_documents_go_in_page_ranges(
    open_web, make_paper, context, tmp_path
):
    long_paper = make_paper(1, pages=5)
    open_web.host.add("/long.pdf", Respond(body=long_paper.pdf))
    huge = make_paper(2, pages=6)
    open_web.host.add("/huge.pdf", Respond(body=huge.pdf))
    papers = [
        {"doi": long_paper.doi, "oa_urls": [open_web.url("/long.pdf")]},
        {"doi": huge.doi, "oa_urls": [open_web.url("/huge.pdf")]},
    ]
    run = await run_graph(
        graph,
        {"papers": papers},
        context=context(calibrated_seconds_per_page=0.01, pages_per_chunk=2, max_pages=5),
    )
    long_outcome, huge_outcome = run.output["outcomes"]
    assert long_outcome["status"] == "converted" and long_outcome["pages"] == 5
    # Three page ranges (2 + 2 + 1 pages), joined in order.
    assert long_outcome["markdown"].count("Calibrated conversion of") == 3
    assert (huge_outcome["stage"], huge_outcome["reason"]) == ("convert", "too_large")


async def test_pool_replaces_workers_after_their_document_quota(tmp_path, make_paper):
    paper = make_paper(3)
    spec = WorkerSpec(converter="calibrated", mode="text_layer", seconds_per_page=0.0)
    async with ConverterPool(
        LocalBackend(), spec, workers=1, timeout_s=30, max_docs_per_worker=2
    ) as pool:
        for number in range(5):
            await pool.convert(
                Job(pdf_path=str(paper.pdf), out_path=str(tmp_path / f"{number}.md"), pages=1)
            )
        starts = pool.worker_starts
    assert starts == 3  # documents 1-2, 3-4, 5


async def test_a_document_queued_behind_a_hung_one_converts_on_the_replacement(
    tmp_path, make_paper
):
    good = make_paper(3)
    hang = _poison(tmp_path, "hang", "HANG-CONVERTER")
    spec = WorkerSpec(converter="faulty", mode="text_layer", seconds_per_page=0.2)
    started: list[str] = []
    results: dict[str, object] = {}

    async with ConverterPool(LocalBackend(), spec, workers=1, timeout_s=2) as pool:
        # A first document teaches the pool 0.2 s a page: from then on a worker's place is
        # offered again shortly before its document's expected end.
        await pool.convert(Job(pdf_path=str(good.pdf), out_path=str(tmp_path / "0.md"), pages=1))

        async def convert(name: str, pdf) -> None:
            job = Job(pdf_path=str(pdf), out_path=str(tmp_path / f"{name}.md"), pages=1)
            try:
                results[name] = await pool.convert(job, on_start=lambda: started.append(name))
            except ConversionFailed as exc:
                results[name] = exc.reason

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(convert, "hang", hang)
                await anyio.sleep(0.5)  # past the hung document's expected end
                tg.start_soon(convert, "behind", good.pdf)
        starts, requeued = pool.worker_starts, pool.requeued

    assert results["hang"] is Reason.CONVERSION_TIMEOUT
    # Sent into the worker's pipe behind the hung document (its place was offered early), it
    # starts only once that one is killed, on the replacement, with a deadline of its own: from
    # its hand-off to its end was more than the 2 s deadline.
    assert isinstance(results["behind"], Done)
    assert started == ["hang", "behind"]
    assert (starts, requeued) == (2, 1)
