"""One XHTML content document to markdown, with markdownify doing the common HTML.

The EPUB-specific parts are marked in the tree first (epub.py does it for a whole book) as
elements markdownify is taught here: `<md-noteref n>` becomes `[^n]`, `<md-note n>` the
footnote definition `[^n]: ...`, `<md-math tex display>` `$...$` or `$$...$$`. Headings keep
their tag; epub.py renames them to the level the table of contents gives.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag
from markdownify import MarkdownConverter

from .mathml import local_name, mathml_to_latex

NOTEREF = "md-noteref"
NOTE = "md-note"
MATH = "md-math"
# Navigation lists inside content (a printed table of contents, landmarks, page lists) repeat
# what the headings already say; hidden elements are not shown to a reader either.
_NAV_TYPES = frozenset({"toc", "landmarks", "page-list", "lot", "loi"})
_BLANK_LINES = re.compile(r"\n{3,}")
# Real books nest elements a few dozen levels deep at most; markdownify and the MathML reader
# recurse once per level, and a hostile file nests thousands of `<div>`s to exhaust the stack.
MAX_DEPTH = 200


def parse_xhtml(data: bytes) -> BeautifulSoup:
    """A lenient parse: the standard library's HTML parser reads XHTML, named entities and
    prefixed elements (`m:math`, `epub:switch`) alike, and never fetches a DTD."""
    return BeautifulSoup(data, "html.parser")


def epub_types(tag: Tag) -> set[str]:
    """The element's `epub:type` tokens and its DPUB-ARIA role (`doc-footnote` → `footnote`)."""
    types = set(str(tag.get("epub:type", "")).split())
    types.update(r.removeprefix("doc-") for r in str(tag.get("role", "")).split())
    return types


def body_of(soup: BeautifulSoup) -> Tag:
    body = soup.find("body")
    return body if isinstance(body, Tag) else soup


def tidy(body: Tag) -> None:
    """Remove what a reader never sees; resolve `epub:switch`; turn MathML into LaTeX marks."""
    unseen = [
        tag
        for tag in body.find_all(True)
        if tag.name in ("script", "style", "template", "noscript")
        or tag.has_attr("hidden")
        or (tag.name == "nav" and epub_types(tag) & _NAV_TYPES)
        or (tag.name == "span" and "pagebreak" in epub_types(tag) and not tag.get_text(strip=True))
    ]
    for tag in unseen:
        tag.decompose()  # harmless on one inside an element removed before it
    for switch in body.find_all(lambda t: local_name(t) == "switch"):
        _resolve_switch(switch)
    for math in body.find_all(lambda t: local_name(t) == "math"):
        tex = mathml_to_latex(math)
        math.replace_with(Tag(name=MATH, attrs={"tex": tex, "display": _display(math)}))


def nesting_depth(body: Tag) -> int:
    """How deeply elements nest under `body` (one pass, no recursion)."""
    depth = {id(body): 0}
    deepest = 0
    for node in body.descendants:  # document order: a parent before its children
        if isinstance(node, Tag):
            level = depth.get(id(node.parent), 0) + 1
            depth[id(node)] = level
            deepest = max(deepest, level)
    return deepest


def _resolve_switch(switch: Tag) -> None:
    """`epub:switch`: the MathML case (which this converter reads), else the default."""
    chosen = None
    for case in switch.find_all(lambda t: local_name(t) == "case", recursive=False):
        if "MathML" in str(case.get("required-namespace", "")):
            chosen = case
            break
    if chosen is None:
        chosen = switch.find(lambda t: local_name(t) == "default", recursive=False)
    if chosen is None:
        switch.decompose()
        return
    chosen.name = "div"
    switch.replace_with(chosen)


def _display(math: Tag) -> str:
    if math.get("display") == "block" or math.get("mode") == "display":
        return "block"
    parent = math.parent
    if isinstance(parent, Tag) and parent.name in ("div", "figure", "section", "body", "td"):
        siblings_text = "".join(s for s in parent.strings if s.parent is parent).strip()
        if not siblings_text and len(parent.find_all(lambda t: local_name(t) == "math")) == 1:
            return "block"
    return "inline"


class _Markdown(MarkdownConverter):
    """markdownify, taught footnotes, formulas and HTML5's other block elements."""

    def convert_md_noteref(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return f"[^{el['n']}]"

    def convert_md_note(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        body = _BLANK_LINES.sub("\n\n", text.strip())
        lines = body.split("\n")
        indented = "\n".join(("    " + line) if line.strip() else "" for line in lines[1:])
        rest = ("\n" + indented) if indented else ""
        return f"\n\n[^{el['n']}]: {lines[0]}{rest}\n\n"

    def convert_md_math(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        tex = str(el.get("tex", "")).strip()
        if not tex:
            return ""
        if el.get("display") == "block" and "_inline" not in parent_tags:
            return f"\n\n$$\n{tex}\n$$\n\n"
        return f"${tex}$"

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        # A link inside the book (a cross-reference, an index entry) leads nowhere in markdown.
        href = str(el.get("href") or "")
        if not re.match(r"^[a-z][a-z0-9+.-]*:", href, re.IGNORECASE):
            return text
        return super().convert_a(el, text, parent_tags)

    # HTML5 sectioning and grouping elements are blocks too.
    convert_aside = MarkdownConverter.convert_div
    convert_figure = MarkdownConverter.convert_div
    convert_header = MarkdownConverter.convert_div
    convert_footer = MarkdownConverter.convert_div
    convert_main = MarkdownConverter.convert_div
    convert_hgroup = MarkdownConverter.convert_div
    convert_address = MarkdownConverter.convert_div
    convert_details = MarkdownConverter.convert_div
    convert_summary = MarkdownConverter.convert_div
    convert_nav = MarkdownConverter.convert_div


_CONVERTER = _Markdown(heading_style="ATX", bullets="-", sup_symbol="<sup>", sub_symbol="<sub>")


def to_markdown(body: Tag) -> str:
    """The markdown of a prepared body; blank runs squeezed, no trailing spaces."""
    # No-break spaces are typography; downstream tokenizers want plain spaces.
    text = _CONVERTER.process_tag(body, parent_tags=set()).replace("\xa0", " ")
    lines = [line.rstrip() if not line.endswith("  ") else line for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"
