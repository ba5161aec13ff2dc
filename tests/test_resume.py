"""Interrupted runs resume on their thread and convert every paper exactly once."""

from __future__ import annotations

import anyio.to_thread
import pytest
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from workflows.research.academic_lit_review.paper_processor.errors import ConfigurationError
from workflows.research.academic_lit_review.paper_processor.graph import build_graph
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond

from .conftest import assert_each_converted_once, run_graph

# Under the rules of `langgraph dev`: a blocking call on the event loop fails the test.
pytestmark = pytest.mark.usefixtures("langgraph_dev_rules")


def _serve_papers(open_web, make_paper, count: int) -> list[dict]:
    papers = []
    for seed in range(count):
        paper = make_paper(seed)
        open_web.host.add(f"/{seed}.pdf", Respond(body=paper.pdf, delay_s=0.15 * seed))
        papers.append(
            {"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url(f"/{seed}.pdf")]}
        )
    return papers


async def test_cancelled_run_resumes_without_repeating_work(
    open_web, make_paper, context, tmp_path
):
    papers = _serve_papers(open_web, make_paper, 8)
    ctx = context(calibrated_seconds_per_page=0.3)
    config = {"configurable": {"thread_id": "cancelled"}}
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "checkpoints.sqlite")) as saver:
        graph = build_graph().compile(checkpointer=saver)
        converted = 0
        async for mode, chunk in graph.astream(
            {"papers": papers}, context=ctx, config=config, stream_mode=["custom", "updates"]
        ):
            if mode == "custom" and chunk["stage"] == "converted":
                converted += 1
                if converted == 2:
                    break  # the caller goes away mid-run: LangGraph cancels the superstep
        snapshot = await graph.aget_state(config)
        assert set(snapshot.next) == {"acquire", "poll_retrieve", "marker"}

        resumed = await run_graph(graph, None, context=ctx, config=config)

    outcomes = resumed.output["outcomes"]
    assert [o["status"] for o in outcomes] == ["converted"] * 8
    assert sum(o["cached"] for o in outcomes) >= 2  # converted before the cancel, reused now
    await anyio.to_thread.run_sync(assert_each_converted_once, tmp_path / "workspace", papers)


async def test_failed_run_resumes_after_the_configuration_is_fixed(
    open_web, make_paper, context, tmp_path
):
    papers = _serve_papers(open_web, make_paper, 4)
    config = {"configurable": {"thread_id": "failed"}}
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "checkpoints.sqlite")) as saver:
        graph = build_graph().compile(checkpointer=saver)
        # Full marker forced on a machine without models: a systemic failure, raised up front.
        with pytest.raises(ConfigurationError, match="models cannot run"):
            await run_graph(
                graph,
                {"papers": papers},
                config=config,
                context=context(converter="marker", marker_mode="full"),
            )
        resumed = await run_graph(graph, None, context=context(), config=config)

    assert [o["status"] for o in resumed.output["outcomes"]] == ["converted"] * 4
    await anyio.to_thread.run_sync(assert_each_converted_once, tmp_path / "workspace", papers)
