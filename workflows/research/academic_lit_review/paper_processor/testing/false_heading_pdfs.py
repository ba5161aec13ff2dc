"""Generate a page (fpdf2) of lines that look like headings and are none: a footnote's link
behind a bold number in a font of its own, numbered steps of pseudocode in bold, labels drawn
tiny inside a figure, a bold label that opens entry after entry, and the head of a table set in
from the text's edge or right under its caption, keywords in bold after their label, labels
of three matrices on one line, a pull quote of four lines in large bold type, a model's formula
and a procedure's call in bold; beside one real run-in heading that opens with a formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .typeset import filler, wrap

_PAGE_W = 210.0
_MARGIN = 25.0
_TEXT_W = _PAGE_W - 2 * _MARGIN
_LINE_H = 4.6
_BODY_PT = 10

TITLE = "Seeds of Influence in Complex Networks"
RUN_IN_HEADING = "3.2. CN(1,2) of seeds in a seed set."
HEADINGS = [(TITLE, 1), ("1 Introduction", 2), ("3 Methods", 2), (RUN_IN_HEADING, 3)]
FOOTNOTE_LINK = "https://arxiv.org/"
ALGORITHM_END = "4: end while"
FIGURE_LABELS = ["FIDD", "SIDD"]
LABEL = "Query:"
TABLE_HEAD = "Name Implementation"
TABLE_HEAD_ROW = "Parameter"
KEYWORDS = "Keywords: seeds, influence, networks, budgets"
MATRIX_LABELS = "Matrix A Matrix B Matrix C"
FORMULA = "Reach ~ Seeds + Budget + (1|Network)"
CALL = "Refine(seeds, budget)"
PULL_QUOTE = [
    "Seeds that share their neighbours",
    "waste the budget on nodes that",
    "other seeds reach anyway, so the",
    "greedy choice looks past them.",
]
_WORDS = (
    "a seed set spreads influence through the network when its members reach many nodes that "
    "no other seed reaches so common neighbours of seeds waste part of the budget"
).split()


@dataclass(frozen=True)
class FalseHeadingsPage:
    path: Path
    headings: list[tuple[str, int]]


def write_false_headings_page(path: str | Path) -> FalseHeadingsPage:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    y = 25.0

    def put(parts: list[tuple[str, str, float, str]], gap: float = 0.0, x: float = _MARGIN):
        nonlocal y
        y += gap
        for family, style, size, text in parts:
            pdf.set_font(family, style=style, size=size)
            pdf.set_xy(x, y)
            pdf.cell(pdf.get_string_width(text) + 0.1, _LINE_H, text)
            x += pdf.get_string_width(text) + 0.1
        y += _LINE_H

    def paragraph(seed: int, sentences: int = 3) -> None:
        pdf.set_font("Helvetica", size=_BODY_PT)
        for line in wrap(pdf, filler(_WORDS, seed, sentences), _TEXT_W):
            put([("Helvetica", "", _BODY_PT, line)])

    put([("Helvetica", "B", 18, TITLE)])
    put([("Helvetica", "B", _BODY_PT, KEYWORDS)], gap=3)
    put([("Helvetica", "B", 12, "1 Introduction")], gap=8)
    paragraph(1)
    # Pseudocode: numbered steps, the loop's end in bold.
    put([("Helvetica", "B", _BODY_PT, "Algorithm 1"), ("Helvetica", "", _BODY_PT, " Greedy")], 4)
    put([("Helvetica", "", _BODY_PT, "1: S = {}")])
    put([("Helvetica", "B", _BODY_PT, "2: while"), ("Helvetica", "", _BODY_PT, " |S| is below k")])
    put([("Helvetica", "", _BODY_PT, "3:     add the node that reaches most")])
    put([("Helvetica", "B", _BODY_PT, ALGORITHM_END)], gap=2.5)
    paragraph(2)
    # A figure whose legend is drawn in 2pt type.
    y += 4
    for label in FIGURE_LABELS:
        put([("Helvetica", "", 2, label)], gap=1.5, x=_MARGIN + 40)
    put([("Helvetica", "", 9, "Figure 1: Nodes reached by each seed set.")], gap=3)
    put([("Helvetica", "B", 12, "3 Methods")], gap=6)
    # A bold label that opens each example.
    for question in ("Which papers study seeds of influence?", "Which papers count neighbours?"):
        put([("Helvetica", "B", _BODY_PT, LABEL), ("Helvetica", "", _BODY_PT, f" {question}")], 3)
        paragraph(3, 1)
    # A run-in heading that opens with a formula in the text's type: only its words are bold.
    run_in = [
        ("Helvetica", "", _BODY_PT, "3.2. CN"),
        ("Helvetica", "", 7, "(1,2)"),
        ("Helvetica", "B", _BODY_PT, " of seeds in a seed set."),
        ("Helvetica", "", _BODY_PT, " By counting them the budget is spent on fewer nodes."),
    ]
    put(run_in, gap=4)
    paragraph(4)
    # A table whose head is set in from the text's left edge, its caption under it.
    put([("Helvetica", "B", _BODY_PT, TABLE_HEAD)], gap=5, x=_MARGIN + 8)
    # Its cells hold phrases of several words on three lines, the name beside the middle one
    # (no row of short cells side by side gives the table away).
    rows = (
        ("[Search]", ["Generate a search query and", "invoke the search tool on", "the query."]),
        (
            "[Expand]",
            ["Generate a subsection name", "and add all papers cited", "in the subsection."],
        ),
    )
    for name, cell in rows:
        for number, line in enumerate(cell):
            put([("Helvetica", "", _BODY_PT, line)], x=_MARGIN + 40)
            if number == 1:
                y -= _LINE_H
                put([("Courier", "", _BODY_PT, name)], x=_MARGIN + 3)
        y += 1.5
    put([("Helvetica", "", 9, "Table 1: Functions of the crawler.")], gap=3, x=_MARGIN + 45)
    paragraph(5)
    # A table captioned above, its one-word head row in bold right under the caption.
    put([("Helvetica", "B", 9, "Table 2 Statistics of the seed sets")], gap=5)
    put([("Helvetica", "B", 9, TABLE_HEAD_ROW)], gap=1.5)
    put([("Helvetica", "", 9, "Seeds per set 50")])
    put([("Helvetica", "", 9, "Common neighbours per seed 12")])
    paragraph(6, 1)
    # A footnote: its number in bold, the link in a font of its own.
    y = 270.0
    put([("Helvetica", "B", 8, "6"), ("Courier", "", 8, " " + FOOTNOTE_LINK)])
    # Page 2: the labels over three matrices set side by side, in bold, on one line.
    pdf.add_page()
    y = 25.0
    paragraph(7, 2)
    put([("Helvetica", "B", _BODY_PT, MATRIX_LABELS.replace(" Matrix", "        Matrix"))], 4)
    paragraph(8, 1)
    # A pull quote: more lines in large bold type than any heading wraps onto.
    for number, line in enumerate(PULL_QUOTE):
        put([("Helvetica", "B", 13, line)], gap=6 if number == 0 else 1.0)
    paragraph(9, 2)
    # A model's formula and a procedure's name with its arguments, each in bold on its own line.
    put([("Helvetica", "B", _BODY_PT, FORMULA)], gap=5)
    paragraph(10, 1)
    put([("Helvetica", "B", _BODY_PT, CALL)], gap=5)
    paragraph(11, 1)
    out = Path(path)
    pdf.output(str(out))
    return FalseHeadingsPage(path=out, headings=HEADINGS)
