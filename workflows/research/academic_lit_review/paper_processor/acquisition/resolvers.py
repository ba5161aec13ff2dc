"""Where a paper's open-access copy may be: one resolver per route, tried in `source_order`.

    oa_urls       the URLs the caller gave, best first
    arxiv         arXiv id (or an arXiv DOI 10.48550/arXiv.*) → {arxiv_base}/pdf/{id}
    pmc           PMCID → {pmc_base}/articles/{PMCID}/pdf/, then the article page (HTML full text)
    doi_landing   {doi_resolver_base}/{doi} → the publisher's page it redirects to (then mined)
    unpaywall     {unpaywall_base}/v2/{doi}?email=  → OA locations (PDFs first, then pages)
    openalex      {openalex_base}/works/doi:{doi}    → OA locations (mailto, optional api_key)
    crossref      {crossref_base}/works/{doi}        → publisher full-text links (not by default)

Unpaywall, OpenAlex and Crossref are asked only for a paper without OA URLs of its own (the
caller's list usually came from them), Unpaywall only with a contact email (it requires one).
A resolver returns candidate URLs, or raises `SourceFailed` (an index that knows no copy says
`no_open_access`). Fetching, mining landing pages and judging documents is `sources.py`'s job.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

from ..context import Context
from ..errors import SourceFailed
from ..models import Paper, Reason
from .web import PoliteWeb


@dataclass(frozen=True)
class Candidate:
    """A URL that may lead to the paper's full text, and the route that found it."""

    route: str
    url: str
    note: str | None = None  # where it came from within the route, for the outcome's record


@dataclass(frozen=True, kw_only=True)
class ResolverConfig:
    """What the resolvers need from the run's configuration (secrets stay out of outcomes)."""

    arxiv_base: str = "https://arxiv.org"
    pmc_base: str = "https://pmc.ncbi.nlm.nih.gov"
    doi_resolver_base: str = "https://doi.org"
    unpaywall_base: str = "https://api.unpaywall.org"
    openalex_base: str = "https://api.openalex.org"
    openalex_api_key: str | None = None
    crossref_base: str = "https://api.crossref.org"
    contact_email: str | None = None

    @classmethod
    def from_context(cls, ctx: Context) -> ResolverConfig:
        key = ctx.openalex_api_key.get_secret_value() if ctx.openalex_api_key else None
        return cls(
            arxiv_base=_base(ctx.arxiv_base),
            pmc_base=_base(ctx.pmc_base),
            doi_resolver_base=_base(ctx.doi_resolver_base),
            unpaywall_base=_base(ctx.unpaywall_base),
            openalex_base=_base(ctx.openalex_base),
            openalex_api_key=key,
            crossref_base=_base(ctx.crossref_base),
            contact_email=ctx.contact_email,
        )


Find = Callable[[Paper, PoliteWeb, ResolverConfig], Awaitable[list[Candidate]]]


@dataclass(frozen=True)
class Resolver:
    name: str
    applies: Callable[[Paper, ResolverConfig], bool]
    find: Find
    describe: Callable[[Paper, ResolverConfig], str | None] = lambda paper, cfg: None


def _base(url: str) -> str:
    return url.rstrip("/")


def _doi_path(doi: str) -> str:
    # DOIs may hold ?, #, ; and spaces: quote everything but the prefix/suffix slash.
    return quote(doi, safe="/")


# -- routes that need no lookup ---------------------------------------------------------------
async def _oa_urls(paper: Paper, web: PoliteWeb, cfg: ResolverConfig) -> list[Candidate]:
    return [Candidate("oa_urls", url) for url in dict.fromkeys(u for u in paper.oa_urls if u)]


def arxiv_pdf_url(arxiv_id: str, base: str = "https://arxiv.org") -> str:
    """The PDF of an arXiv id, new (2101.00001v2) or old style (astro-ph/0601001)."""
    return f"{_base(base)}/pdf/{quote(arxiv_id, safe='/.')}"


async def _arxiv(paper: Paper, web: PoliteWeb, cfg: ResolverConfig) -> list[Candidate]:
    assert paper.arxiv is not None
    return [Candidate("arxiv", arxiv_pdf_url(paper.arxiv, cfg.arxiv_base))]


def pmc_urls(pmcid: str, base: str = "https://pmc.ncbi.nlm.nih.gov") -> tuple[str, str]:
    """(PDF, article page) of a PMCID; the page is the HTML full text when the PDF is walled."""
    article = f"{_base(base)}/articles/{pmcid}/"
    return f"{article}pdf/", article


