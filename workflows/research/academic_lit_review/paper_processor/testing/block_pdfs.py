"""Generate a one-column paper (fpdf2) whose blocks a reader must get whole: wrapped list items,
a table of aligned cells, a paragraph that runs on across a page break past a footnote, and a
table set sideways on a page of its own (rotated text), to check the layout stage against.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .typeset import wrap

_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN = 25.0
_TEXT_W = _PAGE_W - 2 * _MARGIN
_LINE_H = 5.0
_BODY_PT = 10

BULLETS = [
    "Spans that share a baseline but sit far apart are cells of a table row rather than words "
    "of one sentence, so the line is cut at the gap before the columns are found.",
    "Running heads repeat on every page at the same place and are removed.",
    "A list item whose text wraps onto a second and even a third line stays one item, because "
    "its later lines hang under the first word of the item instead of starting at the margin "
    "where the next bullet is set.",
]
STEPS = [
    "1. Read the lines of the page with their fonts, sizes and boxes from the text layer.",
    "2. Find the columns and the bands that cross them, then cut every column run into blocks "
    "of text at the gaps and indents that separate paragraphs.",
    "3. Write the markdown.",
]
TABLE_CAPTION = "Table 2: Word coverage by system and corpus."
TABLE = [
    ["System", "Papers", "Coverage", "Walls"],
    ["Baseline", "32", "0.962", "10.5"],
    ["Layout", "32", "0.952", "0.38"],
    ["Anchor", "32", "0.963", "0.56"],
    ["Oracle", "32", "1.000", "0.00"],
    ["Random", "32", "0.120", "41.2"],
]
FOOTNOTE = "3 Counted on the text layer of every page, headers and footers included."
ROTATED_TABLE = [
    ["Dataset", "Documents", "Pages", "Tables", "Figures"],
    ["arXiv", "1200", "14377", "3021", "5532"],
    ["PubMed", "860", "9921", "2210", "4011"],
    ["ACL", "430", "3412", "981", "1220"],
    ["Patents", "95", "2210", "14", "870"],
    ["Reports", "61", "5120", "660", "302"],
]
_WORDS = (
    "the layout stage reads each page from its text layer and hands marker blocks of lines so "
    "that paragraphs lists tables and captions come out whole in the order a reader follows"
).split()


@dataclass(frozen=True)
class BlocksPaper:
    path: Path
    bullets: list[str]
    steps: list[str]
    table: list[list[str]]
    runs_on: str  # the paragraph that runs across the page break, expected whole
    footnote: str
    rotated_table: list[list[str]]


def _sentence(seed: int, words: int) -> str:
    picked = [_WORDS[(seed * 5 + i * 7) % len(_WORDS)] for i in range(words)]
    return " ".join(picked).capitalize() + "."


def _paragraph(seed: int, sentences: int) -> str:
    return " ".join(_sentence(seed * 13 + k, 10 + (seed + k) % 6) for k in range(sentences))


class _Page:
    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.y = _MARGIN
        self.bottom = _PAGE_H - _MARGIN

    def new_page(self) -> None:
        self.pdf.add_page()
        self.y = _MARGIN

    def wrap(self, text: str, width: float, first_width: float | None = None) -> list[str]:
        return wrap(self.pdf, text, width, first_width)

    def line(self, text: str, x: float = _MARGIN, size: int = _BODY_PT) -> None:
        self.pdf.set_font("Helvetica", size=size)
        self.pdf.set_xy(x, self.y)
        self.pdf.cell(0, _LINE_H, text)
        self.y += _LINE_H

    def paragraph(self, text: str) -> None:
        self.pdf.set_font("Helvetica", size=_BODY_PT)
        lines = self.wrap(text, _TEXT_W, first_width=_TEXT_W - 6)
        for number, line in enumerate(lines):
            if self.y + _LINE_H > self.bottom:
                self.new_page()
            self.line(line, _MARGIN + (6 if number == 0 else 0))
        self.y += 2

    def item(self, label: str, text: str) -> None:
        """A list item with a hanging indent: its later lines align under its first word."""
        self.pdf.set_font("Helvetica", size=_BODY_PT)
        self.pdf.set_xy(_MARGIN + 3, self.y)
        self.pdf.cell(5, _LINE_H, label)
        for line in self.wrap(text, _TEXT_W - 10):
            self.line(line, _MARGIN + 10)
        self.y += 1


def write_blocks_paper(path: str | Path) -> BlocksPaper:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.core_fonts_encoding = "windows-1252"  # has the bullet glyph
    page = _Page(pdf)
    page.new_page()
    page.paragraph(_paragraph(1, 4))
    for bullet in BULLETS:
        page.item("\u2022", bullet)
    page.y += 3
    page.paragraph(_paragraph(2, 3))
    for step in STEPS:
        number, text = step.split(" ", 1)
        page.item(number, text)
    page.y += 3

    page.line(TABLE_CAPTION, size=9)
    page.y += 1
    widths = [40.0, 28.0, 28.0, 28.0]
    for row in TABLE:
        x = _MARGIN + 10
        for k, cell in enumerate(row):
            pdf.set_font("Helvetica", style="B" if row is TABLE[0] else "", size=9)
            pdf.set_xy(x, page.y)
            pdf.cell(widths[k], _LINE_H, cell, align="L" if k == 0 else "R")
            x += widths[k]
        page.y += _LINE_H
    page.y += 4

    # A footnote at the foot of page one, and a paragraph that breaks onto page two mid-sentence.
    page.bottom = _PAGE_H - _MARGIN - 12
    pdf.set_font("Helvetica", size=7)
    pdf.set_xy(_MARGIN, _PAGE_H - _MARGIN - 6)
    pdf.cell(_TEXT_W, 4, FOOTNOTE)
    filler = _paragraph(3, 12)
    page.paragraph(filler)
    runs_on = _paragraph(4, 20)
    page.paragraph(runs_on)
    page.paragraph(_paragraph(5, 3))

    # A wide table set sideways: its lines run bottom to top.
    page.new_page()
    pdf.set_font("Helvetica", size=10)
    with pdf.rotation(90, x=_PAGE_W / 2, y=_PAGE_H / 2):
        left = _PAGE_W / 2 - 110
        top = _PAGE_H / 2 - 40
        pdf.set_xy(left, top - 10)
        pdf.cell(200, _LINE_H, "Table 3: Documents, pages, tables and figures by source.")
        for r, row in enumerate(ROTATED_TABLE):
            for k, cell in enumerate(row):
                pdf.set_xy(left + k * 40, top + r * 7)
                pdf.cell(38, _LINE_H, cell)
    out = Path(path)
    pdf.output(str(out))
    return BlocksPaper(
        path=out,
        bullets=BULLETS,
        steps=STEPS,
        table=TABLE,
        runs_on=runs_on,
        footnote=FOOTNOTE,
        rotated_table=ROTATED_TABLE,
    )
