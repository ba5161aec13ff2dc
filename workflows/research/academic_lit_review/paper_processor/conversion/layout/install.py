"""Plugging the layout stage into a marker `PdfConverter` (text-layer mode only)."""

from __future__ import annotations

import re
from typing import Any

from .builder import LayoutReport, builder_reporting_to
from .processors import adapt_processors

# Converter config the layout stage needs: blocks stay in the order it read them (marker would
# otherwise re-sort them by pdftext's character stream, which ignores columns).
LAYOUT_CONFIG: dict[str, Any] = {"use_pdftext_reading_order": False}


def install_layout_stage(converter: Any) -> list[LayoutReport]:
    """Make `converter` lay pages out with the text-layer layout stage.

    Returns the list each converted document's LayoutReport is appended to.
    """
    reports: list[LayoutReport] = []
    converter.layout_builder_class = builder_reporting_to(reports)
    converter.processor_list = adapt_processors(converter.processor_list)
    return reports


def headings_of(rendered: Any) -> list[dict]:
    """The rendered document's headings, `{"level", "text"}` in document order.

    marker's table-of-contents processor lists every section header it rendered.
    """
    toc = (getattr(rendered, "metadata", None) or {}).get("table_of_contents") or []
    headings = []
    for entry in toc:
        text = " ".join(str(entry.get("title", "")).split())
        if text:
            headings.append({"level": int(entry.get("heading_level") or 2), "text": text})
    return headings


_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s+\S")


def loosen_lists(markdown: str) -> str:
    """A blank line between the items of each list: one entry, one paragraph.

    marker writes list items on consecutive lines; a long list (a paper's references) then reads,
    to anything that splits markdown at blank lines, as one wall of text.
    """
    lines = markdown.split("\n")
    out: list[str] = []
    for number, line in enumerate(lines):
        out.append(line)
        following = lines[number + 1] if number + 1 < len(lines) else ""
        here, there = _ITEM.match(line), _ITEM.match(following)
        if here and there and here.group(1) == there.group(1):
            out.append("")
    return "\n".join(out)


_PAGE_ANCHOR = re.compile(r'<span id="page-\d+-\d+"></span>')
_PAGE_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(#page-\d+-\d+\)")


def drop_page_anchors(markdown: str) -> str:
    """The markdown without marker's links into its own pages: `[[12]](#page-9-0)` reads `[12]`
    and the `<span id="page-9-0">` anchors go. They glue markup to the words they sit on
    (`<span id="page-1-0"></span>Identifying`), and point nowhere once the text is chunked;
    links out of the document (URLs) stay."""
    return _PAGE_LINK.sub(r"\1", _PAGE_ANCHOR.sub("", markdown))
