"""A second look at the headings of the whole document, once every page is laid out.

Some lines look like headings on their own and are no sections of the document: the entries of
a table of contents repeat the section titles that follow (bold, numbered, on lines of their
own), and the bold head of a table stands over rows of cells side by side.
"""

from __future__ import annotations

import re

from .blocks import HEADING, TEXT, Block
from .headings import KNOWN, numbering
from .lines import DocumentStyle, TextLine

_CONTENTS = re.compile(r"^(table of )?contents$", re.I)
_ROWS_LOOKED_AT = 3  # rows right under a heading that tell a table from a paragraph
_CELL_ROWS = 2  # of those, rows of cells side by side that make the heading a table's head
_CELL_WORDS = 3  # a table cell holds a few words at most


def review_headings(pages: list[list[Block]], style: DocumentStyle) -> None:
    """Turn headings that are no sections into text, in place: table heads, contents entries."""
    for blocks in pages:
        demote_table_heads(blocks, style)
    demote_contents_entries([b for blocks in pages for b in blocks])


def demote_table_heads(blocks: list[Block], style: DocumentStyle) -> None:
    """An unnumbered heading over rows of cells side by side (in its column) heads a table."""
    runs: dict[int, list[TextLine]] = {}
    for block in blocks:
        if block.kind not in ("PageHeader", "PageFooter"):
            runs.setdefault(block.run, []).extend(block.lines)
    for block in blocks:
        if (
            block.kind != HEADING
            or block.title
            or block.run_in
            or numbering(block.text)
            or KNOWN.match(block.text)
        ):
            continue
        column = runs.get(block.run, block.lines)
        left, right = min(ln.x0 for ln in column), max(ln.x1 for ln in column)
        rows = _rows_below(block.lines[-1], blocks, left, right, style)
        cell_rows = sum(_cells_apart(row, style) for row in rows[:_ROWS_LOOKED_AT])
        if cell_rows >= _CELL_ROWS:
            block.kind = TEXT


def _rows_below(
    head: TextLine, blocks: list[Block], left: float, right: float, style: DocumentStyle
) -> list[list[TextLine]]:
    """The page's lines right under `head` within the column [left, right], as rows."""
    reach = head.y1 + (_ROWS_LOOKED_AT + 1) * style.line_pitch * max(head.size, 1) / style.body_size
    below = sorted(
        (
            ln
            for b in blocks
            if b.kind not in ("PageHeader", "PageFooter")
            for ln in b.lines
            if head.y1 - 1 <= ln.y0 <= reach and ln.x0 < right and ln.x1 > left
        ),
        key=lambda ln: ln.y0,
    )
    rows: list[list[TextLine]] = []
    for line in below:
        row = rows[-1] if rows else None
        if row and min(line.y1, row[0].y1) - max(line.y0, row[0].y0) > 0.5 * min(
            line.height, row[0].height
        ):
            row.append(line)
        else:
            rows.append([line])
    return rows


def _cells_apart(row: list[TextLine], style: DocumentStyle) -> bool:
    """Pieces of text side by side, a space of the body size or more apart, most of a few
    words (the lines of two columns under a full-width heading are no cells: each is long)."""
    cells = sorted(row, key=lambda ln: ln.x0)
    if len(cells) < 2 or sum(len(c.words) <= _CELL_WORDS for c in cells) * 2 < len(cells):
        return False
    return any(b.x0 - a.x1 > style.body_size for a, b in zip(cells, cells[1:], strict=False))


def demote_contents_entries(blocks: list[Block]) -> None:
    """Headings after a "Contents" heading on its page whose titles head sections further on
    are the table of contents' entries: text, not sections."""
    for at, block in enumerate(blocks):
        if block.kind != HEADING or not _CONTENTS.match(_words(block.text)):
            continue
        page = _page(block)
        for k in range(at + 1, len(blocks)):
            entry = blocks[k]
            if _page(entry) != page:
                break
            if entry.kind != HEADING:
                continue
            text = _words(entry.text)
            later = {_words(b.text) for b in blocks[k + 1 :] if b.kind == HEADING}
            # An entry may list several short sections on one line ("Acknowledgments Appendix
            # References"): each heads a section further on.
            if text in later or any(len(t) >= 4 and t in text for t in later):
                entry.kind = TEXT


def _page(block: Block) -> int:
    return block.lines[0].output.line.page_id


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
