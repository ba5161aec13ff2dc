"""Resolvers against real recorded answers (../shared/data/http), replayed from loopback hosts.

papis' saved landing pages, vcrpy cassettes of Unpaywall, OpenAlex, Crossref and doi.org, and
arxiv.py's captures of the arXiv API. Skipped with a reason when ../shared/data is absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from workflows.research.academic_lit_review.paper_processor.acquisition.html_fulltext import (
    extract_fulltext,
)
from workflows.research.academic_lit_review.paper_processor.acquisition.landing import (
    find_pdf_links,
)
from workflows.research.academic_lit_review.paper_processor.acquisition.resolvers import (
    RESOLVERS,
    ResolverConfig,
    arxiv_pdf_url,
    crossref_candidates,
    unpaywall_candidates,
)
from workflows.research.academic_lit_review.paper_processor.acquisition.web import (
    open_web,
)
from workflows.research.academic_lit_review.paper_processor.context import (
    DEFAULT_SOURCE_ORDER,
)
from workflows.research.academic_lit_review.paper_processor.errors import SourceFailed
from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.models import Paper
from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore
from workflows.research.academic_lit_review.paper_processor.testing.loopback import (
    serve_loopback,
)
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (
    OpenWebHost,
    Respond,
)
from workflows.research.academic_lit_review.paper_processor.testing.pdfs import (
    write_paper_pdf,
)
from workflows.research.academic_lit_review.paper_processor.testing.replay import (
    find_recorded,
    load_arxiv_capture,
    load_cassette,
    replay,
    serve_page,
)

from .conftest import SHARED_DATA, Served, run_graph

HTTP = SHARED_DATA / "http"
PAPIS = HTTP / "papis+papis"
PAPERQA = HTTP / "Future-House+paper-qa"
pytestmark = pytest.mark.skipif(
    not HTTP.is_dir(), reason=f"recorded HTTP answers not available ({HTTP} is absent)"
)
pytest.importorskip("yaml", reason="reading vcrpy cassettes needs PyYAML")


def papis_pages() -> list[tuple[Path, dict]]:
    pages = []
    for html in sorted(PAPIS.glob("*.html")) if PAPIS.is_dir() else []:
        expected = html.with_name(f"{html.stem}_Out.json")
        pages.append((html, json.loads(expected.read_text()) if expected.exists() else {}))
    return pages


def is_challenge(html: Path) -> bool:
    return b"<title>Just a moment...</title>" in html.read_bytes()


@pytest.fixture
def two_hosts() -> Iterator[tuple[Served, Served]]:
    index, publisher = OpenWebHost(), OpenWebHost()
    with serve_loopback(index.app) as a, serve_loopback(publisher.app) as b:
        yield Served(index, a), Served(publisher, b)


def replayed(context, index: Served, **overrides):
    values = dict(
        source_order=list(DEFAULT_SOURCE_ORDER),
        unpaywall_base=index.base_url,
        openalex_base=index.base_url,
        crossref_base=index.base_url,
        doi_resolver_base=index.base_url,
        contact_email="librarian@example.org",
        host_min_interval_s=0.0,
        calibrated_seconds_per_page=0.0,
    )
    values.update(overrides)
    return context(**values)


def paper_pdf(tmp_path: Path, name: str, title: str) -> Path:
    return write_paper_pdf(
        tmp_path / name,
        title=title,
        authors=["A. Author"],
        paragraphs=["1 Introduction. The study as recorded."],
    )


# -- papis landing pages ---------------------------------------------------------------------
def test_papis_landing_pages_give_their_citation_pdf_url():
    checked = 0
    for html, expected in papis_pages():
        if not expected.get("pdf_url"):
            continue
        links = find_pdf_links(html.read_bytes(), expected.get("url") or "https://example.org/")
        assert links and links[0] == expected["pdf_url"], html.name
        checked += 1
    assert checked == 9  # ACL, HAL, IOP x2, kobv, PeerJ, Project Euclid x2, Springer


def test_papis_challenge_pages_are_walls_and_abstract_pages_are_not_full_text():
    seen = {"challenge": 0, "not_full_text": 0, "full_text": 0}
    for html, _ in papis_pages():
        try:
            extract_fulltext(html.read_bytes())
        except SourceFailed as failed:
            if is_challenge(html):
                assert failed.reason.value == "html_challenge", html.name
                seen["challenge"] += 1
            else:
                assert failed.reason.value == "html_page", html.name
                seen["not_full_text"] += 1
        else:
            assert html.name == "Fallback_peerj.html"  # the one page that carries the article
            seen["full_text"] += 1
    assert seen == {"challenge": 5, "not_full_text": 11, "full_text": 1}


async def test_papis_pages_through_the_graph(two_hosts, context, tmp_path):
    _, publisher = two_hosts
    papers = []
    # Landing pages whose citation_pdf_url leads (rewritten to loopback) to a PDF of the paper.
    for name, origin in [
        ("ACL_2021.naacl-main.208", "https://aclanthology.org"),
        ("Fallback_kobv", "https://opus4.kobv.de"),
        ("SpringerLink_BF02727953", "https://link.springer.com"),
    ]:
        expected = json.loads((PAPIS / f"{name}_Out.json").read_text())
        rewrite = {origin: publisher.base_url}
        publisher.host.add(
            f"/{name}", serve_page((PAPIS / f"{name}.html").read_bytes(), rewrite=rewrite)
        )
        pdf_path = expected["pdf_url"].removeprefix(origin)
        publisher.host.add(
            pdf_path, Respond(body=paper_pdf(tmp_path, f"{name}.pdf", expected["title"]))
        )
        papers.append({"title": expected["title"], "oa_urls": [publisher.url(f"/{name}")]})
    # Cloudflare walls, as a 200 and as a 403.
    for status, name in [(200, "ACS_acscombsci.5b00087"), (403, "TFOnline_00268976.2013.788745")]:
        publisher.host.add(
            f"/{name}", serve_page((PAPIS / f"{name}.html").read_bytes(), status=status)
        )
        papers.append({"title": f"Walled {name}", "oa_urls": [publisher.url(f"/{name}")]})
    # The PeerJ article page: its PDF is gone, the page itself is the article.
    peerj = json.loads((PAPIS / "Fallback_peerj_Out.json").read_text())
    publisher.host.add(
        "/peerj",
        serve_page(
            (PAPIS / "Fallback_peerj.html").read_bytes(),
            rewrite={"https://peerj.com": publisher.base_url},
        ),
    )
    papers.append(
        {"title": peerj["title"], "doi": peerj["doi"], "oa_urls": [publisher.url("/peerj")]}
    )

    run = await run_graph(
        graph,
        {"papers": papers},
        context=context(
            source_order=["oa_urls"], host_min_interval_s=0.0, calibrated_seconds_per_page=0.0
        ),
    )
    outcomes = run.output["outcomes"]
    assert [(o["status"], o["reason"], o["converter"]) for o in outcomes] == [
        ("converted", None, "calibrated")
    ] * 3 + [("failed", "html_challenge", None)] * 2 + [("converted", None, "html")]
    for outcome in outcomes[:3]:
        assert [a["reason"] for a in outcome["tried"]] == ["html_page", None]
        assert outcome["tried"][1]["detail"].startswith("full-text link of ")
    assert "## Introduction" in outcomes[5]["markdown"] and "## Abstract" in outcomes[5]["markdown"]


# -- Unpaywall, OpenAlex, Crossref -------------------------------------------------------------
PNAS_DOI = "10.1073/pnas.1414271111"
PNAS_TITLE = (
    "Developing functional musculoskeletal tissues through hypoxia and lysyl"
    " oxidase-induced collagen cross-linking"
)


def test_recorded_unpaywall_and_crossref_answers_become_candidates():
    cassette = load_cassette(PAPERQA / "test_doi_search[paper_attributes4].yaml")
    unpaywall = find_recorded(cassette, "api.unpaywall.org/v2/").json()
    assert [c.url for c in unpaywall_candidates(unpaywall)][:2] == [
        "https://www.pnas.org/content/pnas/111/45/E4832.full.pdf",
        "https://doi.org/10.1073/pnas.1414271111",
    ]
    crossref = find_recorded(cassette, "api.crossref.org/works/10.1073%2Fpnas.1414271111?").json()
    assert [c.url for c in crossref_candidates(crossref)] == [
        "https://pnas.org/doi/pdf/10.1073/pnas.1414271111"
    ]
    plos = find_recorded(
        load_cassette(HTTP / "sckott+habanero" / "test_works_with_one_id.yaml"),
        "journal.pone.0033693",
    ).json()
    assert [c.url for c in crossref_candidates(plos)] == [
        "http://dx.plos.org/10.1371/journal.pone.0033693"
    ]


async def test_unpaywall_answer_replayed_leads_to_the_pdf(two_hosts, context, tmp_path):
    index, publisher = two_hosts
    recorded = find_recorded(
        load_cassette(PAPERQA / "test_doi_search[paper_attributes4].yaml"), "api.unpaywall.org/v2/"
    )
    assert recorded.encoding == "gzip"  # served gzip-encoded, as recorded
    index.host.add(
        f"/v2/{PNAS_DOI}", replay(recorded, rewrite={"https://www.pnas.org": publisher.base_url})
    )
    publisher.host.add(
        "/content/pnas/111/45/E4832.full.pdf",
        Respond(body=paper_pdf(tmp_path, "pnas.pdf", PNAS_TITLE)),
    )
    run = await run_graph(
        graph,
        {"papers": [{"doi": PNAS_DOI, "title": PNAS_TITLE}]},
        context=replayed(context, index, source_order=["unpaywall"]),
    )
    outcome = run.outcome(0)
    assert outcome["status"] == "converted"
    assert outcome["source_url"] == publisher.url("/content/pnas/111/45/E4832.full.pdf")
    request = index.host.requests[0]
    assert request.query == "email=librarian%40example.org"
    assert "mailto:librarian@example.org" in request.headers["user-agent"]


OPENALEX_CASES = {
    "oa-in-openalex1": ("10.1021/acs.jctc.5b00178", ["https://www.osti.gov/biblio/1329576"]),
    "oa-in-openalex2": (
        "10.1093/nar/gkw1164",
        ["https://academic.oup.com/nar/article-pdf/45/1/311/9249485/gkw1164.pdf"],
    ),
    "not-oa-in-openalex": ("10.1002/wrna.1370", "knows no open-access copy"),
    "not-in-openalex": ("10.1046/j.1365-2699.2003.00795", "does not know the DOI"),
}


@pytest.mark.parametrize("case", sorted(OPENALEX_CASES))
async def test_recorded_openalex_answers(case, two_hosts, context, tmp_path):
    index, _ = two_hosts
    doi, expected = OPENALEX_CASES[case]
    recorded = load_cassette(PAPERQA / f"test_does_openalex_work[{case}].yaml")[0]
    index.host.add(f"/works/doi:{doi}", replay(recorded))
    ctx = replayed(context, index, openalex_api_key="secret-key")
    store = ArtifactStore(tmp_path / "ws")
    try:
        async with open_web(ctx, store) as web:
            find = RESOLVERS["openalex"].find(Paper(doi=doi), web, ResolverConfig.from_context(ctx))
            if isinstance(expected, list):
                assert [c.url for c in await find] == expected
            else:
                with pytest.raises(SourceFailed, match=expected) as raised:
                    await find
                assert raised.value.reason.value == "no_open_access"
    finally:
        store.close()
    assert index.host.requests[0].query == "mailto=librarian%40example.org&api_key=secret-key"


async def test_openalex_attempts_never_record_the_api_key(two_hosts, context):
    index, _ = two_hosts
    recorded = load_cassette(PAPERQA / "test_does_openalex_work[not-oa-in-openalex].yaml")[0]
    index.host.add("/works/doi:10.1002/wrna.1370", replay(recorded))
    run = await run_graph(
        graph,
        {"papers": [{"doi": "10.1002/wrna.1370", "title": "RNA"}]},
        context=replayed(context, index, source_order=["openalex"], openalex_api_key="secret-key"),
    )
    outcome = run.outcome(0)
    assert (outcome["reason"], outcome["tried"][0]["source"]) == ("no_open_access", "openalex")
    assert "secret-key" not in json.dumps(outcome) and "librarian" not in json.dumps(outcome)


# -- doi.org and arXiv ----------------------------------------------------------------------
async def test_recorded_doi_redirect_gives_the_landing_page(two_hosts, context, tmp_path):
    index, publisher = two_hosts
    recorded = find_recorded(
        load_cassette(HTTP / "sckott+habanero" / "test_content_negotiation.yaml"),
        "https://doi.org/",
    )
    assert recorded.status == 302
    index.host.add(
        "/10.1126/science.169.3946.635",
        replay(recorded, rewrite={"https://api.crossref.org": publisher.base_url}),
    )
    ctx = replayed(context, index)
    store = ArtifactStore(tmp_path / "ws")
    try:
        async with open_web(ctx, store) as web:
            found = await RESOLVERS["doi_landing"].find(
                Paper(doi="10.1126/science.169.3946.635"), web, ResolverConfig.from_context(ctx)
            )
    finally:
        store.close()
    assert [c.url for c in found] == [
        publisher.url("/v1/works/10.1126%2Fscience.169.3946.635/transform")
    ]
    assert publisher.host.requests == []  # located, not fetched: its host is judged first


def test_recorded_arxiv_entries_name_the_pdf_urls_we_build():
    checked = 0
    for capture in sorted((HTTP / "lukasschwab+arxiv.py").glob("id_*.json")):
        feed = load_arxiv_capture(capture).text()
        for entry in re.findall(r"<entry>(.*?)</entry>", feed, re.S):
            ident = re.search(r"<id>https?://arxiv\.org/abs/([^<]+)</id>", entry)
            pdf = re.search(r'<link href="([^"]+)"[^>]*title="pdf"', entry)
            if ident and pdf:
                assert arxiv_pdf_url(ident.group(1)) == pdf.group(1)
                checked += 1
    assert checked == 3  # 1707.08567v1, 2104.12255v1, astro-ph/0601001v1


async def test_arxiv_ids_and_arxiv_dois_reach_the_arxiv_pdf(two_hosts, context, tmp_path):
    arxiv, _ = two_hosts
    capture = load_arxiv_capture(
        HTTP / "lukasschwab+arxiv.py" / "id_astro-ph_0601001_s0_m100_3150dca9dc76.json"
    )
    title = re.findall(r"<title>([^<]+)</title>", capture.text())[1]
    arxiv.host.add("/pdf/astro-ph/0601001v1", Respond(body=paper_pdf(tmp_path, "astro.pdf", title)))
    second = paper_pdf(tmp_path, "cl.pdf", "A Study Posted With an arXiv DOI Only")
    arxiv.host.add("/pdf/2104.12255v1", Respond(body=second))
    papers = [
        {"arxiv_id": "astro-ph/0601001v1", "title": title},
        {"doi": "10.48550/arXiv.2104.12255v1", "title": "A Study Posted With an arXiv DOI Only"},
    ]
    run = await run_graph(
        graph,
        {"papers": papers},
        context=replayed(context, arxiv, arxiv_base=arxiv.base_url, source_order=["arxiv"]),
    )
    assert [(o["status"], o["tried"][-1]["source"]) for o in run.output["outcomes"]] == [
        ("converted", "arxiv"),
        ("converted", "arxiv"),
    ]
