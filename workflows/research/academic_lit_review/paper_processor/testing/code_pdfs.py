"""Generate a one-column paper (fpdf2) with a code listing set in Courier between paragraphs of
Times, a Courier word inside a sentence, authors' addresses in Courier, and bold section
headings, to check that the layout stage keeps a listing line by line (indentation from where
each line starts), and only the listing, and that headings come out without the bold markup
their type implies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

_MARGIN = 25.0
_LINE_H = 5.0
_INDENT = 2 * 0.6 * 9 * 25.4 / 72  # mm: two Courier characters at 9 pt

HEADINGS = ["1 Introduction", "2 Method"]
# (depth, text): each line is drawn at its depth's indent, without leading space characters.
LISTING = [
    (0, "def count_words(papers):"),
    (1, "counts = {}"),
    (1, "for paper in papers:"),
    (2, "for word in paper.split():"),
    (3, "counts[word] = counts.get(word, 0) + 1"),
    (1, "return counts"),
]
INLINE_CODE = "split"
# Authors' addresses in Courier under the first heading: no listing.
ADDRESSES = ["{ada,charles}@engine.example.org,", "grace@navy.example.mil"]
_INTRO = (
    "Readers of a converted paper need its listings intact. The method below counts the words of "
    "every paper in a collection and keeps the totals in a dictionary keyed by the word itself, "
    "so that a later step can rank the terms."
)
_BEFORE = "The function calls"
_AFTER = (
    "on each paper and adds one to the count of every word it returns, as the listing below "
    "shows line by line."
)
_CLOSING = (
    "The counts are then normalised by the number of papers, which makes collections of "
    "different sizes comparable when their vocabularies are set side by side."
)


@dataclass(frozen=True)
class CodePaper:
    path: Path
    headings: list[str]
    listing: list[str]  # the listing's lines as markdown should keep them (indented by spaces)
    prose: list[str]  # paragraphs expected as text
    addresses: list[str]  # typewriter lines expected as text, in no listing


def write_code_paper(path: str | Path) -> CodePaper:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(_MARGIN, _MARGIN)
    pdf.add_page()
    y = _MARGIN

    def heading(text: str) -> None:
        nonlocal y
        y += 4
        pdf.set_font("Times", "B", 12)
        pdf.set_xy(_MARGIN, y)
        pdf.cell(0, _LINE_H, text)
        y += _LINE_H + 2

    def prose(text: str) -> None:
        nonlocal y
        pdf.set_font("Times", size=10)
        pdf.set_xy(_MARGIN, y)
        pdf.multi_cell(160, _LINE_H, text)
        y = pdf.get_y() + 4

    pdf.set_font("Courier", size=10)
    for address in ADDRESSES:
        pdf.set_xy(_MARGIN + 30, y)
        pdf.cell(0, _LINE_H, address)
        y += _LINE_H
    y += 2
    heading(HEADINGS[0])
    prose(_INTRO)
    # A sentence with one word in Courier: emphasis of a name, no listing.
    pdf.set_font("Times", size=10)
    pdf.set_xy(_MARGIN, y)
    pdf.write(_LINE_H, _BEFORE + " ")
    pdf.set_font("Courier", size=10)
    pdf.write(_LINE_H, INLINE_CODE)
    pdf.set_font("Times", size=10)
    pdf.write(_LINE_H, " " + _AFTER)
    y = pdf.get_y() + _LINE_H + 4
    pdf.set_font("Courier", size=9)
    for depth, text in LISTING:
        pdf.text(_MARGIN + 6 + depth * _INDENT, y + 3.5, text)
        y += 4.2
    y += 3
    heading(HEADINGS[1])
    prose(_CLOSING)
    pdf.output(str(path))
    return CodePaper(
        path=Path(path),
        headings=list(HEADINGS),
        listing=["  " * depth + text for depth, text in LISTING],
        prose=[_INTRO, f"{_BEFORE} {INLINE_CODE} {_AFTER}", _CLOSING],
        addresses=list(ADDRESSES),
    )
