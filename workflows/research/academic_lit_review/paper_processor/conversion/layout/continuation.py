"""Paragraphs that run on past a column break, a page break or a float set between their halves.

In the PDF a figure caption, a table, a footnote or a small-type page footer can sit between the
two halves of a paragraph (the first column ends mid-sentence, the next column opens with a
figure). A reader wants the paragraph whole and the float after it: the halves are marked so
marker joins them, and the floats between them move behind the second half (within a page) or in
front of the first half (at a page break, where the second half lies on the next page).
"""

from __future__ import annotations

from .blocks import CAPTION, FOOTNOTE, HEADING, TABLE, TEXT, Block, continues_into
from .lines import DocumentStyle

_FURNITURE = {"PageHeader", "PageFooter"}  # marker leaves these out of the markdown
_SMALL_TYPE = 0.9  # text this much smaller than the body is a note or a footer, not body text


def join_across_breaks(pages: list[list[Block]], style: DocumentStyle) -> None:
    """Mark (and put in order) the paragraphs of `pages` whose last sentence runs on."""
    for blocks in pages:
        _join_within_page(blocks, style)
    for blocks, following in zip(pages, pages[1:], strict=False):
        _join_over_page_break(blocks, following, style)


def _is_float(block: Block, style: DocumentStyle) -> bool:
    """A block that can sit inside a paragraph's flow without belonging to it."""
    if block.kind in (CAPTION, TABLE, FOOTNOTE):
        return True
    # A small-type heading ("Correspondence:" over the authors' addresses) heads a note.
    return block.kind in (TEXT, HEADING) and all(
        style.smaller(ln, _SMALL_TYPE) for ln in block.lines
    )


def _is_body_text(block: Block, style: DocumentStyle) -> bool:
    return block.kind == TEXT and not _is_float(block, style)


def _join_within_page(blocks: list[Block], style: DocumentStyle) -> None:
    k = 0
    while k < len(blocks):
        block = blocks[k]
        k += 1
        if not _is_body_text(block, style):
            continue
        j = k
        while j < len(blocks) and (_is_float(blocks[j], style) or blocks[j].kind in _FURNITURE):
            j += 1
        if j == len(blocks) or not _is_body_text(blocks[j], style):
            continue
        floats = blocks[k:j]
        interrupted = any(b.kind not in _FURNITURE for b in floats)
        if not (interrupted or blocks[j].run != block.run):
            continue  # consecutive paragraphs of one column: segmentation already decided
        if continues_into(block, blocks[j]):
            block.continues = True
            blocks[k : j + 1] = [blocks[j], *floats]


def _join_over_page_break(
    blocks: list[Block], following: list[Block], style: DocumentStyle
) -> None:
    last = _last_body_text(blocks, style)
    first = _first_body_text(following, style)
    if last is None or first is None or not continues_into(blocks[last], following[first]):
        return
    blocks[last].continues = True
    # This page's floats after the first half go in front of it; the next page's floats before
    # the second half go behind it.
    trailing = [b for b in blocks[last + 1 :] if b.kind not in _FURNITURE]
    if trailing:
        kept = [b for b in blocks[last + 1 :] if b.kind in _FURNITURE]
        blocks[:] = [*blocks[:last], *trailing, blocks[last], *kept]
    leading = [b for b in following[:first] if b.kind not in _FURNITURE]
    if leading:
        kept = [b for b in following[:first] if b.kind in _FURNITURE]
        following[: first + 1] = [*kept, following[first], *leading]


def _last_body_text(blocks: list[Block], style: DocumentStyle) -> int | None:
    """The page's last block if it is body text, looking past floats and furniture after it."""
    for index in range(len(blocks) - 1, -1, -1):
        block = blocks[index]
        if _is_float(block, style) or block.kind in _FURNITURE:
            continue
        return index if _is_body_text(block, style) else None
    return None


def _first_body_text(blocks: list[Block], style: DocumentStyle) -> int | None:
    """The page's first block if it is body text, looking past floats and furniture before it."""
    for index, block in enumerate(blocks):
        if _is_float(block, style) or block.kind in _FURNITURE:
            continue
        return index if _is_body_text(block, style) else None
    return None
