"""Generate a two-page paper (fpdf2) whose first page ends as real first pages do: under both
columns a small-type venue footer of two centred lines (ACL's "Proceedings of …, pages …" /
"… © 2014 Association for …"), and the right column's paragraph running on over the page break.
Under the title two centred affiliations, each opening with its mark (†, ‡), must read as two
paragraphs. Page 2 opens with a full-width figure whose wide caption wraps onto a last line of one word, above
the paragraph's second half: the paragraph must read whole, the caption after it, whole, and the
footer as one paragraph that cuts no sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .degraded_pdfs import font_path
from .typeset import filler, wrap

_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN = 20.0
_GUTTER = 8.0
_COL_W = (_PAGE_W - 2 * _MARGIN - _GUTTER) / 2
_LINE_H = 4.6
_BODY_PT = 10

AFFILIATIONS = [
    "†Department of Chemistry, University of Rochester, Rochester, NY, 14627",
    "‡Vial Health Technology, Inc., San Francisco, CA 94111",
]
FOOTER = [
    "Proceedings of the 52nd Annual Meeting of the Association for Computational Linguistics, "
    "pages 624-633,",
    "Baltimore, Maryland, USA, June 23-25 2014. (c) 2014 Association for Computational Linguistics",
]
CAPTION_LINES = [
    "Figure 2: [Left] To help users discover important prior work, unexplored citations are",
    "highlighted in different shades of yellow to indicate their potential relevance to the user.",
    "To see personalized context, users can click on a citation to see where the paper was",
    "saved.",
]
SPLIT_START = (
    "While inline citations are useful for discovering literature, it is often difficult to "
    "prioritize which citations to pay attention to in the middle of a reading task. One "
    "challenge is that even though there is some relationship between all inline citations and "
    "the citing paper,"
)
SPLIT_END = (
    "only a subset of them will be relevant to the interests of the reader at the time of "
    "reading, which is especially challenging during literature reviews."
)
_WORDS = (
    "inline citations help researchers contextualize the current article and discover relevant "
    "prior work while reading many papers during a literature review of a new field"
).split()


@dataclass(frozen=True)
class FirstPagePaper:
    path: Path
    footer: str  # the venue footer's lines, expected as one paragraph
    affiliations: list[str]  # each its own paragraph
    caption: str  # the wide caption, expected whole
    split: str  # the paragraph the page break and the figure interrupt, expected whole


def _set(pdf: FPDF, lines: list[str], x: float, y: float, indent: float = 4.0) -> float:
    for number, line in enumerate(lines):
        pdf.set_xy(x + (indent if number == 0 else 0.0), y)
        pdf.cell(0, _LINE_H, line)
        y += _LINE_H
    return y + 1.5


def write_first_page_paper(path: str | Path) -> FirstPagePaper:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.set_xy(_MARGIN, _MARGIN)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 8, "Citations with Personal Context", align="C")
    pdf.add_font("Marks", fname=font_path())  # the core fonts have no † or ‡
    pdf.set_font("Marks", size=9)
    for number, line in enumerate(AFFILIATIONS):
        pdf.set_xy(_MARGIN, _MARGIN + 10 + 4.0 * number)
        pdf.cell(_PAGE_W - 2 * _MARGIN, 4.0, line, align="C")
    pdf.set_font("Helvetica", size=_BODY_PT)
    foot = _PAGE_H - 32.0  # where both columns end, above the footer
    y = _MARGIN + 24
    for k in range(40):  # the left column: whole paragraphs
        lines = wrap(pdf, filler(_WORDS, k, 3), _COL_W - 4)
        if y + _LINE_H * len(lines) > foot:
            break
        y = _set(pdf, lines, _MARGIN, y)
    right_x = _MARGIN + _COL_W + _GUTTER
    _set(pdf, wrap(pdf, filler(_WORDS, 50, 4), _COL_W - 4), right_x, _MARGIN + 24)
    # The right column ends mid-sentence at its foot.
    split = wrap(pdf, SPLIT_START, _COL_W - 4)
    _set(pdf, split, right_x, foot - _LINE_H * len(split))
    # The venue footer, small and centred under both columns.
    pdf.set_font("Helvetica", style="I", size=8)
    for number, line in enumerate(FOOTER):
        pdf.set_xy(_MARGIN, _PAGE_H - 20 + 3.4 * number)
        pdf.cell(_PAGE_W - 2 * _MARGIN, 3.4, line, align="C")

    pdf.add_page()
    pdf.rect(_MARGIN, _MARGIN, _PAGE_W - 2 * _MARGIN, 50)
    pdf.set_font("Helvetica", style="B", size=9)
    y = _MARGIN + 54
    for line in CAPTION_LINES:
        pdf.set_xy(_MARGIN, y)
        pdf.cell(0, 4.0, line)
        y += 4.0
    pdf.set_font("Helvetica", size=_BODY_PT)
    y += 6
    y_left = _set(pdf, wrap(pdf, SPLIT_END, _COL_W), _MARGIN, y, indent=0.0)
    _set(pdf, wrap(pdf, filler(_WORDS, 60, 3), _COL_W - 4), _MARGIN, y_left)
    y_right = y
    for k in range(3):
        y_right = _set(pdf, wrap(pdf, filler(_WORDS, 70 + k, 3), _COL_W - 4), right_x, y_right)
    out = Path(path)
    pdf.output(str(out))
    return FirstPagePaper(
        path=out,
        footer=" ".join(FOOTER),
        affiliations=AFFILIATIONS,
        caption=" ".join(CAPTION_LINES),
        split=f"{SPLIT_START} {SPLIT_END}",
    )
