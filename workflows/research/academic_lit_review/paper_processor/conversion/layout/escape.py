"""Text that markdown would misread as markup where a paragraph starts with it.

marker writes markdown with markdownify's `escape_misc` off, so a paragraph that opens with "#"
(a table's "# layers" column) or ">" would come out as a heading or a quotation. In the
text-layer layout the blocks are known, so the opening of each paragraph, caption and footnote is
escaped where it needs it. A paragraph that opens with "1." or "- " is left as it is: in a paper
that is a numbered or dashed step the layout did not take for a list item, and markdown's list is
what the page shows.
"""

from __future__ import annotations

import re

from .blocks import CAPTION, FOOTNOTE, TEXT, Block

_ESCAPED_KINDS = (TEXT, CAPTION, FOOTNOTE)
_FURNITURE = ("PageHeader", "PageFooter")
# What a markdown line may open with to be read as a heading or a quotation.
_MARKUP_START = re.compile(r"^\s*(?:#{1,6}(?=\s|$)|>)")


def escape_markdown_starts(pages: list[list[Block]]) -> None:
    """Escape, in place, the opening of each paragraph-like block that reads as markup.

    A block that continues a paragraph from before a column or page break is no paragraph start
    (marker joins it to the paragraph), so it stays as it is.
    """
    continuation = False
    for block in (b for blocks in pages for b in blocks if b.kind not in _FURNITURE):
        if block.kind in _ESCAPED_KINDS and not continuation:
            _escape_opening(block)
        continuation = block.continues


def _escape_opening(block: Block) -> None:
    line = block.lines[0]
    span = next((s for s in line.output.spans if s.text.strip()), None)
    if span is None:
        return
    escaped = escape_start(span.text)
    if escaped != span.text:
        span.text = escaped
        line.text = escape_start(line.text)


def escape_start(text: str) -> str:
    """`text` with a backslash before the markup it opens with, if any ("\\# layers")."""
    m = _MARKUP_START.match(text)
    if m is None:
        return text
    at = len(text) - len(text.lstrip())
    return text[:at] + "\\" + text[at:]
