"""Converters outlive a run: started once per process, shared fairly, closed when idle.

Real graph runs with the calibrated converter in real worker processes; worker starts are
counted by the process's converter stock (each start a new process, its pid recorded).
"""

from __future__ import annotations

import asyncio
import time

import anyio
import psutil

from workflows.research.academic_lit_review.paper_processor.conversion.stock import (
    shared_stocks,
)
from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond

from .conftest import run_graph
from .test_conversion_isolation import _poison


def _papers(open_web, make_paper, seeds, *, prefix: str = "") -> list[dict]:
    papers = []
    for seed in seeds:
        paper = make_paper(seed)
        path = f"/{prefix}{seed}.pdf"
        open_web.host.add(path, Respond(body=paper.pdf))
        papers.append({"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url(path)]})
    return papers


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


async def test_two_runs_in_one_process_start_converters_once(open_web, make_paper, context):
    ctx = context(conversion_workers=2)
    first_papers = _papers(open_web, make_paper, range(3))
    second_papers = _papers(open_web, make_paper, range(3, 6))

    # The first run as a program would invoke the graph: its own event loop (asyncio.run), which
    # is gone when the second run starts on this test's loop.
    first = await anyio.to_thread.run_sync(
        lambda: asyncio.run(run_graph(graph, {"papers": first_papers}, context=ctx))
    )
    (stock,) = shared_stocks()
    assert stock.starts == 2
    pids = [info["pid"] for info in stock.infos]
    assert _alive(pids) == pids  # warm between the runs

    started = time.perf_counter()
    second = await run_graph(graph, {"papers": second_papers}, context=ctx)
    took = time.perf_counter() - started

    for run in (first, second):
        assert [o["status"] for o in run.output["outcomes"]] == ["converted"] * 3
    assert stock.starts == 2  # none started for the second run
    assert [info["pid"] for info in stock.infos] == pids
    assert _alive(pids) == pids
    # Its first paper did not wait for a converter to start (a worker's start: ~1 s here).
    assert second.outcome(0)["timings"]["queue_wait_s"] < 0.5, took


async def test_idle_converters_stop_after_converter_idle_s(open_web, make_paper, context):
    ctx = context(conversion_workers=2, converter_idle_s=1.0)
    run = await run_graph(graph, {"papers": _papers(open_web, make_paper, range(2))}, context=ctx)
    assert [o["status"] for o in run.output["outcomes"]] == ["converted"] * 2
    (stock,) = shared_stocks()
    pids = [info["pid"] for info in stock.infos]
    assert len(_alive(pids)) == 2 and stock.idle_converters() == 2

    with anyio.fail_after(15):
        while _alive(pids):
            await anyio.sleep(0.1)
    assert stock.idle_converters() == 0

    # The next run starts converters again.
    again = await run_graph(
        graph, {"papers": _papers(open_web, make_paper, range(2, 3))}, context=ctx
    )
    assert again.outcome(0)["status"] == "converted"
    assert stock.starts == 4


async def test_a_crash_in_a_shared_worker_fails_only_the_document_it_held(
    open_web, make_paper, context, tmp_path
):
    ctx = context(converter="faulty", conversion_workers=2, calibrated_seconds_per_page=0.1)
    crash = _poison(tmp_path, "crash", "CRASH-CONVERTER")
    open_web.host.add("/crash.pdf", Respond(body=crash))
    crashing = [{"doi": "10.5555/crash", "oa_urls": [open_web.url("/crash.pdf")]}]
    crashing += _papers(open_web, make_paper, range(3), prefix="a")
    other = _papers(open_web, make_paper, range(3, 7), prefix="b")

    runs = {}

    async def run(name: str, papers: list[dict]) -> None:
        runs[name] = await run_graph(graph, {"papers": papers}, context=ctx)

    with anyio.fail_after(90):
        async with anyio.create_task_group() as tg:  # two runs at once, one stock of two
            tg.start_soon(run, "crashing", crashing)
            tg.start_soon(run, "other", other)

    statuses = [(o["status"], o["reason"]) for o in runs["crashing"].output["outcomes"]]
    assert statuses == [("failed", "conversion_failed")] + [("converted", None)] * 3
    assert "crashed twice on this document" in runs["crashing"].outcome(0)["message"]
    assert [o["status"] for o in runs["other"].output["outcomes"]] == ["converted"] * 4
    (stock,) = shared_stocks()
    assert stock.starts == 4  # the two converters it killed were replaced, nothing else


async def test_one_runs_backlog_does_not_starve_another_runs_first_paper(
    open_web, make_paper, context
):
    # One converter for the process; a long run holds it with a backlog of ten papers.
    ctx = context(conversion_workers=1, calibrated_seconds_per_page=0.25)
    backlog = _papers(open_web, make_paper, range(10), prefix="long")
    late = _papers(open_web, make_paper, range(10, 11), prefix="late")
    converted: list[tuple[str, int]] = []  # (run, paper index), in the order they converted

    async def run(name: str, papers: list[dict], after_first: bool) -> None:
        if after_first:
            with anyio.fail_after(30):
                while not converted:
                    await anyio.sleep(0.02)
        async for mode, chunk in graph.astream(
            {"papers": papers}, context=ctx, stream_mode=["custom", "updates"]
        ):
            if mode == "custom" and chunk.get("stage") == "converted":
                converted.append((name, chunk["index"]))

    with anyio.fail_after(90):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run, "long", backlog, False)
            tg.start_soon(run, "late", late, True)

    assert sorted(i for name, i in converted if name == "long") == list(range(10))
    position = converted.index(("late", 0))
    # The late run's paper waited for the document in hand, not for the backlog: at most two
    # of the long run's papers converted before it after it arrived (one in hand, one queued).
    assert position <= 3, converted
    (stock,) = shared_stocks()
    assert stock.starts == 1  # both runs, on this test's event loop, used the one converter


def test_auto_workers_are_the_cores_the_memory_carries():
    from workflows.research.academic_lit_review.paper_processor.conversion.sizing import (
        WORKER_RSS_MB,
        size_for,
    )

    # Enough memory: one worker per usable core.
    assert size_for(2, 20_000, WORKER_RSS_MB).count == 2
    # Memory for fewer (80% of it, at the measured size per worker): that many, said why.
    tight = size_for(8, 3 * WORKER_RSS_MB, WORKER_RSS_MB)
    assert tight.count == 2 and "set by memory" in tight.reason
    # Never none: a run converts, if slowly.
    assert size_for(4, 100, WORKER_RSS_MB).count == 1
    assert size_for(3, None, WORKER_RSS_MB).count == 3
