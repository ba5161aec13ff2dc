"""Reading order: full-width bands top to bottom, and inside a band each column top to bottom.

A page's gutter is the vertical strip near its middle that (almost) no line crosses. Lines that do
cross it (a title, a full-width abstract, a wide figure caption) cut the page into bands, so a
title and abstract above two columns read first, and text below a full-width figure reads after
it. Columns are found again inside each band, so a three-column band also reads column by column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cmp_to_key

import numpy as np

from .lines import TextLine
from .title import TITLE

_MIN_SIDE_LINES = 3
_MAX_DEPTH = 3
_PROSE_WORDS = 4  # a line of text has at least this many words ...
_PROSE_SHARE = 0.1  # ... in this share of a text column's lines (figure labels are many)
_TALL_LINE = 4.0
_CELL_WORDS = 8  # an author grid's lines are short: a name, an institution, an address
_WRAP_GAP = 0.6  # a wrapped paragraph's lines lie closer than this many line heights apart
_MIN_SIDEWAYS = 8  # turned words of a table's cells; a margin stamp or an axis label is fewer
_BAND_GAP = 1.0  # blank space wider than this many line heights separates two bands  # a line this many times the page's typical height is set sideways


@dataclass
class Run:
    """Consecutive lines of one column inside one band, in reading order."""

    lines: list[TextLine]
    left: float
    right: float
    spanning: bool = False  # lines that cross the gutter of the area they were cut from
    cell: bool = False  # one author's cell of an author grid: one paragraph, line by line
    turned: bool = False  # a float set sideways beside the text (its cells, no sections)


def reading_order(lines: list[TextLine]) -> list[Run]:
    """The page's lines as column runs, in the order a reader reads them."""
    if not lines:
        return []
    if (parts := _sideways_area(lines)) is not None:
        area, upright = parts
        # The turned float reads after the page's text, wherever it stands: a sentence going
        # on from the page before goes on in the text, not in the float's cells.
        return [*_upright_order(upright), Run(in_rows(area), *_edges(area), turned=True)]
    return _upright_order(lines)


def _upright_order(lines: list[TextLine]) -> list[Run]:
    grid = author_grid(lines)
    if grid is None:
        return _split(lines, depth=0)
    ids = {id(ln) for run in grid for ln in run.lines}
    top = min(ln.y0 for run in grid for ln in run.lines)
    above = [ln for ln in lines if id(ln) not in ids and ln.y0 < top]
    below = [ln for ln in lines if id(ln) not in ids and ln.y0 >= top]
    return [
        *(_split(above, depth=0) if above else []),
        *grid,
        *(_split(below, depth=0) if below else []),
    ]


def author_grid(lines: list[TextLine]) -> list[Run] | None:
    """The authors set side by side under the title (name, institution, city, e-mail in each
    slot, several slots a row): each author's cell top to bottom, cells left to right and row
    by row. Read across, the grid would interleave everyone's lines. None where the rows under
    the title are no such grid (a single author line, a full-width affiliation)."""
    titled = [ln for ln in lines if TITLE in ln.tags]
    if not titled:
        return None
    title_bottom = max(ln.y1 for ln in titled)
    rows = _rows(ln for ln in lines if ln.y0 >= title_bottom and TITLE not in ln.tags)
    if not rows or len(rows[0]) < 2:
        return None
    centres = sorted((ln.x0 + ln.x1) / 2 for ln in rows[0])
    slot = min(b - a for a, b in zip(centres, centres[1:], strict=False))
    taken: list[list[TextLine]] = []
    for row in rows:
        if any(len(ln.words) > _CELL_WORDS for ln in row):
            break
        if any(min(abs((ln.x0 + ln.x1) / 2 - c) for c in centres) > 0.2 * slot for ln in row):
            break
        if taken and row[0].y0 - max(ln.y1 for ln in taken[-1]) > 2 * row[0].height:
            break
        taken.append(row)
    if len(taken) < 3:
        return None
    cells: list[list[TextLine]] = []
    for centre in centres:
        column = sorted(
            (ln for row in taken for ln in row if abs((ln.x0 + ln.x1) / 2 - centre) <= 0.2 * slot),
            key=lambda ln: ln.y0,
        )
        for line in column:  # a cell's lines lie at line spacing; the next cell is further down
            if cells and cells[-1][-1] in column and line.y0 - cells[-1][-1].y1 < 0.6 * line.height:
                cells[-1].append(line)
            else:
                cells.append([line])
    pitch = min(ln.height for cell in cells for ln in cell)
    cells.sort(key=lambda cell: (round(cell[0].y0 / (2 * pitch)), cell[0].x0))
    return [
        Run(lines=cell, left=min(ln.x0 for ln in cell), right=max(ln.x1 for ln in cell), cell=True)
        for cell in cells
    ]


