"""Try a paper's routes in order until one yields its full text: a PDF or an EPUB, else an HTML
article.

For each route of `source_order` that applies to the paper (resolvers.py), every candidate URL
is fetched through the run's polite web (web.py):

    a PDF          validated (pdfium), checked to be this paper (right_paper.py), stored: done
    an EPUB        validated and converted to markdown (epub_fulltext.py), checked: done
    an HTML page   mined for links to its PDF or EPUB (landing.py), each tried the same way; if
                   none works the page may still hold the article itself (html_fulltext.py)
    a failure      recorded as an Attempt; the next candidate

Rules that keep the search short and polite:

- a host that refused the paper (bot wall, 401/403/429, 5xx, network) is not asked for it again
  by another route; the skipped URL is recorded, with the earlier refusal as its reason;
- candidates on a host in bad standing (reputation.py) are tried after all the others;
- HTML full text is the fallback: it is taken only when no route yields a PDF.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import anyio.to_thread
import httpx

from ..context import Context
from ..conversion.epub import CONVERTER_NAME
from ..errors import SourceFailed
from ..files import discard
from ..models import Attempt, Paper, Reason
from ..store import ArtifactStore
from .epub_fulltext import read_epub_fulltext
from .html_fulltext import FullText, extract_fulltext
from .landing import find_epub_links, find_pdf_links
from .politeness import host_key
from .resolvers import RESOLVERS, Candidate, ResolverConfig
from .right_paper import check_identity
from .validate import PdfInfo, classify_head, inspect_pdf
from .web import FetchFailed, PoliteWeb

# PDF links followed from a landing page (depth 0), and from a page one of those led to (a PDF
# viewer, an interstitial); pages deeper than that are not mined.
LINKS_PER_PAGE = (3, 1)
# The part of an HTML article that must name the paper (title block, front matter).
_HTML_HEAD_CHARS = 6000


@dataclass
class Acquisition:
    """What trying a paper's sources produced: a stored PDF, markdown to store, or attempts."""

    pdf_path: str | None = None
    pages: int | None = None  # PDF pages; for an EPUB its spine documents
    markdown_path: str | None = None  # HTML or EPUB full text, already markdown (a temp file)
    format: str = "pdf"  # what the full text arrived as: pdf, epub, html
    converter: str | None = None  # what made the markdown: html, epub-xhtml
    convert_s: float | None = None  # time that conversion took
    source_url: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class SourcePolicy:
    """The run's choices about where to look and what to accept."""

    order: tuple[str, ...] = ("oa_urls",)
    resolvers: ResolverConfig = field(default_factory=ResolverConfig)
    html_fulltext: bool = True
    html_min_words: int = 1500
    check_right_paper: bool = True
    max_epub_unpacked_bytes: int = 512 * 1024 * 1024

    @classmethod
    def from_context(cls, ctx: Context) -> SourcePolicy:
        return cls(
            order=tuple(dict.fromkeys(ctx.source_order)),
            resolvers=ResolverConfig.from_context(ctx),
            html_fulltext=ctx.html_fulltext,
            html_min_words=ctx.html_min_words,
            check_right_paper=ctx.check_right_paper,
            max_epub_unpacked_bytes=ctx.max_epub_unpacked_bytes,
        )


def candidate_urls(paper: Paper) -> list[str]:
    """The paper's own open-access URLs, best first, without repeats."""
    return list(dict.fromkeys(url for url in paper.oa_urls if url))


async def acquire_open_access(
    paper: Paper,
    key: str,
    web: PoliteWeb,
    store: ArtifactStore,
    *,
    policy: SourcePolicy,
    on_try: Callable[[str], None] = lambda url: None,
) -> Acquisition:
    started = time.perf_counter()
    search = _Search(paper, key, web, store, policy, on_try)
    result = await search.run()
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class _Pdf:
    tmp: Path
    info: PdfInfo
    url: str


@dataclass(frozen=True)
class _Epub:
    tmp: Path
    url: str


@dataclass(frozen=True)
class _Page:
    url: str
    html: bytes
    pdf_links: list[str]


@dataclass(frozen=True)
class _Fallback:
    route: str
    url: str
    text: FullText
    note: str | None


