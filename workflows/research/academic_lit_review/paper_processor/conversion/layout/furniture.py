"""Page furniture: running headers and footers, page numbers, review-copy line numbers.

They repeat on every page and are no part of the text a reader follows. Headers and footers become
marker `PageHeader`/`PageFooter` blocks (its renderer leaves them out); line numbers are dropped.
"""

from __future__ import annotations

import re
from collections import Counter

from .lines import TextLine

HEADER = "header"
FOOTER = "footer"
LINE_NUMBER = "line_number"
MARGIN_NOTE = "margin_note"  # text set sideways up a side margin, once (a banner, arXiv's stamp)

_MARGIN_SHARE = 0.09  # top and bottom share of the page where running heads live
_SIDEWAYS_SHARE = 0.3
_HEAD_PARTS = 4  # a running head cut at its gaps has at most this many lines on its row  # a page with more of its lines set sideways than this is turned
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?(?:\s*(?:of|/)\s*\d{1,4})?$|^[ivxlc]{1,6}$",
    re.I,
)
_LINE_NUMBER = re.compile(r"^\d{1,4}$")
# A running head carries its page's number at one end: "Optimized Table Tokenization ... 9",
# "12 J. Smith et al.".
PAGE_NUMBER_AT_END = re.compile(r"^(?P<head>\D.*?)\s+\d{1,4}$")
PAGE_NUMBER_AT_START = re.compile(r"^\d{1,4}\s+(?P<head>\D.*)$")
_HEAD_ZONE = 0.15  # top share of the page a running head set above the text sits in
# Blank space under a running head, in its own line heights: more than paragraphs are spaced.
_HEAD_APART = 0.8


def _shape(text: str) -> str:
    """A header's text with its page-specific numbers folded away."""
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _unnumbered(shape: str) -> str:
    return " ".join(word for word in shape.split() if word != "#")


def mark_furniture(pages: list[list[TextLine]], heights: list[float], widths: list[float]) -> None:
    """Tag header, footer and line-number lines in place (`line.tags`)."""
    repeated = _repeated_shapes(pages, heights, widths)
    for lines, height, width in zip(pages, heights, widths, strict=True):
        if not lines:
            continue
        _mark_line_numbers(lines)
        for line in lines:
            if LINE_NUMBER in line.tags:
                continue
            top = line.y1 <= height * _MARGIN_SHARE or line.y0 < height * 0.05
            bottom = line.y0 >= height * (1 - _MARGIN_SHARE)
            if not (top or bottom):
                continue
            if _PAGE_NUMBER.match(line.text) or _shape(line.text) in repeated:
                line.tags.add(HEADER if top else FOOTER)
        _mark_edge_lines(lines, repeated, height, width)
        _mark_numbered_running_head(lines, height)
        _mark_margin_notes(lines, width)


def _mark_margin_notes(lines: list[TextLine], width: float) -> None:
    """Sideways text up a side margin of an upright page, once on it: a banner or a stamp beside
    the text, no part of it. On a page set sideways (most of its lines run up the page) it is the
    text itself."""
    sideways = sum(ln.height > 2 * ln.width for ln in lines)
    if sideways > _SIDEWAYS_SHARE * len(lines):
        return
    for line in _side_margin_lines(lines, width):
        if not line.tags:
            line.tags.add(MARGIN_NOTE)


def _edge_lines(lines: list[TextLine], height: float, width: float) -> list[TextLine]:
    """Where running heads sit: the lines of the three top and bottom rows (a footer cut at its
    gaps is several lines on one row; a row of many cells is a table's), and text in the side
    margins."""
    rows = [row for row in _rows(lines) if len(row) <= _HEAD_PARTS]
    edges = [ln for row in rows[:3] for ln in row if ln.y1 < height * 0.2]
    edges += [ln for row in rows[-3:] for ln in row if ln.y0 > height * 0.8]
    # Vertical text up a side margin (a journal's name and volume on every page).
    return edges + _side_margin_lines(lines, width)


def _rows(lines: list[TextLine]) -> list[list[TextLine]]:
    """The upright lines top to bottom, those whose middles lie within each other's height
    sharing a row."""
    rows: list[list[TextLine]] = []
    for line in sorted((ln for ln in lines if ln.width >= ln.height), key=lambda ln: ln.y0):
        middle = (line.y0 + line.y1) / 2
        row = rows[-1] if rows else None
        if row is not None and row[0].y0 <= middle <= row[0].y1:
            row.append(line)
        else:
            rows.append([line])
    return rows


def _side_margin_lines(lines: list[TextLine], width: float) -> list[TextLine]:
    """Text set sideways in a side margin: in the page's outer tenth, or wholly beside the
    upright text (a banner set in from the page edge, next to the column)."""
    upright = [ln for ln in lines if ln.width >= ln.height]
    left = min((ln.x0 for ln in upright), default=width * 0.1)
    right = max((ln.x1 for ln in upright), default=width * 0.9)
    # On a page set sideways the upright lines are a few cells: no text column to stand beside.
    turned = len(upright) < (1 - _SIDEWAYS_SHARE) * len(lines)

    def in_margin(ln: TextLine) -> bool:
        if ln.x1 < width * 0.1 or ln.x0 > width * 0.9:
            return True
        if turned:
            return False
        return (ln.x1 <= left and ln.x1 < width * 0.25) or (ln.x0 >= right and ln.x0 > width * 0.75)

    # One glyph's box says nothing of its direction: a tall ")" or "1" at a column's edge is upright.
    return [ln for ln in lines if _sideways(ln) and in_margin(ln)]