def _rows(lines: Iterable[TextLine]) -> list[list[TextLine]]:
    """Lines top to bottom, those whose heights overlap by half sharing a row."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=_middle):
        row = rows[-1] if rows else None
        if row is not None and min(row[-1].y1, line.y1) - max(row[-1].y0, line.y0) > 0.5 * min(
            row[-1].height, line.height
        ):
            row.append(line)
        else:
            rows.append([line])
    return rows


def _sideways_area(lines: list[TextLine]) -> tuple[list[TextLine], list[TextLine]] | None:
    """A table (or figure) set sideways beside upright text: the lines inside the box of the
    page's words that run up or down it, and the page's other lines; None where there is none.

    pdftext returns a turned table's cells as narrow, tall lines, often one word each: hundreds
    of them beside one column of text. Counted as lines, they swamp that column (no gutter is
    found, and the text reads in rows through the table's cells); taken out as one area, the
    upright text finds its columns as on any page.
    """
    turned = [ln for ln in lines if _set_sideways(ln)]
    if len(turned) < _MIN_SIDEWAYS:
        return None
    box = (
        min(ln.x0 for ln in turned),
        min(ln.y0 for ln in turned),
        max(ln.x1 for ln in turned),
        max(ln.y1 for ln in turned),
    )
    area = [ln for ln in lines if _centred_in(ln, box)]
    upright = [ln for ln in lines if not _centred_in(ln, box)]
    if any(_overlaps(ln, box) for ln in upright):
        return None  # text runs into the turned words' box: no area of its own
    if any(len(ln.words) >= _PROSE_WORDS and ln.width > 3 * ln.height for ln in area):
        return None  # upright prose among the turned words: a figure in the text, no float
    beside = [ln for ln in upright if ln.y0 < box[3] and ln.y1 > box[1]]
    if len(beside) < _MIN_SIDE_LINES:
        return None
    return area, upright


def _set_sideways(line: TextLine) -> bool:
    """A word or more whose letters run up or down the page: far taller than it is wide."""
    return len(line.text.strip()) >= 3 and line.height > 2 * line.width


def _centred_in(line: TextLine, box: tuple[float, float, float, float]) -> bool:
    x, y = (line.x0 + line.x1) / 2, (line.y0 + line.y1) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _overlaps(line: TextLine, box: tuple[float, float, float, float]) -> bool:
    return line.x0 < box[2] and line.x1 > box[0] and line.y0 < box[3] and line.y1 > box[1]


def _split(lines: list[TextLine], depth: int) -> list[Run]:
    gutter = _find_gutter(lines) if depth < _MAX_DEPTH else None
    if gutter is None and depth < _MAX_DEPTH:
        return _split_bands(lines, depth)
    if gutter is None:
        return [_run(in_rows(lines))]
    runs: list[Run] = []
    band: list[TextLine] = []
    for line in in_rows(lines):
        if line.x0 < gutter[0] and line.x1 > gutter[1]:
            runs.extend(_band_runs(band, gutter, depth))
            band = []
            runs.append(_run([line], spanning=True))
        elif not band and runs and runs[-1].spanning and _wraps_on(runs[-1].lines[-1], line, lines):
            runs[-1].lines.append(line)
        else:
            band.append(line)
    runs.extend(_band_runs(band, gutter, depth))
    return _merge_adjacent(runs)


def _wraps_on(above: TextLine, line: TextLine, lines: list[TextLine]) -> bool:
    """True where `line` is the last line of the full-width paragraph `above` ends: a short line
    set at line spacing under it, in its type, flush with its start (or centred under it), alone
    on its row. It crosses no gutter, but a wide caption's last word is no column's first line."""
    gap = line.y0 - above.y1
    if not (-0.3 * line.height < gap < _WRAP_GAP * line.height) or line.x1 > above.x1:
        return False
    if abs(line.size - above.size) > 0.5:
        return False
    flush = abs(line.x0 - above.x0) <= 2.0
    centred = abs((line.x0 + line.x1) - (above.x0 + above.x1)) <= 4.0
    if not (flush or centred):
        return False
    return not any(
        other is not line
        and min(other.y1, line.y1) - max(other.y0, line.y0) > 0.5 * min(other.height, line.height)
        for other in lines
    )


def _split_bands(lines: list[TextLine], depth: int) -> list[Run]:
    """An area with no gutter through all of it, cut into bands at its wide vertical gaps,
    where a band of two columns has one (a full-width code listing and its caption above two
    columns: their lines cross the gutter, but not in the band below them). An area that no
    band of splits into columns reads as one run, as before."""
    bands = _bands_at_gaps(lines)
    split = [_find_gutter(band) is not None for band in bands]
    if len(bands) < 2 or not any(split):
        return [_run(in_rows(lines))]
    # Bands without columns next to each other stay one area: a display formula's or a
    # heading's margins cut no paragraph into runs.
    areas: list[list[TextLine]] = []
    for index, band in enumerate(bands):
        if index and not split[index] and not split[index - 1]:
            areas[-1].extend(band)
        else:
            areas.append(list(band))
    runs: list[Run] = []
    for area in areas:
        runs.extend(_split(area, depth + 1))
    return _merge_adjacent(runs)


def _bands_at_gaps(lines: list[TextLine]) -> list[list[TextLine]]:
    """The lines top to bottom, cut where the blank space down to the next line is wider than
    a line (a paragraph's lines are closer; a float's margins are wider)."""
    height = float(np.median([ln.height for ln in lines]))
    bands: list[list[TextLine]] = []
    bottom = None
    for line in sorted(lines, key=lambda ln: ln.y0):
        if bottom is None or line.y0 - bottom > _BAND_GAP * height:
            bands.append([])
        bands[-1].append(line)
        bottom = line.y1 if bottom is None else max(bottom, line.y1)
    return bands


def _band_runs(band: list[TextLine], gutter: tuple[float, float], depth: int) -> list[Run]:
    if not band:
        return []
    middle = (gutter[0] + gutter[1]) / 2
    left = [ln for ln in band if (ln.x0 + ln.x1) / 2 < middle]
    right = [ln for ln in band if (ln.x0 + ln.x1) / 2 >= middle]
    runs: list[Run] = []
    for side in (left, right):
        if side:
            runs.extend(_split(side, depth + 1))
    return runs


def _merge_adjacent(runs: list[Run]) -> list[Run]:
    """Full-width lines that follow each other form one run (a wrapped title, an abstract)."""
    merged: list[Run] = []
    for run in runs:
        prev = merged[-1] if merged else None
        if prev is not None and prev.spanning and run.spanning:
            prev.lines.extend(run.lines)
            prev.left, prev.right = min(prev.left, run.left), max(prev.right, run.right)
        else:
            merged.append(run)
    return merged


def _run(lines: list[TextLine], *, spanning: bool = False) -> Run:
    left, right = _edges(lines)
    return Run(lines=lines, left=left, right=right, spanning=spanning)


def _edges(lines: list[TextLine]) -> tuple[float, float]:
    """The column's edges: most of its lines start and end there (outliers are indents, tabs)."""
    xs0 = sorted(ln.x0 for ln in lines)
    xs1 = sorted(ln.x1 for ln in lines)
    left = xs0[len(xs0) // 10] if len(xs0) >= 10 else xs0[0]
    right = xs1[-1 - len(xs1) // 10] if len(xs1) >= 10 else xs1[-1]
    return left, right


def in_rows(lines: list[TextLine]) -> list[TextLine]:
    """The lines top to bottom, and left to right within a row: lines whose heights overlap by
    half the lower one's share a row, whatever their tops (a word with a superscript, words
    pdftext returned one per line with their own glyph boxes).

    A line many times taller than the page's lines (a journal banner set sideways in the
    margin) is a row of its own: it would otherwise pull every line beside it into one row and
    read both columns across, line by line.
    """
    typical = float(np.median([ln.height for ln in lines])) if lines else 0.0
    tall = [ln for ln in lines if ln.height > _TALL_LINE * max(typical, 1.0)]
    tall_ids = {id(ln) for ln in tall}
    rows: list[list[TextLine]] = []
    for line in sorted((ln for ln in lines if id(ln) not in tall_ids), key=_middle):
        row = rows[-1] if rows else None
        if row is not None:
            top = min(ln.y0 for ln in row)
            bottom = max(ln.y1 for ln in row)
            overlap = min(bottom, line.y1) - max(top, line.y0)
            if overlap > 0.5 * min(line.height, min(ln.height for ln in row)):
                row.append(line)
                continue
        rows.append([line])
    for line in tall:
        at = next((i for i, row in enumerate(rows) if _middle(row[0]) > _middle(line)), len(rows))
        rows.insert(at, [line])
    return [line for row in rows for line in sorted(row, key=cmp_to_key(_row_order))]


def _row_order(a: TextLine, b: TextLine) -> int:
    """Side by side, left first; one above the other (a line with a tall subscript overlaps the
    next), the upper first."""
    stacked = min(a.x1, b.x1) - max(a.x0, b.x0) > 0
    first, second = ((a.y0 + a.y1) / 2, (b.y0 + b.y1) / 2) if stacked else (a.x0, b.x0)
    return (first > second) - (first < second)


def _middle(line: TextLine) -> float:
    return (line.y0 + line.y1) / 2


def _find_gutter(lines: list[TextLine]) -> tuple[float, float] | None:
    """The widest vertical strip in the middle of the lines' extent that the fewest lines cross.

    Full-width lines (a title, an abstract) cross every point; the gutter is where nothing else
    does, with real columns of lines on both sides.
    """
    if len(lines) < 2 * _MIN_SIDE_LINES:
        return None
    lo = min(ln.x0 for ln in lines)
    hi = max(ln.x1 for ln in lines)
    span = hi - lo
    if span < 100:
        return None
    xs = np.arange(lo + 0.25 * span, lo + 0.75 * span, 1.0)
    x0 = np.array([ln.x0 for ln in lines])[:, None]
    x1 = np.array([ln.x1 for ln in lines])[:, None]
    crossing = ((x0 < xs) & (x1 > xs)).sum(axis=0)
    allowed = int(crossing.min()) + max(1, int(0.04 * len(lines)))
    best: tuple[int, int] | None = None
    start = None
    for i, count in enumerate([*crossing.tolist(), allowed + 1]):
        if count <= allowed and start is None:
            start = i
        elif count > allowed and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    if best is None or best[1] - best[0] < 4:
        return None
    # Cut at the least-crossed point of the strip, so crossing lines are as few as possible.
    window = crossing[best[0] : best[1]]
    at = np.flatnonzero(window == window.min())
    middle = float(xs[best[0] + at[len(at) // 2]])
    gutter = (middle - 1.0, middle + 1.0)
    left = sum(ln.x1 <= gutter[1] for ln in lines)
    right = sum(ln.x0 >= gutter[0] for ln in lines)
    across = len(lines) - left - right
    if left < _MIN_SIDE_LINES or right < _MIN_SIDE_LINES or across > 0.6 * len(lines):
        return None
    # Two real columns both hold a good share of the lines; a few short lines on one side
    # (a label, a centred block) are no column.
    if min(left, right) < 0.2 * (left + right):
        return None
    # Columns of text hold lines of several words; the columns of a table (short cells) are
    # one area, read row by row.
    for side in (
        [ln for ln in lines if ln.x1 <= gutter[1]],
        [ln for ln in lines if ln.x0 >= gutter[0]],
    ):
        prose = sum(len(ln.words) >= _PROSE_WORDS for ln in side)
        if prose < max(_MIN_SIDE_LINES, _PROSE_SHARE * len(side)):
            return None
    return gutter
