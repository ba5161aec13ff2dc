"""Generate one page (fpdf2) cut from the middle of a paper: a running head with the page number
set above the text (the paper's title, the journal's name or the authors), text that opens
mid-sentence, a numbered section, paragraphs that open with what markdown reads as markup
("# of layers", "1.", "> 90%"), and names written with TeX's spacing accents before their
letters ("C´el´erier"). Optionally the page opens a paper: a title of its own under the head.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .typeset import filler, wrap

_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN = 40.0  # a book-style page: the running head sits lower than a tenth of the page
_TEXT_W = _PAGE_W - 2 * _MARGIN
_LINE_H = 4.6
_BODY_PT = 10.5
_HEAD_PT = 9

HEADING = "5.1 Hyper Parameter Optimization"
ACCENTED = "as C´el´erier and Garc´ia observed, and Schr¨odinger noted"  # as drawn
ACCENTED_READ = "as Célérier and García observed, and Schrödinger noted"  # as a reader reads it
MARKUP_OPENINGS = [
    "# of layers in the encoder and the decoder of each model we trained.",
    "1. The model is trained on the same split for every representation.",
    "> 90% of the tables in the set have no cell that spans two rows.",
]
_WORDS = (
    "the table structure is predicted as a sequence of tokens whose vocabulary is small so "
    "that the model learns the grammar of rows and cells from fewer examples than before"
).split()


@dataclass(frozen=True)
class ExcerptPage:
    path: Path
    running_head: str  # as set, page number included
    paragraphs: list[str]


def write_excerpt_page(
    path: str | Path, *, running_head: str, title: str | None = None
) -> ExcerptPage:
    """One page under `running_head` (its page number included), opening mid-paper unless a
    `title` opens it."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=_HEAD_PT)
    pdf.set_xy(_MARGIN, _MARGIN - 12)
    pdf.cell(_TEXT_W, 4, running_head, align="R")
    y = _MARGIN
    if title is not None:
        pdf.set_font("Helvetica", style="B", size=16)
        pdf.set_xy(_MARGIN, y)
        pdf.cell(_TEXT_W, 8, title, align="C")
        y += 16
    paragraphs = [
        filler(_WORDS, 1, 3, first_lower=title is None),
        HEADING,
        f"{filler(_WORDS, 2, 2)} The same holds {ACCENTED} in their work. {filler(_WORDS, 3, 2)}",
        *MARKUP_OPENINGS,
        filler(_WORDS, 4, 4),
    ]
    for text in paragraphs:
        bold = text == HEADING
        pdf.set_font("Helvetica", style="B" if bold else "", size=_BODY_PT)
        for line in wrap(pdf, text, _TEXT_W):
            pdf.set_xy(_MARGIN, y)
            pdf.cell(0, _LINE_H, line)
            y += _LINE_H
        y += 3.5
    out = Path(path)
    pdf.output(str(out))
    return ExcerptPage(path=out, running_head=running_head, paragraphs=paragraphs)


def write_large_type_excerpt(path: str | Path) -> Path:
    """A page cut from a paper's end, without a title: the proof that ends the text in 12pt
    short paragraphs, then a long list of references in 9pt (most of the page's letters)."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    y = 30.0
    for seed in range(3):
        pdf.set_font("Helvetica", size=12)
        for line in wrap(pdf, filler(_WORDS, seed, 1), _TEXT_W * 0.8):
            pdf.set_xy(_MARGIN, y)
            pdf.cell(0, 6, line)
            y += 6
        y += 4
    y = max(y, 150.0)
    pdf.set_font("Helvetica", size=9)
    for number in range(1, 19):
        pdf.set_xy(_MARGIN, y)
        pdf.cell(
            0, 4, f"{number}. A. Author and B. Writer, {filler(_WORDS, number, 1)[:70]}, 2024."
        )
        y += 6
    out = Path(path)
    pdf.output(str(out))
    return out