def _sideways(line: TextLine) -> bool:
    return line.height > 2 * line.width and len(line.text.strip()) > 1


def _repeated_shapes(
    pages: list[list[TextLine]], heights: list[float], widths: list[float]
) -> set[str]:
    """Texts at a page edge on at least three pages (or most pages of a short paper)."""
    seen: Counter[str] = Counter()
    for lines, height, width in zip(pages, heights, widths, strict=True):
        shapes = {_shape(line.text) for line in _edge_lines(lines, height, width)}
        seen.update(s for s in shapes if re.search(r"[a-z]{2}", s))
    need = 3 if len(pages) >= 5 else max(2, len(pages))
    return {shape for shape, n in seen.items() if n >= need}


def _mark_edge_lines(
    lines: list[TextLine], repeated: set[str], height: float, width: float
) -> None:
    """The edge lines that repeat across pages, wherever the page's margin ends."""
    for line in _edge_lines([ln for ln in lines if not ln.tags], height, width):
        if _shape(line.text) in repeated or _joins_repeated(_shape(line.text), repeated):
            line.tags.add(HEADER if line.y1 < height / 2 else FOOTER)


def _joins_repeated(shape: str, repeated: set[str]) -> bool:
    """True where `shape` is two repeated shapes set on one line, their page numbers left out:
    a footer whose parts stand apart on most pages ("www.clinsci.org 307" | "© 2014 The
    Author(s)") and run together on a page without its page number."""
    parts = {_unnumbered(r) for r in repeated}
    parts = {p for p in parts if len(re.findall(r"[a-z]", p)) >= 5}
    words = _unnumbered(shape).split()
    return any(
        " ".join(words[:cut]) in parts and " ".join(words[cut:]) in parts
        for cut in range(1, len(words))
    )


def _mark_numbered_running_head(lines: list[TextLine], height: float) -> None:
    """The page's top line, set apart above the text, with the page's number at one end: a
    running head even where no other page repeats it (a one-page excerpt, the first page).

    The margin share alone misses heads set low (a book-style page with wide top margins); the
    number, the space under it and type no more prominent than the text below tell them. A
    section heading that opens a page ("2 Related Work") is bold or larger than the text, and a
    number at its start is only a page number where the head is set smaller, in italics or in
    capitals.
    """
    ordered = sorted((ln for ln in lines if LINE_NUMBER not in ln.tags), key=lambda ln: ln.y0)
    if len(ordered) < 2 or ordered[0].tags:
        return
    head, below = ordered[0], ordered[1]
    if head.y1 > height * _HEAD_ZONE or below.y0 - head.y1 < _HEAD_APART * head.height:
        return
    if head.bold or head.size > below.size + 0.3:
        return
    if m := PAGE_NUMBER_AT_END.match(head.text):
        words = m["head"]
    elif m := PAGE_NUMBER_AT_START.match(head.text):
        set_as_head = head.size < below.size - 0.3 or head.italic or head.text.isupper()
        if not set_as_head:
            return
        words = m["head"]
    else:
        return
    if len(re.findall(r"[A-Za-z]{2,}", words)) >= 2:
        head.tags.add(HEADER)


def _mark_line_numbers(lines: list[TextLine]) -> None:
    """Review copies number their lines in the margins: many bare numbers in one x band."""
    numbers = [ln for ln in lines if _LINE_NUMBER.match(ln.text) and ln.width < 30]
    if len(numbers) < 8:
        return
    bands: Counter[int] = Counter(round(ln.x1 / 6) for ln in numbers)
    for band, count in bands.items():
        if count < 8:
            continue
        members = sorted(
            (ln for ln in numbers if abs(round(ln.x1 / 6) - band) <= 1), key=lambda ln: ln.y0
        )
        values = [int(ln.text) for ln in members]
        rising = sum(b > a for a, b in zip(values, values[1:], strict=False))
        if rising >= 0.7 * (len(values) - 1) and _in_a_margin(members, lines):
            for ln in members:
                ln.tags.add(LINE_NUMBER)


def _in_a_margin(members: list[TextLine], lines: list[TextLine]) -> bool:
    """Line numbers stand beside the text, with (almost) none of it on their outer side; a
    table's column of numbers (25, 50, 75, 100 in every block of rows) has cells on both."""
    left = min(ln.x0 for ln in members)
    right = max(ln.x1 for ln in members)
    top = min(ln.y0 for ln in members)
    bottom = max(ln.y1 for ln in members)
    own = {id(ln) for ln in members}
    beside = [ln for ln in lines if id(ln) not in own and ln.y1 > top and ln.y0 < bottom]
    outside_left = sum(ln.x1 <= left for ln in beside)
    outside_right = sum(ln.x0 >= right for ln in beside)
    return min(outside_left, outside_right) <= 2
