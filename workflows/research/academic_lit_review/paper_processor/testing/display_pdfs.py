"""Generate a page (fpdf2) with two blocks set in from the text: a quotation of prose and a
display formula over two lines; paragraphs around them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .typeset import wrap

_MARGIN = 25.0
_TEXT_W = 210.0 - 2 * _MARGIN
_INDENT = 20.0  # more than a tenth of the text width: marker quotes a block set in so
_LINE_H = 4.8
_BODY_PT = 10

PARAGRAPHS = [
    "Patients described the course in their own words, and we kept what they said as they "
    "said it, since the way they spoke of their recovery mattered as much as what they did.",
    "The model relates the reach of a seed set to its size and to the overlap of the seeds, "
    "weighting each term by a coefficient fitted on the training networks as follows.",
    "Here the coefficients are fitted by least squares, and the overlap term carries most of "
    "the weight on networks whose seeds share many neighbours.",
]
QUOTATION = (
    "I thought that maybe this thing would creep up behind me some day, but having done the "
    "course here, I know what to do about it, and I am not afraid to go out walking again."
)
FORMULA = ["r(S) = a |S| + b o(S) + c d(S)", "+ e f(S) + g, (1)"]


@dataclass(frozen=True)
class DisplayPage:
    path: Path
    paragraphs: list[str]
    quotation: str
    formula: list[str]


def write_display_page(path: str | Path) -> DisplayPage:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=_BODY_PT)
    y = 30.0

    def block(lines: list[str], x: float, gap: float) -> None:
        nonlocal y
        y += gap
        for line in lines:
            pdf.set_xy(x, y)
            pdf.cell(pdf.get_string_width(line) + 0.1, _LINE_H, line)
            y += _LINE_H

    block(wrap(pdf, PARAGRAPHS[0], _TEXT_W), _MARGIN, 0)
    block(wrap(pdf, QUOTATION, _TEXT_W - 2 * _INDENT), _MARGIN + _INDENT, 3)
    block(wrap(pdf, PARAGRAPHS[1], _TEXT_W), _MARGIN, 3)
    block(FORMULA, _MARGIN + 2 * _INDENT, 3)
    block(wrap(pdf, PARAGRAPHS[2], _TEXT_W), _MARGIN, 3)
    out = Path(path)
    pdf.output(str(out))
    return DisplayPage(out, PARAGRAPHS, QUOTATION, FORMULA)
