"""Generate a first page (fpdf2) with a full-width title and abstract over two columns and a
banner set sideways up the left margin beside them, once (a journal's name, arXiv's stamp): the
columns must still read one after the other, whole, and the banner is furniture, left out. The
right column's paragraph runs on over the page break, where a note left in the text would cut it.
Also a first page whose teaser figure sets a logo in type far larger than the title.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .typeset import filler, wrap

_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN = 22.0
_GUTTER = 8.0
_COL_W = (_PAGE_W - 2 * _MARGIN - _GUTTER) / 2
_LINE_H = 4.4
_BODY_PT = 9

BANNER = "Clinical Science www.clinsci.org"
ARXIV_STAMP = "arXiv:2302.07302v1 [cs.HC] 14 Feb 2023"
_WORDS = (
    "angiotensin converting enzyme is a zinc metallopeptidase that plays a prominent role in "
    "blood pressure regulation and consists of two catalytic domains with distinct substrates"
).split()


@dataclass(frozen=True)
class BannerPaper:
    path: Path
    banner: str
    left_column: str  # the left column's one paragraph, expected whole
    right_column: str  # begins in the right column and ends on page 2


def _set(pdf: FPDF, text: str, x: float, y: float, width: float) -> float:
    for line in wrap(pdf, text, width):
        pdf.set_xy(x, y)
        pdf.cell(0, _LINE_H, line)
        y += _LINE_H
    return y


def write_banner_paper(path: str | Path, banner: str = BANNER) -> BannerPaper:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.set_xy(_MARGIN, _MARGIN)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 8, "Fragment-based design of selective inhibitors")
    pdf.set_font("Helvetica", style="B", size=10)
    pdf.set_xy(_MARGIN, _MARGIN + 14)
    pdf.cell(0, 5, "Abstract")
    pdf.set_font("Helvetica", size=_BODY_PT)
    y = _set(pdf, filler(_WORDS, 1, 5), _MARGIN, _MARGIN + 20, _PAGE_W - 2 * _MARGIN) + 8

    left, right = filler(_WORDS, 2, 9), filler(_WORDS, 3, 40)
    _set(pdf, left, _MARGIN, y, _COL_W)
    lines = wrap(pdf, right, _COL_W)
    fit = int((_PAGE_H - _MARGIN - y) // _LINE_H)  # the rest goes on at the top of page 2
    _set(pdf, " ".join(lines[:fit]), _MARGIN + _COL_W + _GUTTER, y, _COL_W)
    # The banner runs up the left margin beside the abstract and both columns.
    pdf.set_font("Helvetica", style="B", size=20)
    with pdf.rotation(90, x=12, y=_PAGE_H - 60):
        pdf.set_xy(12, _PAGE_H - 60)
        pdf.cell(0, 8, banner)
    pdf.add_page()
    pdf.set_font("Helvetica", size=_BODY_PT)
    _set(pdf, " ".join(lines[fit:]), _MARGIN, _MARGIN, _COL_W)
    out = Path(path)
    pdf.output(str(out))
    return BannerPaper(path=out, banner=banner, left_column=left, right_column=right)


TITLE = "An Agent for Comprehensive Academic Paper Search"
LOGO = "Paper Search"


def write_teaser_logo_paper(path: str | Path) -> Path:
    """A first page whose teaser figure, under the title and the authors, sets a two-word logo in
    type twice the title's size: the title is still the title."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Times", "B", 15)
    pdf.set_xy(_MARGIN, 25)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 7, TITLE, align="C")
    pdf.set_font("Times", size=11)
    pdf.set_xy(_MARGIN, 36)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 5, "Ada Lovelace and Charles Babbage", align="C")
    pdf.set_font("Helvetica", "B", 30)
    pdf.set_xy(_MARGIN, 100)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 12, LOGO, align="C")
    pdf.set_font("Times", "B", 11)
    pdf.set_xy(_MARGIN, 135)
    pdf.cell(0, 5, "Abstract")
    pdf.set_font("Times", size=_BODY_PT)
    y = _set(pdf, filler(_WORDS, 3, 6), _MARGIN, 142, _PAGE_W - 2 * _MARGIN)
    _set(pdf, filler(_WORDS, 4, 6), _MARGIN, y + 4, _PAGE_W - 2 * _MARGIN)
    pdf.output(str(path))
    return Path(path)
