"""Tables: stacks of lines cut into short cells that line up in columns from row to row.

In the text layer a table is a run of rows, each set as several pieces with wide gaps between
them (`split_at_gaps` cuts a line there), whose pieces start, end or centre at the same x from row
to row. Such a stack becomes one marker `Table` block holding its lines: marker's table processor
rebuilds the cells from the text layer's glyphs and renders a markdown table; where it cannot
resolve a grid, the block renders its lines as a paragraph, so no text is dropped.

Prose never looks like this: two text columns read as one (their "cells" are long), a reference
list with its labels set apart (one long cell per row), or a figure's scattered labels (no
repeated column positions) stay text.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass

from marker.processors.table_recon import reconstruct_table_html, table_lines_from_pdftext

from .columns import Run
from .lines import DocumentStyle, TextLine, is_monospace
from .spacing import chars_by_span_start

_MIN_ROWS = 3  # rows of several cells a table has at least
_MAX_CELL_WORDS = 8  # mean words per cell above this: sentences side by side, no table
_LONG_CELL_WORDS = 12  # a cell this long in several rows is prose (a labelled list entry)
_ALIGNED_SHARE = 0.75  # share of cells that must line up with cells of the other rows
_CELL_GAP_EMS = 1.0  # a gap between glyphs wider than this separates two cells of a row
_ROW_GAP_SPREAD = 1.7  # a gap this many times the rows' usual spacing ends a table
_CAPTION = re.compile(r"^(fig(ure)?|tab(le)?)\.?\s*(\d+|[IVX]+)[a-z]?\s*[.:|—–-]", re.I)
_MIN_SCORE = 0.5  # marker's own acceptance score for a rebuilt grid in fast mode
_KEPT_WORDS = 0.95  # share of the stack's words the rebuilt grid must keep


@dataclass
class Piece:
    """A stretch of a column run: either a table or lines to cut into text blocks."""

    run: Run
    table: bool


@dataclass(frozen=True)
class Cell:
    """A piece of a row set apart by a wide gap: its extent and how many words it holds."""

    x0: float
    x1: float
    words: int


def split_tables(run: Run, style: DocumentStyle, raw_page: dict | None) -> list[Piece]:
    """`run` cut into its tables and the text between them, in reading order; a table is one
    whose cells marker can rebuild from `raw_page` (pdftext's glyphs of the page)."""
    rows = _rows(run.lines)
    glyphs = chars_by_span_start(raw_page)
    cells = [[cell for ln in row for cell in _cells(ln, glyphs)] for row in rows]
    spans = [
        (start, end)
        for start, end in _table_spans(rows, cells, style)
        if rebuilds([ln for row in rows[start:end] for ln in row], raw_page)
    ]
    if not spans:
        return [Piece(run, table=False)]
    pieces: list[Piece] = []
    at = 0
    for start, end in spans:
        if start > at:
            pieces.append(Piece(_sub_run(run, rows[at:start]), table=False))
        ordered = [sorted(row, key=lambda ln: ln.x0) for row in rows[start:end]]
        pieces.append(Piece(_sub_run(run, ordered), table=True))
        at = end
    if at < len(rows):
        pieces.append(Piece(_sub_run(run, rows[at:]), table=False))
    return pieces


def _rows(lines: list[TextLine]) -> list[list[TextLine]]:
    """Consecutive lines (in run order) that share a baseline band."""
    rows: list[list[TextLine]] = []
    for line in lines:
        row = rows[-1] if rows else None
        if row is not None and _same_row(row, line):
            row.append(line)
        else:
            rows.append([line])
    return rows


def _same_row(row: list[TextLine], line: TextLine) -> bool:
    top = min(ln.y0 for ln in row)
    bottom = max(ln.y1 for ln in row)
    overlap = min(bottom, line.y1) - max(top, line.y0)
    height = min(line.height, min(ln.height for ln in row))
    # A cell of the row sits beside the others, never under them.
    return overlap > 0.5 * max(height, 1.0) and all(
        line.x0 >= ln.x1 or line.x1 <= ln.x0 for ln in row
    )


def _cells(line: TextLine, glyphs: dict[int, list[dict]]) -> list[Cell]:
    """The line's pieces between gaps wider than an em. pdftext often sets a whole table row as
    one span with spaces between its cells: the glyph boxes show the gaps. A line of code (a
    monospaced font) is one piece: its runs of spaces indent and align code, not cells."""
    if is_monospace(line.font):
        return [Cell(line.x0, line.x1, len(line.words))]
    cells: list[Cell] = []
    current: list[float] | None = None  # x0, x1
    text: list[str] = []
    for span in line.output.spans:
        chars = glyphs.get(span.minimum_position) or []
        boxes = [(c["char"], c["bbox"]) for c in chars] or [(span.text, span.polygon.bbox)]
        for char, box in boxes:
            if not char.strip():
                text.append(" ")
                continue
            em = max(1.0, box[3] - box[1])
            if current is not None and box[0] - current[1] > _CELL_GAP_EMS * em:
                cells.append(Cell(current[0], current[1], len("".join(text).split())))
                current, text = None, []
            current = [box[0], box[2]] if current is None else [current[0], max(current[1], box[2])]
            text.append(char)
    if current is not None:
        cells.append(Cell(current[0], current[1], len("".join(text).split())))
    return cells


def _table_spans(
    rows: list[list[TextLine]], cells: list[list[Cell]], style: DocumentStyle
) -> list[tuple[int, int]]:
    """Index ranges [start, end) of `rows` that are tables."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(rows):
        if len(cells[i]) < 2:
            i += 1
            continue
        end = _stack_end(rows, cells, i, style)
        start, end = _trim(cells, i, end, style)
        if start < end and _is_table([c for c in cells[start:end] if len(c) >= 2], style):
            spans.append((start, end))
            i = end
        else:
            i += 1
    return spans


def _trim(cells: list[list[Cell]], start: int, end: int, style: DocumentStyle) -> tuple[int, int]:
    """The stack without rows at its ends whose pieces line up with no other row's cells (a
    caption's line cut at a wide space, a sentence before the table)."""
    tolerance = _tolerance(style)

    def fits(k: int) -> bool:
        others = [r for j, r in enumerate(cells[start:end], start) if j != k and len(r) >= 2]
        hits = sum(any(_aligned(c, o, tolerance) for r in others for o in r) for c in cells[k])
        return len(cells[k]) >= 2 and hits >= 0.5 * len(cells[k])

    while start < end and not fits(start):
        start += 1
    while end > start and not fits(end - 1):
        end -= 1
    return start, end


def _tolerance(style: DocumentStyle) -> float:
    return max(2.0, 0.4 * style.body_size)


def _stack_end(
    rows: list[list[TextLine]], cells: list[list[Cell]], start: int, style: DocumentStyle
) -> int:
    """End of the stack of multi-cell rows from `start`: one single-piece row may sit between
    two of them (a wrapped cell, a group label). A gap wider than the rows' own spacing ends
    the stack (a heading or a paragraph follows), and so does a caption."""
    if _CAPTION.match(_text(rows[start])):
        return start + 1
    end = start + 1
    j = start + 1
    gaps: list[float] = []
    while j < len(rows):
        gap = _gap(rows[j - 1], rows[j])
        usual = statistics.median(gaps) if gaps else 1.5 * style.line_pitch
        if gap > _ROW_GAP_SPREAD * usual or _CAPTION.match(_text(rows[j])):
            break
        gaps.append(gap)
        if len(cells[j]) >= 2:
            end = j + 1
            j += 1
            continue
        if j + 1 < len(rows) and len(cells[j + 1]) >= 2:
            j += 1  # a single piece between two rows of cells: part of the table
            continue
        break
    return end


def _text(row: list[TextLine]) -> str:
    return " ".join(ln.text for ln in sorted(row, key=lambda ln: ln.x0))


def _gap(upper: list[TextLine], lower: list[TextLine]) -> float:
    return min(ln.y0 for ln in lower) - min(ln.y0 for ln in upper)


def _is_table(rows: list[list[Cell]], style: DocumentStyle) -> bool:
    if len(rows) < _MIN_ROWS:
        return False
    cells = [cell for row in rows for cell in row]
    if statistics.mean(c.words for c in cells) > _MAX_CELL_WORDS:
        return False
    if sum(any(c.words > _LONG_CELL_WORDS for c in row) for row in rows) >= 2:
        return False
    tolerance = _tolerance(style)
    aligned = 0
    for number, row in enumerate(rows):
        others = [r for k, r in enumerate(rows) if k != number]
        for cell in row:
            matches = sum(any(_aligned(cell, other, tolerance) for other in r) for r in others)
            if matches >= 0.5 * len(others):
                aligned += 1
    return aligned >= _ALIGNED_SHARE * len(cells)


def _aligned(a: Cell, b: Cell, tolerance: float) -> bool:
    """Two cells of one column: they share a left edge, a right edge or a centre."""
    return (
        abs(a.x0 - b.x0) <= tolerance
        or abs(a.x1 - b.x1) <= tolerance
        or abs((a.x0 + a.x1) - (b.x0 + b.x1)) <= 2 * tolerance
    )


def _sub_run(run: Run, rows: list[list[TextLine]]) -> Run:
    return Run(
        lines=[ln for row in rows for ln in row],
        left=run.left,
        right=run.right,
        spanning=run.spanning,
    )


def rebuilds(cells: list[TextLine], raw_page: dict | None) -> bool:
    """True where marker's table reconstruction resolves a grid over the cells' box that keeps
    their words (not for sideways text: its glyph gaps do not separate cells)."""
    if not raw_page:
        return False
    bbox = (
        min(ln.x0 for ln in cells) - 1,
        min(ln.y0 for ln in cells) - 1,
        max(ln.x1 for ln in cells) + 1,
        max(ln.y1 for ln in cells) + 1,
    )
    lines = table_lines_from_pdftext(raw_page, bbox)
    if _rotated_share(raw_page, bbox) > 0.2:
        return False
    result = reconstruct_table_html(lines)
    if not result or result[1] < _MIN_SCORE:
        return False
    want = _words(" ".join(ln.text for ln in cells))
    have = _words(re.sub(r"<[^>]+>", " ", result[0]))
    kept = sum(min(n, have.get(w, 0)) for w, n in want.items())
    return kept >= _KEPT_WORDS * max(1, sum(want.values()))


def _words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return counts


def _rotated_share(raw_page: dict, bbox: tuple[float, float, float, float]) -> float:
    turned = total = 0
    for block in raw_page.get("blocks", []):
        for line in block.get("lines", []):
            lb = line.get("bbox") or bbox
            if lb[2] < bbox[0] or lb[0] > bbox[2] or lb[3] < bbox[1] or lb[1] > bbox[3]:
                continue
            for span in line.get("spans", []):
                n = len(span.get("text", "").strip())
                total += n
                if abs(math.sin(span.get("rotation") or 0.0)) > 0.5:
                    turned += n
    return turned / max(1, total)
