"""Generate a five-page paper (fpdf2) whose page footer changes shape: on the article's pages
the journal's address with the page number at the left and the copyright at the right edge,
on the supplement's last two pages the address and the copyright run together without a
number; a licence line in small type under it on every page. On page four a paragraph runs
into the next page past a small-type note ("Correspondence:" in bold over the authors'
addresses) at the foot of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .typeset import wrap

_PAGE_W, _PAGE_H = 210.0, 297.0
_LEFT = 20.0
_TEXT_W = 170.0
_LINE_H = 4.6
_BODY_PT = 10

ADDRESS = "www.journalofsynthesis.org"
COPYRIGHT = "© 2014 The Author(s)"
LICENCE = (
    "The author(s) has paid for this article to be freely available under the terms of the "
    "Creative Commons Attribution Licence."
)
NOTE_HEADING = "Correspondence:"
NOTE = "Professor Jane Doe (email jane.doe@example.org) or Professor John Roe (roe@example.org)."
RUNS_ON_START = (
    "The commercially available phosphinic acid was dissolved in dry dichloromethane and the "
    "solution was cooled to zero degrees before the coupling reagent was added in three "
    "portions over ten minutes, after which the mixture was stirred for two hours under "
    "argon and then washed twice with aqueous sodium bicarbonate and once with brine and the "
    "organic phase was dried over magnesium sulfate, filtered and concentrated under reduced"
)
RUNS_ON_END = "pressure to give the crude ester as a colourless oil."
_WORDS = (
    "the residue was purified by silica gel chromatography using dichloromethane and methanol "
    "as eluent and afforded the protected dipeptide as a white solid in good yield"
).split()


@dataclass(frozen=True)
class FooterPaper:
    path: Path
    footer_words: list[str]  # words that stand only in the footers
    note: str
    runs_on: str  # the paragraph broken by the page end, expected whole


def _sentence(seed: int, clauses: int) -> str:
    """One long sentence of clauses (a full stop only at its end: no line of a paragraph but
    its last ends a sentence, so paragraph ends are where the generator puts them)."""
    picked = [
        " ".join(_WORDS[(seed * 5 + k * 3 + i * 7) % len(_WORDS)] for i in range(14))
        for k in range(clauses)
    ]
    return ", ".join(picked).capitalize() + "."


def _paragraph(pdf: FPDF, text: str, y: float) -> float:
    pdf.set_font("Helvetica", size=_BODY_PT)
    for number, line in enumerate(wrap(pdf, text, _TEXT_W - 5)):
        pdf.set_xy(_LEFT + (5 if number == 0 else 0), y)
        pdf.cell(0, _LINE_H, line)
        y += _LINE_H
    return y + 1


def _footer(pdf: FPDF, number: int | None) -> None:
    y = _PAGE_H * 0.9
    pdf.set_font("Helvetica", size=8)
    if number is None:  # the supplement: address and copyright run together
        pdf.set_xy(_LEFT, y)
        pdf.cell(0, 4, f"{ADDRESS} {COPYRIGHT}")
    else:
        pdf.set_xy(_LEFT, y)
        pdf.cell(0, 4, f"{ADDRESS} {number}")
        pdf.set_xy(_LEFT + _TEXT_W - 40, y)
        pdf.cell(40, 4, COPYRIGHT, align="R")
    pdf.set_font("Helvetica", size=6)
    pdf.set_xy(_LEFT, y + 4)
    pdf.cell(0, 3, LICENCE)


def write_footer_paper(path: str | Path) -> FooterPaper:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    for page in range(5):
        pdf.add_page()
        y = 25.0
        if page == 3:  # the paragraph that runs on sits at the page's foot, above the note
            for k in range(5):
                y = _paragraph(pdf, _sentence(page * 7 + k, 4), y)
            lines = wrap(pdf, RUNS_ON_START, _TEXT_W - 5)
            y = _PAGE_H * 0.8 - _LINE_H * len(lines)
            _paragraph(pdf, RUNS_ON_START, y)
            pdf.set_font("Helvetica", style="B", size=7)
            pdf.set_xy(_LEFT, _PAGE_H * 0.83)
            pdf.cell(0, 3.5, NOTE_HEADING)
            pdf.set_font("Helvetica", size=7)
            pdf.set_xy(_LEFT, _PAGE_H * 0.83 + 3.5)
            pdf.cell(0, 3.5, NOTE)
        else:
            if page == 4:
                pdf.set_font("Helvetica", size=_BODY_PT)
                pdf.set_xy(_LEFT, y)
                pdf.cell(0, _LINE_H, RUNS_ON_END)
                y += _LINE_H + 1
            while y < _PAGE_H * 0.75:
                y = _paragraph(pdf, _sentence(page * 7 + int(y), 4), y)
        _footer(pdf, 307 + page if page < 3 else None)
    out = Path(path)
    pdf.output(str(out))
    return FooterPaper(
        path=out,
        footer_words=["journalofsynthesis", "Creative Commons"],
        note=NOTE,
        runs_on=f"{RUNS_ON_START} {RUNS_ON_END}",
    )
