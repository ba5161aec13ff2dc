"""Generate a one-column paper (fpdf2) with an algorithm set as CS papers set it: a caption
("Algorithm 1 ..."), then numbered steps in the body's own Times (keywords bold), each label
right-aligned in a narrow margin and each step's text indented by its nesting, to check that the
layout stage keeps the steps line by line with their indents and lets the prose around them be.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

_MARGIN = 25.0
_LINE_H = 5.0
_PT = 25.4 / 72  # mm per point
_BODY = 10.0  # pt
_STEP = 1.5 * _BODY * _PT  # mm: one level of nesting, 1.5 em of the body size
_SPACES_PER_LEVEL = 3  # 1.5 em in spaces of half an em

CAPTION = "Algorithm 1 Expand the paper queue"
# (depth, keyword in bold, rest in roman)
STEPS = [
    (0, "procedure", "Expand(q)"),
    (1, "", "Q <- search(q)"),
    (1, "while", "Q is not empty do"),
    (2, "", "p <- pop(Q)"),
    (2, "for each", "citation c of p do"),
    (3, "if", "relevant(c) then"),
    (4, "", "push(Q, c)"),
    (3, "end if", ""),
    (2, "end for", ""),
    (1, "end while", ""),
    (0, "end procedure", ""),
]
_BEFORE = (
    "The crawler keeps a queue of papers to read. Algorithm 1 shows how it expands the queue "
    "from a query, following each citation that the selector finds relevant to the question."
)
_AFTER = (
    "Each paper enters the queue at most once, so the crawl ends after a number of steps "
    "bounded by the size of the citation graph that the query reaches."
)


@dataclass(frozen=True)
class AlgorithmPaper:
    path: Path
    steps: list[str]  # the steps as markdown should keep them, one a line
    prose: list[str]  # paragraphs expected as text


def write_algorithm_paper(path: str | Path) -> AlgorithmPaper:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(_MARGIN, _MARGIN)
    pdf.add_page()
    y = _MARGIN

    def prose(text: str) -> None:
        nonlocal y
        pdf.set_font("Times", size=_BODY)
        pdf.set_xy(_MARGIN, y)
        pdf.multi_cell(160, _LINE_H, text)
        y = pdf.get_y() + 4

    prose(_BEFORE)
    pdf.set_font("Times", "B", _BODY)
    pdf.text(_MARGIN, y + 3.5, CAPTION.split(" E")[0])
    pdf.set_font("Times", size=_BODY)
    pdf.text(_MARGIN + 20, y + 3.5, "E" + CAPTION.split(" E", 1)[1])
    y += _LINE_H + 1
    label_right = _MARGIN + 6.0
    text_left = label_right + 3.0
    for number, (depth, keyword, rest) in enumerate(STEPS, start=1):
        baseline = y + 3.5
        pdf.set_font("Times", size=9)
        label = f"{number}:"
        pdf.text(label_right - pdf.get_string_width(label), baseline, label)
        x = text_left + depth * _STEP
        if keyword:
            pdf.set_font("Times", "B", _BODY)
            pdf.text(x, baseline, keyword)
            x += pdf.get_string_width(keyword + " ")
        if rest:
            pdf.set_font("Times", size=_BODY)
            pdf.text(x, baseline, rest)
        y += 4.6
    y += 4
    prose(_AFTER)
    pdf.output(str(path))
    width = len(f"{len(STEPS)}:")
    steps = [
        f"{f'{n}:':>{width}} "
        + " " * (_SPACES_PER_LEVEL * depth)
        + " ".join(part for part in (keyword, rest) if part)
        for n, (depth, keyword, rest) in enumerate(STEPS, start=1)
    ]
    return AlgorithmPaper(path=Path(path), steps=steps, prose=[_BEFORE, _AFTER])
