"""Generate a two-column page (fpdf2) whose reading order a float interrupts: the first column
ends mid-sentence, the second opens with a figure and its caption before the sentence goes on;
and a run of displayed questions, each wrapped onto a second line set in under its first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .typeset import wrap

_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN = 20.0
_GUTTER = 8.0
_COL_W = (_PAGE_W - 2 * _MARGIN - _GUTTER) / 2
_LINE_H = 4.6
_BODY_PT = 10

QUESTIONS = [
    "What is the percentage of female subjects in depression clinical trials?",
    "Which of my co-authors published one or more papers on coreference resolution?",
    "Which papers discuss the effects of Ranibizumab on the retina of older patients?",
]
CAPTION = "Figure 1: Part of the literature graph."
INTERRUPTED_START = (
    "In this paper we focus on the problem of extracting structured data from scientific "
    "documents which can later be used in natural language interfaces or to improve ranking "
    "of results in academic search (e.g., Xiong et al.,"
)
INTERRUPTED_END = (
    "2017). We describe methods used in a scalable deployed production system for extracting "
    "structured information from scientific documents into the literature graph."
)
_WORDS = (
    "the literature graph is a directed property graph which summarizes key information in "
    "the literature and can be used to answer queries about papers authors and entities"
).split()


@dataclass(frozen=True)
class FloatPaper:
    path: Path
    questions: list[str]
    caption: str
    interrupted: str  # the paragraph the figure interrupts, expected whole


def _filler(seed: int, words: int) -> str:
    picked = [_WORDS[(seed * 5 + i * 7) % len(_WORDS)] for i in range(words)]
    return " ".join(picked).capitalize() + "."


class _Column:
    def __init__(self, pdf: FPDF, x: float) -> None:
        self.pdf, self.x, self.y = pdf, x, _MARGIN + 30

    def wrap(self, text: str, width: float) -> list[str]:
        return wrap(self.pdf, text, width)

    def text(self, text: str, indent: float = 0.0, hang: float = 0.0, width: float = _COL_W):
        self.pdf.set_font("Helvetica", size=_BODY_PT)
        for number, line in enumerate(self.wrap(text, width - hang)):
            self.pdf.set_xy(self.x + (indent if number == 0 else hang), self.y)
            self.pdf.cell(0, _LINE_H, line)
            self.y += _LINE_H
        self.y += 1.5


def write_float_paper(path: str | Path) -> FloatPaper:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.set_xy(_MARGIN, _MARGIN)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 8, "Construction of a Literature Graph", align="C")

    left = _Column(pdf, _MARGIN)
    left.text(" ".join(_filler(k, 14) for k in range(5)), indent=4)
    left.text("Researchers remain unable to answer simple questions such as:")
    for question in QUESTIONS:  # wrapped onto a second line set in under the first
        left.text(question, hang=4, width=_COL_W * 0.9)
    while left.y < _PAGE_H - _MARGIN - 70:
        left.text(" ".join(_filler(int(left.y) + k, 12) for k in range(3)), indent=4)
    # The interrupted paragraph fills the column to its foot, ending mid-sentence.
    pdf.set_font("Helvetica", size=_BODY_PT)
    lines = left.wrap(INTERRUPTED_START, _COL_W)
    left.y = _PAGE_H - _MARGIN - _LINE_H * len(lines)
    left.text(INTERRUPTED_START, indent=0)

    right = _Column(pdf, _MARGIN + _COL_W + _GUTTER)
    pdf.rect(right.x + 10, right.y, _COL_W - 20, 40)
    right.y += 44
    pdf.set_font("Helvetica", size=_BODY_PT)
    pdf.set_xy(right.x + 10, right.y)
    pdf.cell(0, _LINE_H, CAPTION)
    right.y += _LINE_H + 6
    right.text(INTERRUPTED_END)
    while right.y < _PAGE_H - _MARGIN - 30:
        right.text(" ".join(_filler(int(right.y) + k, 12) for k in range(3)), indent=4)
    out = Path(path)
    pdf.output(str(out))
    return FloatPaper(
        path=out,
        questions=QUESTIONS,
        caption=CAPTION,
        interrupted=f"{INTERRUPTED_START} {INTERRUPTED_END}",
    )