async def _pmc(paper: Paper, web: PoliteWeb, cfg: ResolverConfig) -> list[Candidate]:
    assert paper.pmcid is not None
    pdf, page = pmc_urls(paper.pmcid, cfg.pmc_base)
    return [Candidate("pmc", pdf), Candidate("pmc", page, note="article page")]


async def _doi_landing(paper: Paper, web: PoliteWeb, cfg: ResolverConfig) -> list[Candidate]:
    assert paper.doi is not None
    # Only the first hop here: the publisher's host is then known before it is contacted, so
    # a host that already failed this paper (or has a bad name) is not asked again first.
    url = f"{cfg.doi_resolver_base}/{_doi_path(paper.doi)}"
    target = await web.locate(url)
    if target is None:
        raise SourceFailed(Reason.NO_OPEN_ACCESS, f"{url} does not know the DOI")
    return [Candidate("doi_landing", target, note=f"via {url}")]


# -- open-access indexes ---------------------------------------------------------------------
def unpaywall_url(doi: str, cfg: ResolverConfig, *, public: bool = False) -> str:
    base = f"{cfg.unpaywall_base}/v2/{_doi_path(doi)}"
    return base if public else f"{base}?{urlencode({'email': cfg.contact_email or ''})}"


def unpaywall_candidates(record: dict[str, Any]) -> list[Candidate]:
    """Unpaywall's OA locations: PDFs first (best location first), then landing pages."""
    locations = _dicts(record.get("oa_locations"))
    best = record.get("best_oa_location")
    if isinstance(best, dict):
        locations.insert(0, best)
    pdfs = [(loc.get("url_for_pdf"), _where(loc)) for loc in locations]
    pages = [(loc.get("url_for_landing_page") or loc.get("url"), _where(loc)) for loc in locations]
    return _candidates("unpaywall", [*pdfs, *pages])


async def _unpaywall(paper: Paper, web: PoliteWeb, cfg: ResolverConfig) -> list[Candidate]:
    assert paper.doi is not None
    record = await _ask(web, unpaywall_url(paper.doi, cfg), cfg)
    if not isinstance(record, dict):
        raise SourceFailed(Reason.NO_OPEN_ACCESS, "Unpaywall does not know the DOI")
    found = unpaywall_candidates(record)
    if not found:
        raise SourceFailed(Reason.NO_OPEN_ACCESS, "Unpaywall knows no open-access copy")
    return found


def openalex_url(doi: str, cfg: ResolverConfig, *, public: bool = False) -> str:
    base = f"{cfg.openalex_base}/works/doi:{_doi_path(doi)}"
    params = {
        k: v for k, v in (("mailto", cfg.contact_email), ("api_key", cfg.openalex_api_key)) if v
    }
    return base if public or not params else f"{base}?{urlencode(params)}"


def openalex_candidates(work: dict[str, Any]) -> list[Candidate]:
    """OpenAlex's OA locations: PDFs first (best location first), then landing pages.

    Works with the full record and with `select=open_access` answers (only `oa_url` then).
    """
    best = work.get("best_oa_location")
    locations = [best] if isinstance(best, dict) else []
    primary = work.get("primary_location")
    if isinstance(primary, dict) and primary.get("is_oa"):
        locations.append(primary)
    locations += [loc for loc in _dicts(work.get("locations")) if loc.get("is_oa")]
    access = work.get("open_access") if isinstance(work.get("open_access"), dict) else {}
    pdfs = [(loc.get("pdf_url"), _where(loc)) for loc in locations]
    pages = [(access.get("oa_url"), "open_access.oa_url")]
    pages += [(loc.get("landing_page_url"), _where(loc)) for loc in locations]
    return _candidates("openalex", [*pdfs, *pages])


async def _openalex(paper: Paper, web: PoliteWeb, cfg: ResolverConfig) -> list[Candidate]:
    assert paper.doi is not None
    work = await _ask(web, openalex_url(paper.doi, cfg), cfg)
    if not isinstance(work, dict):
        raise SourceFailed(Reason.NO_OPEN_ACCESS, "OpenAlex does not know the DOI")
    found = openalex_candidates(work)
    if not found:
        raise SourceFailed(Reason.NO_OPEN_ACCESS, "OpenAlex knows no open-access copy")
    return found


