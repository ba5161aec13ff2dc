"""A second look at the headings of the whole document, once every page is laid out.

Some lines look like headings on their own and are no sections of the document: the entries of
a table of contents repeat the section titles that follow (bold, numbered, on lines of their
own), the bold head of a table stands over rows of cells side by side, and a bold label that
opens entry after entry ("Query: ...", "Query Date: ...") names a field, not a section.
"""

from __future__ import annotations

import re
from collections import Counter

from .blocks import CAPTION, HEADING, LIST_ITEM, TEXT, Block
from .headings import KNOWN, numbering, reads_as_table_row
from .lines import DocumentStyle, TextLine

_CONTENTS = re.compile(r"^(table of )?contents$", re.I)
_ROWS_LOOKED_AT = 3  # rows right under a heading that tell a table from a paragraph
_CELL_ROWS = 2  # of those, rows of cells side by side that make the heading a table's head
_CELL_WORDS = 3  # a table cell holds a few words at most
_TABLE_CAPTION = re.compile(r"^tab(le)?\.?\s*[0-9IVX]", re.I)
_RUNNING_WORDS = 6  # a line of this many words is running text
_EDGE_LINES = 3  # running lines that start at one x make a left edge of the text
_ALIGN_SLACK = 0.3  # how far off an edge or a centre a heading may sit, in body sizes
_UNDER_CAPTION = 1.2  # line pitches between a table's caption and its head row
# A caption names its table and goes on with a stop or a capital ("Table 2: Results", "Table 1
# A summary"); "Table 12 shows ..." is a sentence about it.
_TABLE_CAPTION_OPENING = re.compile(
    r"^(?:[Tt]ab(?:le)?|TABLE)\.?\s*[0-9IVX]+[a-z]?(?:\s*[.:|—–-]|\s+[A-Z])"
)
_LABEL_REPEATS = 2  # run-in headings with the same words this often are labels


def review_headings(pages: list[list[Block]], style: DocumentStyle) -> None:
    """Turn headings that are no sections into text, in place: table heads, contents entries."""
    for blocks in pages:
        demote_table_heads(blocks, style)
        demote_inset_table_heads(blocks, style)
        demote_heads_under_table_captions(blocks, style)
    demote_contents_entries([b for blocks in pages for b in blocks])
    rejoin_repeated_labels(pages)


def _unnumbered_heading(block: Block) -> bool:
    """A heading the checks below may take for text: no title, run-in heading or numbered one."""
    return (
        block.kind == HEADING and not block.title and not block.run_in and not numbering(block.text)
    )


def demote_table_heads(blocks: list[Block], style: DocumentStyle) -> None:
    """An unnumbered heading over rows of cells side by side (in its column) heads a table."""
    runs: dict[int, list[TextLine]] = {}
    for block in blocks:
        if block.kind not in ("PageHeader", "PageFooter"):
            runs.setdefault(block.run, []).extend(block.lines)
    for block in blocks:
        if not _unnumbered_heading(block) or KNOWN.match(block.text):
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


def demote_inset_table_heads(blocks: list[Block], style: DocumentStyle) -> None:
    """On a page with a table, an unnumbered heading that starts at none of the text's left
    edges and is centred on none of its columns is a cell of the table's head ("Method",
    "Name Implementation" over its rows): a section's heading is set flush or centred."""
    if not any(b.kind == CAPTION and _TABLE_CAPTION.match(b.text) for b in blocks):
        return
    running = [
        (b.run, ln)
        for b in blocks
        if b.kind in (TEXT, LIST_ITEM)
        for ln in b.lines
        if len(ln.words) >= _RUNNING_WORDS and not reads_as_table_row(ln.text)
    ]
    lefts = Counter(round(ln.x0) for _, ln in running)
    edges = [x for x, n in lefts.items() if n >= _EDGE_LINES]
    spans = _column_spans(running)
    slack = _ALIGN_SLACK * style.body_size
    for block in blocks:
        if not _unnumbered_heading(block) or not edges:
            continue
        x0, _, x1, _ = block.bbox
        flush = any(abs(x0 - edge) <= slack for edge in edges)
        centred = any(abs((x0 + x1) / 2 - (a + b) / 2) <= slack for a, b in spans)
        if not (flush or centred):
            block.kind = TEXT


def demote_heads_under_table_captions(blocks: list[Block], style: DocumentStyle) -> None:
    """An unnumbered heading right under a table's caption, or whose lines sit side by side,
    is the table's head row: a section starts after a table, never between its caption and
    its rows, and a heading's lines stack."""
    previous: Block | None = None
    for block in blocks:
        if block.kind in ("PageHeader", "PageFooter"):
            continue
        if (
            _unnumbered_heading(block)
            and not KNOWN.match(block.text)
            and (_side_by_side(block.lines) or _right_under_caption(block, previous, style))
        ):
            block.kind = TEXT
        previous = block


def _right_under_caption(block: Block, caption: Block | None, style: DocumentStyle) -> bool:
    if caption is None or caption.kind not in (CAPTION, TEXT) or len(caption.lines) > 3:
        return False
    if not _TABLE_CAPTION_OPENING.match(caption.text):
        return False
    gap = block.bbox[1] - caption.bbox[3]
    return -1 <= gap <= _UNDER_CAPTION * style.line_pitch


def _side_by_side(lines: list[TextLine]) -> bool:
    return any(
        min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5 * min(a.height, b.height)
        for k, a in enumerate(lines)
        for b in lines[k + 1 :]
    )


def _column_spans(running: list[tuple[int, TextLine]]) -> list[tuple[float, float]]:
    """The horizontal extents of the page's column runs of running text (and of all of it)."""
    by_run: dict[int, list[TextLine]] = {}
    for run, line in running:
        by_run.setdefault(run, []).append(line)
    spans = [(min(ln.x0 for ln in group), max(ln.x1 for ln in group)) for group in by_run.values()]
    if running:
        spans.append((min(ln.x0 for _, ln in running), max(ln.x1 for _, ln in running)))
    return spans


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


def rejoin_repeated_labels(pages: list[list[Block]]) -> None:
    """A run-in heading that ends in a colon and opens two or more paragraphs of the document
    is a label of entries (a field name in a list of examples): it goes back in front of its
    paragraph. A paragraph's run-in heading ends in a stop, and may recur from section to
    section ("Model." and "Results." under each experiment)."""
    counts = Counter(
        _words(b.text) for blocks in pages for b in blocks if b.kind == HEADING and b.run_in
    )
    for blocks in pages:
        k = 0
        while k < len(blocks):
            head = blocks[k]
            following = blocks[k + 1] if k + 1 < len(blocks) else None
            if (
                head.kind == HEADING
                and head.run_in
                and head.text.rstrip().endswith(":")
                and counts[_words(head.text)] >= _LABEL_REPEATS
                and following is not None
                and following.lines
                and following.lines[0].index == head.lines[0].index
            ):
                label = head.lines[-1].output.spans[-1]
                if not label.text.endswith(" "):
                    label.text += " "  # the label and its entry are one line of the page
                following.lines[:0] = head.lines
                del blocks[k]
                continue
            k += 1
