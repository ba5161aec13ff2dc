"""Per-host politeness under load: concurrency, spacing, Retry-After, backoff, breaker, reputation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from workflows.research.academic_lit_review.paper_processor.acquisition.politeness import (
    retry_after_seconds,
)
from workflows.research.academic_lit_review.paper_processor.acquisition.reputation import (
    HostStanding,
)
from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore, HostRecord
from workflows.research.academic_lit_review.paper_processor.testing.faults import (
    ErrorStatus,
    FailFirst,
    challenge,
)
from workflows.research.academic_lit_review.paper_processor.testing.loopback import serve_loopback
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (
    OpenWebHost,
    RequestRecord,
    Respond,
)

from .conftest import Served, run_graph

LIMIT = 2
SPACING_S = 0.2
# The server sees a request some milliseconds after the client starts it, more under load (it
# runs in a thread of the test process). A late request shortens the gap after it and lengthens
# the one before by as much, so pairs of gaps are held to a tighter bound than single ones.
JITTER_S = 0.08
PAIR_JITTER_S = 0.03


@pytest.fixture
def three_hosts() -> Iterator[list[Served]]:
    hosts = [OpenWebHost() for _ in range(3)]
    with (
        serve_loopback(hosts[0].app) as a,
        serve_loopback(hosts[1].app) as b,
        serve_loopback(hosts[2].app) as c,
    ):
        yield [Served(host, url) for host, url in zip(hosts, (a, b, c), strict=True)]


def starts(records: list[RequestRecord]) -> list[float]:
    return sorted(r.started for r in records)


def polite(context, **overrides):
    values = dict(
        source_order=["oa_urls"],
        host_concurrency=LIMIT,
        host_min_interval_s=SPACING_S,
        calibrated_seconds_per_page=0.0,
        backoff_base_s=0.05,
        backoff_max_s=0.2,
    )
    values.update(overrides)
    return context(**values)


async def test_fifty_papers_over_three_hosts_keep_each_hosts_limits(
    three_hosts, make_paper, context
):
    papers, throttled_path = [], None
    for seed in range(50):
        served = three_hosts[seed % 3]
        paper = make_paper(seed)
        path = f"/p/{seed}.pdf"
        pdf = Respond(body=paper.pdf, delay_s=0.25)
        if seed % 3 == 2 and throttled_path is None:
            throttled_path = path  # host C's first paper: 429 with Retry-After: 2, then the PDF
            served.host.add(path, FailFirst(1, ErrorStatus(429, retry_after="2"), pdf))
        else:
            served.host.add(path, pdf)
        papers.append({"doi": paper.doi, "title": paper.title, "oa_urls": [served.url(path)]})

    run = await run_graph(
        graph, {"papers": papers}, context=polite(context, download_concurrency=8)
    )

    assert [o["status"] for o in run.output["outcomes"]] == ["converted"] * 50
    a, b, c = (served.host for served in three_hosts)
    for host in (a, b, c):
        assert max(r.concurrent_at_start for r in host.requests) <= LIMIT
        times = starts(host.requests)
        gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
        assert min(gaps) >= SPACING_S - JITTER_S, gaps
        pairs = [later - earlier for earlier, later in zip(times, times[2:], strict=False)]
        assert min(pairs) >= 2 * SPACING_S - PAIR_JITTER_S, pairs
    assert (
        max(r.concurrent_at_start for r in a.requests + b.requests) == LIMIT
    )  # limits were reached

    throttled = [r for r in c.requests if r.status == 429]
    assert len(throttled) == 1 and len(c.records_for(throttled_path)) == 2
    held_from = throttled[0].started
    # Host C started nothing until its Retry-After had passed...
    assert all(s >= held_from + 2.0 - JITTER_S for s in starts(c.requests) if s > held_from)
    # ...while hosts A and B carried on meanwhile, without a stall.
    for host in (a, b):
        during = [s for s in starts(host.requests) if held_from < s < held_from + 2.0]
        assert during, "a throttled host held up the other hosts"


async def test_transient_errors_are_retried_with_backoff_then_given_up(
    open_web, make_paper, context
):
    flaky, broken = make_paper(1), make_paper(2)
    open_web.host.add("/flaky.pdf", FailFirst(2, ErrorStatus(503), Respond(body=flaky.pdf)))
    open_web.host.add("/broken.pdf", ErrorStatus(502))
    papers = [
        {"doi": flaky.doi, "title": flaky.title, "oa_urls": [open_web.url("/flaky.pdf")]},
        {"doi": broken.doi, "title": broken.title, "oa_urls": [open_web.url("/broken.pdf")]},
    ]
    run = await run_graph(
        graph, {"papers": papers}, context=polite(context, retry_attempts=3, breaker_failures=10)
    )

    assert run.outcome(0)["status"] == "converted", (
        run.outcome(0)["message"],
        run.outcome(0)["tried"],
    )
    assert len(open_web.host.records_for("/flaky.pdf")) == 3
    assert (run.outcome(1)["status"], run.outcome(1)["reason"]) == ("failed", "http_error")
    assert len(open_web.host.records_for("/broken.pdf")) == 3  # bounded


async def test_a_retry_after_beyond_the_cap_pauses_the_host_instead_of_waiting(
    open_web, make_paper, context
):
    papers = []
    for seed in range(4):
        paper = make_paper(seed)
        open_web.host.add(f"/{seed}.pdf", ErrorStatus(429, retry_after="3600"))
        papers.append(
            {"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url(f"/{seed}.pdf")]}
        )
    started = time.monotonic()
    run = await run_graph(
        graph, {"papers": papers}, context=polite(context, host_concurrency=1, retry_after_cap_s=5)
    )
    assert time.monotonic() - started < 60  # far below the 3600 s asked for: nobody waited it out
    assert [o["status"] for o in run.output["outcomes"]] == ["failed"] * 4
    assert len(open_web.host.requests) == 1  # one 429; the others never reached the host
    details = [o["tried"][0]["detail"] for o in run.output["outcomes"]]
    assert sum(d.startswith("HTTP 429") and "Retry-After 3600" in d for d in details) == 1
    assert sum("paused for" in d and "asked for Retry-After 3600 s" in d for d in details) == 3


async def test_consecutive_failures_open_the_hosts_breaker(open_web, make_paper, context):
    papers = []
    for seed in range(6):
        paper = make_paper(seed)
        open_web.host.add(f"/{seed}.pdf", ErrorStatus(500))
        papers.append(
            {"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url(f"/{seed}.pdf")]}
        )
    run = await run_graph(
        graph,
        {"papers": papers},
        context=polite(
            context, host_concurrency=1, retry_attempts=1, breaker_failures=3, breaker_cooldown_s=60
        ),
    )
    assert len(open_web.host.requests) == 3
    reasons = sorted(o["tried"][0]["reason"] for o in run.output["outcomes"])
    assert reasons == ["http_error"] * 3 + ["network_error"] * 3
    assert sum("paused" in o["tried"][0]["detail"] for o in run.output["outcomes"]) == 3


async def test_a_host_that_served_challenges_yesterday_is_tried_last_today(
    three_hosts, make_paper, context, tmp_path
):
    walled, fine, _ = three_hosts
    paper = make_paper(1)
    walled.host.add("/a.pdf", challenge(403))
    walled.host.add("/b.pdf", Respond(body=paper.pdf))
    fine.host.add("/b.pdf", Respond(body=paper.pdf))
    ctx = polite(context)
    # Yesterday: the walled host answered with a challenge page.
    first = await run_graph(
        graph,
        {"papers": [{"doi": "10.5555/other", "title": "Other", "oa_urls": [walled.url("/a.pdf")]}]},
        context=ctx,
    )
    assert first.outcome(0)["reason"] == "html_challenge"
    store = ArtifactStore(tmp_path / "workspace")
    try:
        record = store.host_records_sync()[walled.base_url.removeprefix("http://")]
        assert record.challenges == 1 and record.last_challenge_at is not None
    finally:
        store.close()
    before = len(walled.host.requests)

    # Today: the walled host is listed first for a paper, yet the other host is asked first.
    today = await run_graph(
        graph,
        {
            "papers": [
                {
                    "doi": paper.doi,
                    "title": paper.title,
                    "oa_urls": [walled.url("/b.pdf"), fine.url("/b.pdf")],
                }
            ]
        },
        context=ctx,
    )
    assert today.outcome(0)["status"] == "converted"
    assert today.outcome(0)["source_url"] == fine.url("/b.pdf")
    assert len(walled.host.requests) == before


def test_retry_after_is_read_as_seconds_or_a_date():
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("2") == 2.0
    assert (
        retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now)
        == 90
    )
    assert (
        retry_after_seconds(format_datetime(now - timedelta(seconds=5), usegmt=True), now=now) == 0
    )
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_bad_standing_fades_with_time_and_ends_with_a_success():
    day = 24 * 3600.0
    now = 10 * day
    walled = HostRecord("pub:443", challenges=1, last_challenge_at=now - day)
    assert HostStanding(walled).shunned(now, window_s=7 * day)
    assert not HostStanding(walled).shunned(now + 7 * day, window_s=7 * day)
    served_since = HostRecord(
        "pub:443", successes=1, challenges=1, last_challenge_at=now - day, last_success_at=now - 60
    )
    assert not HostStanding(served_since).shunned(now, window_s=7 * day)
    throttled = HostRecord("api:443", last_retry_after_at=now - 60, last_retry_after_s=30)
    assert HostStanding(throttled).shunned(now, window_s=7 * day)
    mostly_failing = HostRecord("old:443", successes=1, failures=9)
    assert HostStanding(mostly_failing).shunned(now, window_s=7 * day)