def crossref_url(doi: str, cfg: ResolverConfig, *, public: bool = False) -> str:
    base = f"{cfg.crossref_base}/works/{_doi_path(doi)}"
    if public or not cfg.contact_email:
        return base
    return f"{base}?{urlencode({'mailto': cfg.contact_email})}"


def crossref_candidates(answer: dict[str, Any]) -> list[Candidate]:
    """Crossref's full-text links: typed or plainly PDF ones first, then pages to mine."""
    message = answer.get("message") if isinstance(answer.get("message"), dict) else answer
    links = _dicts(message.get("link"))
    typed = [
        (ln.get("URL"), ln.get("intended-application"))
        for ln in links
        if str(ln.get("content-type", "")).lower() == "application/pdf"
    ]
    looks_pdf = [
        (ln.get("URL"), ln.get("intended-application"))
        for ln in links
        if str(ln.get("content-type", "")).lower() == "unspecified"
        and "pdf" in str(ln.get("URL", "")).lower()
    ]
    pages = [
        (ln.get("URL"), ln.get("intended-application"))
        for ln in links
        if str(ln.get("content-type", "")).lower() in ("unspecified", "text/html")
    ]
    return _candidates("crossref", [*typed, *looks_pdf, *pages])


async def _crossref(paper: Paper, web: PoliteWeb, cfg: ResolverConfig) -> list[Candidate]:
    assert paper.doi is not None
    answer = await _ask(web, crossref_url(paper.doi, cfg), cfg)
    if not isinstance(answer, dict):
        raise SourceFailed(Reason.NO_OPEN_ACCESS, "Crossref does not know the DOI")
    found = crossref_candidates(answer)
    if not found:
        raise SourceFailed(Reason.NO_OPEN_ACCESS, "Crossref lists no full-text link")
    return found


async def _ask(web: PoliteWeb, url: str, cfg: ResolverConfig) -> Any | None:
    """An index's JSON answer; failures name the URL without the key and the email in it."""
    try:
        return await web.get_json(url)
    except SourceFailed as failed:
        detail = failed.detail
        for secret in (cfg.openalex_api_key, cfg.contact_email):
            if secret:
                for spelling in {secret, quote(secret, safe=""), quote_plus(secret)}:
                    detail = detail.replace(spelling, "***")
        raise SourceFailed(failed.reason, detail) from None


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _where(location: dict[str, Any]) -> str | None:
    parts = [location.get("host_type"), location.get("version")]
    source = location.get("source")
    if isinstance(source, dict):
        parts.append(source.get("display_name"))
    return ", ".join(str(p) for p in parts if p) or None


def _candidates(route: str, found: Iterable[tuple[object, object]]) -> list[Candidate]:
    seen: dict[str, Candidate] = {}
    for url, note in found:
        if isinstance(url, str) and url.startswith(("http://", "https://")) and url not in seen:
            seen[url] = Candidate(route, url, note=str(note) if note else None)
    return list(seen.values())


def _no_oa_urls_with_doi(paper: Paper, cfg: ResolverConfig) -> bool:
    return paper.doi is not None and not paper.oa_urls


RESOLVERS: dict[str, Resolver] = {
    "oa_urls": Resolver("oa_urls", lambda paper, cfg: bool(paper.oa_urls), _oa_urls),
    "arxiv": Resolver("arxiv", lambda paper, cfg: paper.arxiv is not None, _arxiv),
    "pmc": Resolver("pmc", lambda paper, cfg: paper.pmcid is not None, _pmc),
    "doi_landing": Resolver(
        "doi_landing",
        lambda paper, cfg: paper.doi is not None,
        _doi_landing,
        describe=lambda paper, cfg: f"{cfg.doi_resolver_base}/{_doi_path(paper.doi or '')}",
    ),
    "unpaywall": Resolver(
        "unpaywall",
        lambda paper, cfg: _no_oa_urls_with_doi(paper, cfg) and bool(cfg.contact_email),
        _unpaywall,
        describe=lambda paper, cfg: unpaywall_url(paper.doi or "", cfg, public=True),
    ),
    "openalex": Resolver(
        "openalex",
        _no_oa_urls_with_doi,
        _openalex,
        describe=lambda paper, cfg: openalex_url(paper.doi or "", cfg, public=True),
    ),
    "crossref": Resolver(
        "crossref",
        _no_oa_urls_with_doi,
        _crossref,
        describe=lambda paper, cfg: crossref_url(paper.doi or "", cfg, public=True),
    ),
}
