"""Resolvers and the source chain: generated pages here; real recordings in test_resolvers_replay."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from workflows.research.academic_lit_review.paper_processor.acquisition.html_fulltext import (
    extract_fulltext,
)
from workflows.research.academic_lit_review.paper_processor.acquisition.landing import (
    find_pdf_links,
)
from workflows.research.academic_lit_review.paper_processor.acquisition.resolvers import (
    arxiv_pdf_url,
    crossref_candidates,
    openalex_candidates,
    pmc_urls,
    unpaywall_candidates,
)
from workflows.research.academic_lit_review.paper_processor.context import (
    DEFAULT_SOURCE_ORDER,
)
from workflows.research.academic_lit_review.paper_processor.errors import SourceFailed
from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.testing.faults import (
    ErrorStatus,
    challenge,
)
from workflows.research.academic_lit_review.paper_processor.testing.loopback import (
    serve_loopback,
)
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (
    OpenWebHost,
    Redirect,
    Respond,
)
from workflows.research.academic_lit_review.paper_processor.testing.pages import (
    article_page,
    landing_page,
)

from .conftest import Served, run_graph


@pytest.fixture
def hosts() -> Iterator[dict[str, Served]]:
    """Separate loopback hosts: arXiv, PMC, a DOI resolver, a publisher, an index."""
    names = ("arxiv", "pmc", "resolver", "publisher", "index")
    made = {name: OpenWebHost() for name in names}
    with (
        serve_loopback(made["arxiv"].app) as a,
        serve_loopback(made["pmc"].app) as p,
        serve_loopback(made["resolver"].app) as r,
        serve_loopback(made["publisher"].app) as u,
        serve_loopback(made["index"].app) as i,
    ):
        yield {
            name: Served(made[name], url) for name, url in zip(names, (a, p, r, u, i), strict=True)
        }


def routed(context, hosts, **overrides):
    values = dict(
        source_order=list(DEFAULT_SOURCE_ORDER),
        arxiv_base=hosts["arxiv"].base_url,
        pmc_base=hosts["pmc"].base_url,
        doi_resolver_base=hosts["resolver"].base_url,
        unpaywall_base=hosts["index"].base_url,
        openalex_base=hosts["index"].base_url,
        crossref_base=hosts["index"].base_url,
        contact_email="librarian@example.org",
        host_min_interval_s=0.0,
        backoff_base_s=0.01,
        calibrated_seconds_per_page=0.0,
    )
    values.update(overrides)
    return context(**values)


def test_pdf_urls_of_arxiv_and_pmc_ids():
    assert arxiv_pdf_url("2101.00001v2") == "https://arxiv.org/pdf/2101.00001v2"
    assert (
        arxiv_pdf_url("astro-ph/0601001", "http://127.0.0.1:9/")
        == "http://127.0.0.1:9/pdf/astro-ph/0601001"
    )
    assert pmc_urls("PMC123") == (
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC123/pdf/",
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC123/",
    )


def test_landing_page_links_resolve_against_the_page():
    page = (
        b'<html><head><base href="/journal/"><link rel="alternate" type="application/pdf" '
        b'href="a/article.pdf"></head><body><a href="x.html">Read</a><a href="/dl/7">PDF</a>'
        b'<a href="javascript:void(0)">PDF</a></body></html>'
    )
    assert find_pdf_links(page, "https://pub.example/landing") == [
        "https://pub.example/journal/a/article.pdf",
        "https://pub.example/dl/7",
    ]


def test_index_answers_become_candidates_pdfs_first():
    unpaywall = {
        "best_oa_location": {
            "url_for_pdf": "https://r.example/a.pdf",
            "url_for_landing_page": "https://r.example/a",
        },
        "oa_locations": [
            {"url_for_pdf": None, "url": "https://pub.example/a"},
            {"url_for_pdf": "https://r.example/a.pdf"},
        ],
    }
    assert [c.url for c in unpaywall_candidates(unpaywall)] == [
        "https://r.example/a.pdf",
        "https://r.example/a",
        "https://pub.example/a",
    ]
    openalex = {
        "open_access": {"oa_url": "https://pub.example/a"},
        "best_oa_location": {"pdf_url": "https://pub.example/a.pdf", "is_oa": True},
        "locations": [{"is_oa": False, "pdf_url": "https://closed.example/a.pdf"}],
    }
    assert [c.url for c in openalex_candidates(openalex)] == [
        "https://pub.example/a.pdf",
        "https://pub.example/a",
    ]
    crossref = {
        "message": {
            "link": [
                {"URL": "https://pub.example/xml", "content-type": "text/xml"},
                {"URL": "https://pub.example/page", "content-type": "unspecified"},
                {"URL": "https://pub.example/full.pdf", "content-type": "application/pdf"},
            ]
        }
    }
    assert [c.url for c in crossref_candidates(crossref)] == [
        "https://pub.example/full.pdf",
        "https://pub.example/page",
    ]


def test_html_full_text_needs_words_and_sections():
    article = article_page("Soil Carbon Under Grazing", ["First finding.", "Second finding."])
    text = extract_fulltext(article)
    assert text.sections == 4 and "## 1. Introduction" in text.markdown
    assert "Home" not in text.markdown  # navigation dropped
    for page in (
        landing_page("Soil Carbon Under Grazing"),
        article_page("Soil Carbon Under Grazing", ["x"], words=300),
    ):
        with pytest.raises(SourceFailed) as raised:
            extract_fulltext(page)
        assert raised.value.reason.value == "html_page"


async def test_routes_are_tried_in_order_and_a_pdf_beats_html_full_text(hosts, make_paper, context):
    paper = make_paper(3)
    hosts["arxiv"].host.add("/pdf/2101.00003", ErrorStatus(404))
    hosts["pmc"].host.add("/articles/PMC3/pdf/", challenge(403))
    hosts["pmc"].host.add(
        "/articles/PMC3/",
        Respond(body=article_page(paper.title, paper.paragraphs), content_type="text/html"),
    )
    hosts["resolver"].host.add(f"/{paper.doi}", Redirect(hosts["publisher"].url("/article/3")))
    hosts["publisher"].host.add(
        "/article/3",
        Respond(body=landing_page(paper.title, pdf_url="/article/3.pdf"), content_type="text/html"),
    )
    hosts["publisher"].host.add("/article/3.pdf", Respond(body=paper.pdf))

    run = await run_graph(
        graph,
        {
            "papers": [
                {"doi": paper.doi, "title": paper.title, "arxiv_id": "2101.00003", "pmcid": "PMC3"}
            ]
        },
        context=routed(context, hosts),
    )
    outcome = run.outcome(0)
    assert (outcome["status"], outcome["converter"]) == ("converted", "calibrated")
    assert outcome["source_url"] == hosts["publisher"].url("/article/3.pdf")
    assert [(a["source"], a["reason"]) for a in outcome["tried"]] == [
        ("arxiv", "http_error"),
        ("pmc", "html_challenge"),
        ("doi_landing", "html_page"),
        ("doi_landing", None),
    ]
    # The host that just served a wall went to the back of the queue: its article page (HTML
    # full text at best) was never needed.
    assert hosts["pmc"].host.records_for("/articles/PMC3/") == []


async def test_html_full_text_is_taken_when_no_route_has_a_pdf(hosts, make_paper, context):
    paper = make_paper(4)
    hosts["pmc"].host.add("/articles/PMC4/pdf/", challenge(403))
    hosts["pmc"].host.add(
        "/articles/PMC4/",
        Respond(body=article_page(paper.title, paper.paragraphs), content_type="text/html"),
    )
    run = await run_graph(
        graph, {"papers": [{"title": paper.title, "pmcid": "PMC4"}]}, context=routed(context, hosts)
    )
    outcome = run.outcome(0)
    assert (outcome["status"], outcome["converter"]) == ("converted", "html")
    assert outcome["source_url"] == hosts["pmc"].url("/articles/PMC4/")
    assert "## 2. Methods" in outcome["markdown"] and paper.paragraphs[1] in outcome["markdown"]
    # The same route's article page is still read after its PDF met a wall (last, as the host
    # is now in bad standing).
    assert [a["reason"] for a in outcome["tried"]] == ["html_challenge", "html_page", None]
    assert re.search(r"HTML full text \(\d+ words\)$", outcome["tried"][-1]["detail"])


async def test_abstract_paywall_and_wrong_pages_are_never_full_text(hosts, make_paper, context):
    paper, other = make_paper(5), make_paper(6)
    publisher = hosts["publisher"]
    publisher.host.add(
        "/abstract", Respond(body=landing_page(paper.title), content_type="text/html")
    )
    paywall = article_page(paper.title, paper.paragraphs).replace(
        b"<article>", b"<article><p>Access through your institution</p>"
    )
    publisher.host.add("/paywall", Respond(body=paywall, content_type="text/html"))
    publisher.host.add(
        "/other",
        Respond(body=article_page(other.title, other.paragraphs), content_type="text/html"),
    )
    publisher.host.add("/wall", challenge(200))
    run = await run_graph(
        graph,
        {
            "papers": [
                {
                    "doi": paper.doi,
                    "title": paper.title,
                    "oa_urls": [
                        publisher.url(p) for p in ("/abstract", "/paywall", "/other", "/wall")
                    ],
                }
            ]
        },
        context=routed(context, hosts, source_order=["oa_urls"]),
    )
    outcome = run.outcome(0)
    assert outcome["status"] == "failed"
    reasons = [(a["reason"], a["detail"]) for a in outcome["tried"]]
    assert reasons[0][0] == "html_page" and "not full text" in reasons[0][1]
    assert reasons[1][0] == "html_page" and "paywalled" in reasons[1][1]
    assert "wrong_paper" in [r for r, _ in reasons]
    assert reasons[-1][0] == "html_challenge"


async def test_a_host_that_refused_the_paper_is_not_asked_again_by_another_route(
    hosts, make_paper, context
):
    paper = make_paper(7)
    publisher = hosts["publisher"]
    publisher.host.add("/oa/7.pdf", ErrorStatus(403))
    hosts["resolver"].host.add(f"/{paper.doi}", Redirect(publisher.url("/landing/7")))
    publisher.host.add(
        "/landing/7",
        Respond(body=landing_page(paper.title, pdf_url="/7.pdf"), content_type="text/html"),
    )
    run = await run_graph(
        graph,
        {
            "papers": [
                {"doi": paper.doi, "title": paper.title, "oa_urls": [publisher.url("/oa/7.pdf")]}
            ]
        },
        context=routed(context, hosts, source_order=["oa_urls", "doi_landing"]),
    )
    tried = run.outcome(0)["tried"]
    assert [(a["source"], a["reason"]) for a in tried] == [
        ("oa_urls", "http_error"),
        ("doi_landing", "http_error"),
    ]
    assert tried[1]["detail"].startswith("not tried")
    assert [r.path for r in publisher.host.requests] == ["/oa/7.pdf"]
    assert len(hosts["resolver"].host.requests) == 1  # the DOI was resolved, the target skipped


async def test_source_order_is_configurable(hosts, make_paper, context):
    paper = make_paper(8)
    hosts["arxiv"].host.add("/pdf/2101.00008", Respond(body=paper.pdf))
    hosts["publisher"].host.add("/8.pdf", Respond(body=paper.pdf))
    papers = [
        {
            "doi": paper.doi,
            "title": paper.title,
            "arxiv_id": "2101.00008",
            "oa_urls": [hosts["publisher"].url("/8.pdf")],
        }
    ]
    run = await run_graph(
        graph, {"papers": papers}, context=routed(context, hosts, source_order=["arxiv", "oa_urls"])
    )
    assert run.outcome(0)["tried"] == [
        {
            "source": "arxiv",
            "url": hosts["arxiv"].url("/pdf/2101.00008"),
            "reason": None,
            "detail": None,
        }
    ]
    assert hosts["publisher"].host.requests == []


async def test_index_failures_never_record_the_api_key_or_email(hosts, make_paper, context):
    hosts["index"].host.add("/works/doi:10.5555/keyed", ErrorStatus(500))
    run = await run_graph(
        graph,
        {"papers": [{"doi": "10.5555/keyed", "title": "Keyed"}]},
        context=routed(
            context,
            hosts,
            source_order=["openalex"],
            retry_attempts=1,
            openalex_api_key="secret-key",
        ),
    )
    outcome = run.outcome(0)
    assert (outcome["reason"], outcome["tried"][0]["source"]) == ("http_error", "openalex")
    assert "HTTP 500" in outcome["tried"][0]["detail"]
    assert "secret-key" not in str(outcome) and "librarian" not in str(outcome)
    assert (
        hosts["index"].host.requests[0].query == "mailto=librarian%40example.org&api_key=secret-key"
    )
