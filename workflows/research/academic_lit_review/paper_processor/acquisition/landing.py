"""Mine a publisher's landing page for the link to its PDF (or EPUB), as Zotero's translators do.

In order of trust:

1. `<meta name="citation_pdf_url">` (Highwire Press tags, asked for by Google Scholar), and the
   bepress / EPrints variants of it;
2. `<link type="application/pdf">` (usually `rel="alternate"`), and the PDF a viewer page
   embeds (`<iframe>`, `<embed>`, `<object>`);
3. an `<a>` that plainly leads to a PDF: its path ends in `.pdf` or has a `/pdf` segment, or its
   text says PDF. Only a few, so a page full of references cannot send us around the web.

Relative links resolve against the page's final URL (or its `<base href>`); only http(s) links
are kept, without repeats.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

PDF_META_NAMES = ("citation_pdf_url", "bepress_citation_pdf_url", "eprints.document_url")
MAX_ANCHOR_LINKS = 3
_PDF_PATH = re.compile(r"(\.pdf$)|(/pdf(/|$))|(/pdfft$)|(/epdf/)", re.IGNORECASE)
_PDF_TEXT = re.compile(r"\b(download\s+)?(full[\s-]*text\s+)?pdf\b", re.IGNORECASE)


def parse_html(html: bytes | str) -> BeautifulSoup:
    """Parse with the standard library's parser; bs4 finds the encoding of bytes itself."""
    return BeautifulSoup(html, "html.parser")


def find_pdf_links(page: bytes | str | BeautifulSoup, page_url: str) -> list[str]:
    """The page's links to its PDF, most trustworthy first. Blocking: call from a worker thread."""
    soup = page if isinstance(page, BeautifulSoup) else parse_html(page)
    base = page_url
    if (tag := soup.find("base", href=True)) is not None:
        base = urljoin(page_url, str(tag["href"]))
    found: list[str] = []

    def keep(href: object) -> None:
        if not isinstance(href, str) or not href.strip():
            return
        url = urljoin(base, href.strip())
        if urlsplit(url).scheme in ("http", "https") and url not in found:
            found.append(url)

    for meta in soup.find_all("meta"):
        name = str(meta.get("name") or meta.get("property") or "").strip().lower()
        if name in PDF_META_NAMES:
            keep(meta.get("content"))
    for link in soup.find_all("link", href=True):
        if str(link.get("type", "")).strip().lower() == "application/pdf":
            keep(link["href"])
    # PDF viewer pages embed the file itself.
    for frame in soup.find_all(["iframe", "embed", "object"]):
        src = frame.get("src") or frame.get("data")
        if isinstance(src, str) and (
            _PDF_PATH.search(urlsplit(urljoin(base, src)).path)
            or str(frame.get("type", "")).lower() == "application/pdf"
        ):
            keep(src)
    anchors = 0
    for anchor in soup.find_all("a", href=True):
        if anchors >= MAX_ANCHOR_LINKS:
            break
        href = str(anchor["href"])
        path = urlsplit(urljoin(base, href)).path
        typed = str(anchor.get("type", "")).lower() == "application/pdf"
        if typed or _PDF_PATH.search(path) or _PDF_TEXT.fullmatch(anchor.get_text(" ", strip=True)):
            before = len(found)
            keep(href)
            anchors += len(found) - before
    return found


EPUB_META_NAMES = ("citation_epub_url",)
_EPUB_PATH = re.compile(r"(\.epub$)|(/epub(/|$))", re.IGNORECASE)
_EPUB_TEXT = re.compile(r"\b(download\s+)?(full[\s-]*text\s+)?e-?pub\b", re.IGNORECASE)
_EPUB_TYPE = "application/epub+zip"


def find_epub_links(page: bytes | str | BeautifulSoup, page_url: str) -> list[str]:
    """The page's links to an EPUB of the work (open-access books often have one beside the
    PDF): meta tags, `<link>`/`<a>` typed application/epub+zip, anchors whose path ends in
    `.epub` or whose text says EPUB. Blocking: call from a worker thread."""
    soup = page if isinstance(page, BeautifulSoup) else parse_html(page)
    base = page_url
    if (tag := soup.find("base", href=True)) is not None:
        base = urljoin(page_url, str(tag["href"]))
    found: list[str] = []

    def keep(href: object) -> bool:
        if not isinstance(href, str) or not href.strip():
            return False
        url = urljoin(base, href.strip())
        if urlsplit(url).scheme in ("http", "https") and url not in found:
            found.append(url)
            return True
        return False

    for meta in soup.find_all("meta"):
        name = str(meta.get("name") or meta.get("property") or "").strip().lower()
        if name in EPUB_META_NAMES:
            keep(meta.get("content"))
    for link in soup.find_all("link", href=True):
        if str(link.get("type", "")).strip().lower() == _EPUB_TYPE:
            keep(link["href"])
    anchors = 0
    for anchor in soup.find_all("a", href=True):
        if anchors >= MAX_ANCHOR_LINKS:
            break
        href = str(anchor["href"])
        typed = str(anchor.get("type", "")).strip().lower() == _EPUB_TYPE
        path = urlsplit(urljoin(base, href)).path
        if (
            typed
            or _EPUB_PATH.search(path)
            or _EPUB_TEXT.fullmatch(anchor.get_text(" ", strip=True))
        ):
            anchors += keep(href)
    return found
