"""The seed's scenario: conversion streams behind acquisition instead of waiting for it."""

from __future__ import annotations

import pytest

from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond

from .conftest import run_graph

# Under the rules of `langgraph dev`: a blocking call on the event loop fails the test.
pytestmark = pytest.mark.usefixtures("langgraph_dev_rules")

# The seed measured OA downloads finishing at about 0.5, 1.2, 5 and 8 s; scaled by half here.
DOWNLOAD_DELAYS_S = [0.25, 0.6, 2.5, 4.0]


async def test_first_conversion_starts_before_the_slowest_download_finishes(
    open_web, retrieve_service, make_paper, context
):
    papers = []
    for seed, delay in enumerate(DOWNLOAD_DELAYS_S):
        paper = make_paper(seed)
        open_web.host.add(f"/oa/{seed}.pdf", Respond(body=paper.pdf, delay_s=delay))
        papers.append(
            {"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url(f"/oa/{seed}.pdf")]}
        )
    closed = make_paper(4)  # no open-access copy: only retrieve-academic has it
    retrieve_service.host.hold(closed.doi, pdf=closed.pdf, ready_after_s=1.0)
    papers.append({"doi": closed.doi, "title": closed.title, "authors": ["Ada Lovelace"]})

    run = await run_graph(
        graph, {"papers": papers}, context=context(retrieve_url=retrieve_service.base_url)
    )

    assert [o["status"] for o in run.output["outcomes"]] == ["converted"] * 5
    slowest_downloaded = run.position("downloaded", 3)
    first_converting = min(run.position("converting", i) for i in range(5))
    assert first_converting < slowest_downloaded, "conversion waited for every download"
    # The retrieve-academic paper is converted without waiting for all OA downloads.
    assert run.position("converted", 4) < slowest_downloaded
    assert run.outcome(4)["source"] == "retrieve_academic"
    # Each paper moved through its stages in order.
    for index in range(4):
        assert (
            run.position("downloading", index)
            < run.position("downloaded", index)
            < run.position("converting", index)
            < run.position("converted", index)
        )
    assert (
        run.position("retrieve_submitted", 4)
        < run.position("downloaded", 4)
        < run.position("converted", 4)
    )


async def test_waiting_papers_convert_most_relevant_first(open_web, make_paper, context):
    # One converter slot, held by a first paper while four more arrive with mixed relevance.
    relevance = {0: 0.0, 1: 0.2, 2: 0.9, 3: 0.5, 4: 0.7}
    papers = []
    for seed, rel in relevance.items():
        paper = make_paper(seed)
        open_web.host.add(
            f"/oa/{seed}.pdf", Respond(body=paper.pdf, delay_s=0.0 if seed == 0 else 0.3)
        )
        papers.append(
            {
                "doi": paper.doi,
                "title": paper.title,
                "relevance": rel,
                "oa_urls": [open_web.url(f"/oa/{seed}.pdf")],
            }
        )

    run = await run_graph(
        graph, {"papers": papers}, context=context(calibrated_seconds_per_page=1.5)
    )

    # Each time the slot frees, it takes the most relevant paper among those already waiting.
    waiting: set[int] = set()
    picks = []
    for event in run.events:
        if event["stage"] == "downloaded":
            waiting.add(event["index"])
        elif event["stage"] == "converting":
            best = max(waiting, key=relevance.__getitem__)
            assert event["index"] == best, f"took #{event['index']} while #{best} was waiting"
            waiting.remove(best)
            picks.append(best)
    assert sorted(picks) == list(relevance)
    # Those that queued behind the first (#0 where the converter was up at once): by relevance.
    assert picks[1:] == sorted(picks[1:], key=relevance.__getitem__, reverse=True)


async def test_a_long_documents_later_page_ranges_are_not_starved_by_idle_slots(
    open_web, make_paper, context
):
    # One converter worker (two slots: its current document and the next). A three-page paper
    # goes in one-page ranges while a second paper is still downloading: the slot that waits for
    # that paper holds a converter place, and the later ranges must not wait behind it.
    slow_download_s = 6.0
    long_paper, slow_paper = make_paper(1, pages=3), make_paper(2)
    open_web.host.add("/long.pdf", Respond(body=long_paper.pdf))
    open_web.host.add("/slow.pdf", Respond(body=slow_paper.pdf, delay_s=slow_download_s))
    papers = [
        {"doi": long_paper.doi, "oa_urls": [open_web.url("/long.pdf")]},
        {"doi": slow_paper.doi, "oa_urls": [open_web.url("/slow.pdf")]},
    ]

    run = await run_graph(
        graph,
        {"papers": papers},
        context=context(conversion_workers=1, calibrated_seconds_per_page=0.05, pages_per_chunk=1),
    )

    assert [o["status"] for o in run.output["outcomes"]] == ["converted", "converted"]
    assert run.output["outcomes"][0]["markdown"].count("Calibrated conversion of") == 3
    converted_long = run.stages("converted")[0]
    assert converted_long["index"] == 0
    # Converted while the slow paper was still downloading, not once it arrived.
    assert converted_long["received"] < next(
        e["received"] for e in run.events if e["stage"] == "downloaded" and e["index"] == 1
    )
    started = next(e["received"] for e in run.events if e["stage"] == "converting")
    assert converted_long["received"] - started < slow_download_s / 2