class _Search:
    """One paper's search: what was tried, which hosts refused it, the HTML fallback."""

    def __init__(
        self,
        paper: Paper,
        key: str,
        web: PoliteWeb,
        store: ArtifactStore,
        policy: SourcePolicy,
        on_try: Callable[[str], None],
    ) -> None:
        self.paper, self.key, self.web, self.store = paper, key, web, store
        self.policy, self.on_try = policy, on_try
        self.result = Acquisition()
        self.tried: set[str] = set()
        self.refused: dict[str, tuple[str, Reason]] = {}  # host → (route, reason)
        self.fallback: _Fallback | None = None

    async def run(self) -> Acquisition:
        cfg = self.policy.resolvers
        shunned: list[Candidate] = []
        for route in self.policy.order:
            resolver = RESOLVERS[route]
            if not resolver.applies(self.paper, cfg):
                continue
            try:
                candidates = await resolver.find(self.paper, self.web, cfg)
            except SourceFailed as failed:
                self._attempt(route, resolver.describe(self.paper, cfg), failed)
                continue
            for candidate in candidates:
                host = _host(candidate.url)
                if host is not None and self.web.reputation.shunned(host):
                    shunned.append(candidate)
                elif await self._try(candidate):
                    return self.result
        for candidate in shunned:
            note = _join(candidate.note, "tried last: host in bad standing")
            if await self._try(Candidate(candidate.route, candidate.url, note)):
                return self.result
        if self.fallback is not None:
            await self._take_fallback(self.fallback)
        return self.result

    # -- one candidate ---------------------------------------------------------------------------
    async def _try(self, candidate: Candidate, depth: int = 0) -> bool:
        url = candidate.url
        if url in self.tried:
            return False
        host = _host(url)
        if host is not None and host in self.refused and self.refused[host][0] != candidate.route:
            route, reason = self.refused[host]
            self.result.attempts.append(
                Attempt(
                    source=candidate.route,
                    url=url,
                    reason=reason,
                    detail=f"not tried: {host} already refused this paper ({reason.value} via {route})",
                )
            )
            return False
        self.tried.add(url)
        self.on_try(url)
        try:
            found = await self._fetch(url)
        except SourceFailed as failed:
            if isinstance(failed, FetchFailed) and failed.refused:
                self.refused.setdefault(failed.host, (candidate.route, failed.reason))
            self._attempt(candidate.route, url, failed, note=candidate.note)
            return False
        if isinstance(found, _Pdf):
            return await self._accept_pdf(candidate, found)
        if isinstance(found, _Epub):
            return await self._accept_epub(candidate, found)
        return await self._mine(candidate, found, depth)

    async def _fetch(self, url: str) -> _Pdf | _Epub | _Page:
        tmp = self.store.temp_path(".download")
        try:
            downloaded = await self.web.download(url, tmp)
            try:
                kind = classify_head(downloaded.head, downloaded.content_type)
            except SourceFailed as failed:
                if failed.reason is not Reason.HTML_PAGE:
                    raise
                html = await anyio.Path(tmp).read_bytes()
                links = await anyio.to_thread.run_sync(_fulltext_links, html, downloaded.url)
                await discard(tmp)
                return _Page(downloaded.url, html, links)
            if kind == "epub":
                return _Epub(tmp, downloaded.url)
            info = await anyio.to_thread.run_sync(inspect_pdf, tmp)
        except BaseException:
            await discard(tmp)
            raise
        return _Pdf(tmp, info, downloaded.url)

    async def _accept_pdf(self, candidate: Candidate, pdf: _Pdf) -> bool:
        flag = None
        if self.policy.check_right_paper:
            try:
                flag = check_identity(
                    pdf.info.first_page_text, title=self.paper.title, doi=self.paper.doi
                ).flag
            except SourceFailed as failed:
                await discard(pdf.tmp)
                self._attempt(candidate.route, candidate.url, failed, note=candidate.note)
                return False
        stored = await self.store.put_pdf(
            self.key,
            tmp_path=pdf.tmp,
            pages=pdf.info.pages,
            source="open_access",
            source_url=pdf.url,
        )
        self.result.pdf_path, self.result.pages = str(stored), pdf.info.pages
        self.result.source_url = pdf.url
        self.result.attempts.append(
            Attempt(source=candidate.route, url=candidate.url, detail=_join(candidate.note, flag))
        )
        return True

    async def _accept_epub(self, candidate: Candidate, epub: _Epub) -> bool:
        try:
            text = await read_epub_fulltext(
                epub.tmp,
                self.store,
                max_unpacked_bytes=self.policy.max_epub_unpacked_bytes,
                title=self.paper.title,
                doi=self.paper.doi,
                check_right_paper=self.policy.check_right_paper,
            )
        except SourceFailed as failed:
            self._attempt(candidate.route, candidate.url, failed, note=candidate.note)
            return False
        finally:
            await discard(epub.tmp)  # the markdown is what is kept
        result = self.result
        result.markdown_path, result.source_url = str(text.markdown_path), epub.url
        result.format, result.converter = "epub", CONVERTER_NAME
        result.pages, result.convert_s = text.documents, text.seconds
        result.attempts.append(
            Attempt(
                source=candidate.route,
                url=candidate.url,
                detail=_join(
                    candidate.note, f"EPUB, {text.documents} spine document(s)", text.flag
                ),
            )
        )
        return True

    async def _mine(self, candidate: Candidate, page: _Page, depth: int) -> bool:
        limit = LINKS_PER_PAGE[depth] if depth < len(LINKS_PER_PAGE) else 0
        links = [link for link in page.pdf_links if link not in self.tried][:limit]
        found = f"{len(links)} PDF/EPUB link(s) followed" if links else "no PDF or EPUB link"
        page_attempt = Attempt(
            source=candidate.route,
            url=candidate.url,
            reason=Reason.HTML_PAGE,
            detail=_join(candidate.note, f"HTML page, {found}"),
        )
        self.result.attempts.append(page_attempt)
        for link in links:
            if await self._try(
                Candidate(candidate.route, link, f"full-text link of {page.url}"), depth + 1
            ):
                return True
        if self.policy.html_fulltext and self.fallback is None:
            await self._consider_fulltext(candidate, page, page_attempt)
        return False

    async def _consider_fulltext(
        self, candidate: Candidate, page: _Page, page_attempt: Attempt
    ) -> None:
        try:
            text = await anyio.to_thread.run_sync(
                lambda: extract_fulltext(page.html, min_words=self.policy.html_min_words)
            )
            if self.policy.check_right_paper:
                check_identity(
                    text.markdown[:_HTML_HEAD_CHARS], title=self.paper.title, doi=self.paper.doi
                )
        except SourceFailed as failed:
            if failed.reason is Reason.HTML_PAGE:  # the usual case: say so on the page's attempt
                page_attempt.detail = _join(page_attempt.detail, failed.detail)
            else:
                self._attempt(candidate.route, candidate.url, failed, note=candidate.note)
            return
        self.fallback = _Fallback(candidate.route, page.url, text, candidate.note)

    async def _take_fallback(self, fallback: _Fallback) -> None:
        out = self.store.temp_path(".md")
        await anyio.Path(out).write_text(fallback.text.markdown, encoding="utf-8")
        self.result.markdown_path, self.result.source_url = str(out), fallback.url
        self.result.format, self.result.converter = "html", "html"
        self.result.attempts.append(
            Attempt(
                source=fallback.route,
                url=fallback.url,
                detail=_join(fallback.note, f"HTML full text ({fallback.text.words} words)"),
            )
        )

    def _attempt(
        self, route: str, url: str | None, failed: SourceFailed, note: str | None = None
    ) -> None:
        self.result.attempts.append(
            Attempt(source=route, url=url, reason=failed.reason, detail=_join(note, failed.detail))
        )


def _fulltext_links(html: bytes, url: str) -> list[str]:
    """A landing page's PDF links, then its EPUB links: PDFs keep their page numbers."""
    pdfs = find_pdf_links(html, url)
    return pdfs + [link for link in find_epub_links(html, url) if link not in pdfs]


def _host(url: str) -> str | None:
    try:
        return host_key(url)
    except (httpx.InvalidURL, TypeError):
        return None


def _join(*parts: str | None) -> str | None:
    return "; ".join(p for p in parts if p) or None
