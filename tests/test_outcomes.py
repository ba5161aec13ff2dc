"""Every input paper ends with exactly one outcome, whatever is wrong with it."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
import pytest

from workflows.research.academic_lit_review.paper_processor.errors import InvalidInput
from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (
    Respond,
    challenge_page,
    html_page,
)
from workflows.research.academic_lit_review.paper_processor.testing.pdfs import (
    truncate_pdf,
    write_encrypted_pdf,
)

from .conftest import run_graph

# Under the rules of `langgraph dev`: a blocking call on the event loop fails the test.
pytestmark = pytest.mark.usefixtures("langgraph_dev_rules")


async def test_bad_inputs_each_get_one_outcome(
    open_web, retrieve_service, make_paper, context, tmp_path
):
    good, html, missing, truncated, challenge, failing, later = (make_paper(s) for s in range(7))
    open_web.host.add("/good.pdf", Respond(body=good.pdf))
    open_web.host.add(
        "/html.pdf",
        Respond(body=html_page("Article", "<p>Read online</p>"), content_type="application/pdf"),
    )
    broken = truncate_pdf(truncated.pdf, tmp_path / "truncated.pdf", keep_fraction=0.4)
    open_web.host.add("/truncated.pdf", Respond(body=broken))
    open_web.host.add(
        "/challenge.pdf", Respond(body=challenge_page(), status=403, content_type="text/html")
    )
    encrypted = write_encrypted_pdf(tmp_path / "enc.pdf", title="Locked")
    open_web.host.add("/encrypted.pdf", Respond(body=encrypted))
    retrieve_service.host.fail(failing.doi, error_code="SOURCE_BLOCKED", error="publisher blocked")
    # A paper whose first OA URL is a 404 but whose second works.
    open_web.host.add("/later.pdf", Respond(body=later.pdf))

    papers = [
        {"doi": good.doi, "title": good.title, "oa_urls": [open_web.url("/good.pdf")]},
        {"doi": html.doi, "title": html.title, "oa_urls": [open_web.url("/html.pdf")]},
        {"doi": missing.doi, "title": missing.title, "oa_urls": [open_web.url("/gone.pdf")]},
        {
            "doi": truncated.doi,
            "title": truncated.title,
            "oa_urls": [open_web.url("/truncated.pdf")],
        },
        {
            "doi": challenge.doi,
            "title": challenge.title,
            "oa_urls": [open_web.url("/challenge.pdf")],
        },
        {"doi": "10.5555/locked", "title": "Locked", "oa_urls": [open_web.url("/encrypted.pdf")]},
        {"doi": failing.doi, "title": failing.title},  # only retrieve-academic; its job fails
        {
            "doi": later.doi,
            "title": later.title,
            "oa_urls": [open_web.url("/nope.pdf"), open_web.url("/later.pdf")],
        },
        {"title": None, "authors": ["Nobody"]},  # no identifier at all
        {"doi": f"https://doi.org/{good.doi.upper()}", "title": "Same paper, other spelling"},
        {"doi": "not-a-doi", "title": "Malformed"},
        "a string is not a paper",
        {"title": good.title, "year": 2020, "oa_urls": [open_web.url("/good.pdf")]},
    ]
    run = await run_graph(
        graph,
        {"papers": papers},
        context=context(retrieve_url=retrieve_service.base_url, retrieve_job_timeout_s=20),
    )
    outcomes = run.output["outcomes"]
    assert [o["index"] for o in outcomes] == list(range(len(papers)))
    got = [(o["status"], o["reason"]) for o in outcomes]
    # Without a retrieve-academic copy, OA failures end as the service's job failure:
    # the service does not hold those papers and answers NOT_FOUND.
    assert got == [
        ("converted", None),
        ("failed", "job_failed"),
        ("failed", "job_failed"),
        ("failed", "job_failed"),
        ("failed", "job_failed"),
        ("failed", "job_failed"),
        ("failed", "job_failed"),
        ("converted", None),
        ("failed", "no_identifier"),
        ("failed", "duplicate"),
        ("failed", "invalid_input"),
        ("failed", "invalid_input"),
        ("converted", None),
    ]
    # What each source did is kept in the outcome, with its own reason.
    first_reasons = [o["tried"][0]["reason"] if o["tried"] else None for o in outcomes[1:6]]
    assert first_reasons == [
        "html_page",
        "http_error",
        "corrupt_pdf",
        "html_challenge",
        "encrypted",
    ]
    assert "SOURCE_BLOCKED" in outcomes[6]["message"]
    assert outcomes[7]["tried"][0]["reason"] == "http_error"
    assert outcomes[12]["key"].startswith("title:")
    assert run.output["summary"] == {
        "total": 13,
        "converted": 3,
        "failed": 10,
        "by_reason": {"job_failed": 6, "no_identifier": 1, "duplicate": 1, "invalid_input": 2},
    }
    # Every paper that reached acquisition got exactly one terminal event.
    for index in (0, 1, 2, 3, 4, 5, 6, 7, 12):
        terminal = [
            e for e in run.events if e["index"] == index and e["stage"] in {"converted", "failed"}
        ]
        assert len(terminal) == 1, (index, terminal)
    # Nothing partial is left in the store.
    assert list((tmp_path / "workspace" / "tmp").iterdir()) == []


async def test_without_retrieve_service_oa_failures_keep_their_reason(
    open_web, make_paper, context
):
    paper = make_paper(1)
    open_web.host.add(
        "/html.pdf", Respond(body=html_page("Landing", "<p>x</p>"), content_type="text/html")
    )
    papers = [
        {"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url("/html.pdf")]},
        {"doi": "10.5555/none", "title": "Closed access"},
    ]
    run = await run_graph(graph, {"papers": papers}, context=context())
    assert [(o["stage"], o["reason"]) for o in run.output["outcomes"]] == [
        ("acquire", "html_page"),
        ("acquire", "no_open_access"),
    ]


async def test_unhealthy_service_fails_fast_with_service_unavailable(retrieve_service, context):
    retrieve_service.host.healthy = False
    run = await run_graph(
        graph,
        {"papers": [{"doi": "10.5555/x", "title": "X"}]},
        context=context(retrieve_url=retrieve_service.base_url),
    )
    assert run.outcome(0)["reason"] == "service_unavailable"
    assert retrieve_service.host.submissions == []


async def test_loopback_urls_are_refused_unless_allowed(open_web, make_paper, context):
    paper = make_paper(2)
    open_web.host.add("/p.pdf", Respond(body=paper.pdf))
    run = await run_graph(
        graph,
        {"papers": [{"doi": paper.doi, "oa_urls": [open_web.url("/p.pdf"), "file:///etc/passwd"]}]},
        context=context(allow_private_hosts=False),
    )
    outcome = run.outcome(0)
    assert outcome["reason"] == "blocked_url"
    assert [a["reason"] for a in outcome["tried"]] == ["blocked_url", "blocked_url"]
    assert open_web.host.requests == []


async def test_input_that_is_not_a_list_is_rejected_clearly(context):
    with pytest.raises(InvalidInput, match="must be a list"):
        await graph.ainvoke({"papers": {"doi": "10.1/x"}}, context=context())


async def test_second_run_does_no_download_or_conversion(open_web, make_paper, context, tmp_path):
    papers = []
    for seed in range(3):
        paper = make_paper(seed)
        open_web.host.add(f"/{seed}.pdf", Respond(body=paper.pdf))
        papers.append(
            {"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url(f"/{seed}.pdf")]}
        )
    first = await run_graph(graph, {"papers": papers}, context=context())
    requests_after_first = len(open_web.host.requests)
    second = await run_graph(graph, {"papers": papers}, context=context())

    assert [o["cached"] for o in first.output["outcomes"]] == [False] * 3
    assert [o["cached"] for o in second.output["outcomes"]] == [True] * 3
    assert [o["markdown"] for o in second.output["outcomes"]] == [
        o["markdown"] for o in first.output["outcomes"]
    ]
    assert len(open_web.host.requests) == requests_after_first
    assert await anyio.to_thread.run_sync(_work_log, tmp_path / "workspace") == (3, 3)


def _work_log(workspace: Path) -> tuple[int, int]:
    """Downloads and conversions the store counted (read in a thread: the loop must not block)."""
    store = ArtifactStore(workspace)
    try:
        return store.count("download"), store.count("conversion")
    finally:
        store.close()
