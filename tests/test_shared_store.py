"""Runs that share one artifact store convert each shared paper once."""

from __future__ import annotations

import anyio

from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond

from .conftest import run_graph


async def test_concurrent_runs_over_overlapping_papers_convert_each_once(
    open_web, make_paper, context, tmp_path
):
    papers = []
    for seed in range(6):
        paper = make_paper(seed)
        open_web.host.add(f"/{seed}.pdf", Respond(body=paper.pdf, delay_s=0.05 * seed))
        papers.append(
            {"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url(f"/{seed}.pdf")]}
        )
    first_list, second_list = papers[:4], papers[2:]  # papers 2 and 3 are in both runs
    ctx = context(calibrated_seconds_per_page=0.4)
    runs: dict[str, object] = {}

    async def run(name: str, batch: list[dict]) -> None:
        runs[name] = await run_graph(graph, {"papers": batch}, context=ctx)

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run, "first", first_list)
            tg.start_soon(run, "second", second_list)

    for name in ("first", "second"):
        assert [o["status"] for o in runs[name].output["outcomes"]] == ["converted"] * 4
    shared = [
        runs["first"].outcome(2),
        runs["first"].outcome(3),
        runs["second"].outcome(0),
        runs["second"].outcome(1),
    ]
    assert sum(o["cached"] for o in shared) == 2  # one run converted each, the other reused it
    assert shared[0]["markdown"] == shared[2]["markdown"]
    store = ArtifactStore(tmp_path / "workspace")
    try:
        for paper in papers:
            assert store.count("conversion", f"doi:{paper['doi']}") == 1, paper["doi"]
    finally:
        store.close()
