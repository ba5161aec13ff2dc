"""An article's full text from its HTML page, as markdown, when no PDF can be had.

Publisher and repository pages often carry the whole article (PubMed Central, PLOS, PeerJ,
Frontiers), but most landing pages carry only the abstract, a paywall or a bot wall. A page is
accepted only when its main content reads like a paper:

- enough words (`min_words`, 1500 by default: abstract-only pages have a few hundred);
- at least two section headings a paper has (Introduction, Methods, Results, Discussion, ...);
- no paywall phrase ("Access through your institution", "Buy article", ...) and no bot wall.

Navigation, headers, footers, scripts and forms are dropped before anything is counted, and the
main content is the page's `<article>` / `<main>` when it has one. markdownify writes the
markdown (ATX headings), so marker can take it as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag
from markdownify import markdownify

from ..errors import SourceFailed
from ..models import Reason
from .landing import parse_html
from .validate import SNIFF_BYTES, is_challenge_page

DEFAULT_MIN_WORDS = 1500
_MIN_SECTIONS = 2
_BOILERPLATE = (
    "script",
    "style",
    "noscript",
    "nav",
    "aside",
    "form",
    "button",
    "svg",
    "iframe",
    "template",
    "select",
)
# A page's header and footer are chrome; an article's own (JATS front matter, notes) are not.
_PAGE_CHROME = ("header", "footer")
# Where sites put the article itself, most specific first.
_MAIN_SELECTORS = (
    "article",
    "main",
    "[role=main]",
    "#main-content",
    "#maincontent",
    ".article",
    "#content",
)
_SECTION = re.compile(
    r"^\W*(\d+(\.\d+)*\.?\s+)?(introduction|background|related work|methods?|materials and methods"
    r"|methodology|experiments?|experimental (setup|section)|results?|results and discussion"
    r"|discussion|conclusions?|concluding remarks|evaluation|analysis|limitations|references"
    r"|acknowledge?ments)\b",
    re.IGNORECASE,
)
_PAYWALL = re.compile(
    r"access through your institution|purchase (this )?(article|pdf|access)|buy (this )?article"
    r"|rent (this )?article|get full access|subscribe to (this )?journal|log ?in to (view|access|read)"
    r"|available to subscribers|institutional login|access this article|get access to the full",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FullText:
    markdown: str
    words: int
    sections: int
    title: str | None


def extract_fulltext(html: bytes | str, *, min_words: int = DEFAULT_MIN_WORDS) -> FullText:
    """The page's article as markdown, or SourceFailed(html_page / html_challenge) saying why not.

    Blocking (parsing a large page takes a while): call from a worker thread.
    """
    raw = html.encode("utf-8", "replace") if isinstance(html, str) else html
    if is_challenge_page(raw[:SNIFF_BYTES]):
        raise SourceFailed(Reason.HTML_CHALLENGE, "bot-challenge page, not an article")
    soup = parse_html(raw)
    title = _title(soup)
    for tag in soup(_BOILERPLATE):
        tag.decompose()
    for tag in soup(_PAGE_CHROME):
        if not tag.decomposed and tag.find_parent("article") is None:
            tag.decompose()
    main = _main_content(soup)
    text = main.get_text(" ", strip=True)
    words = len(text.split())
    # A paywall widget next to thousands of words of article does not make it a paywall page.
    if words < 3 * min_words and (match := _PAYWALL.search(text)) is not None:
        raise SourceFailed(Reason.HTML_PAGE, f"paywalled page ({match.group(0)!r}), not full text")
    headings = [h.get_text(" ", strip=True) for h in main.find_all(["h1", "h2", "h3", "h4"])]
    sections = sum(1 for heading in headings if _SECTION.match(heading))
    if words < min_words or sections < _MIN_SECTIONS:
        raise SourceFailed(
            Reason.HTML_PAGE,
            f"not full text ({words} words, {sections} paper sections; abstract or landing page)",
        )
    markdown = markdownify(str(main), heading_style="ATX", strip=["img", "a"])
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
    if title and title.casefold() not in markdown[:2000].casefold():
        markdown = f"# {title}\n\n{markdown}"
    return FullText(markdown=markdown, words=words, sections=sections, title=title)


def _title(soup: BeautifulSoup) -> str | None:
    meta = soup.find("meta", attrs={"name": re.compile(r"^(citation_title|dc\.title)$", re.I)})
    if isinstance(meta, Tag) and meta.get("content"):
        return str(meta["content"]).strip() or None
    if soup.title is not None and soup.title.string:
        return soup.title.string.strip() or None
    return None


def _main_content(soup: BeautifulSoup) -> Tag:
    # A container counts only if it holds most of the page: some sites wrap just the header.
    body = soup.body or soup
    body_words = len(body.get_text(" ", strip=True).split())
    for selector in _MAIN_SELECTORS:
        node = soup.select_one(selector)
        if node is not None and len(node.get_text(" ", strip=True).split()) >= body_words / 2:
            return node
    return body
