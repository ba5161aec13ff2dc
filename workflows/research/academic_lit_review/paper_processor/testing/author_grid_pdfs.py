"""Generate a first page (fpdf2) whose authors sit in a grid under the title, as ACM sets them:
two rows of three slots, each slot an author's name, e-mail, institution and city, centred, one
line under the other; then an abstract. Read across, the grid interleaves everyone's lines; each
author's cell must read top to bottom as one paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

_PAGE_W = 215.9
_MARGIN = 19.0
_SLOT_W = (_PAGE_W - 2 * _MARGIN) / 3
_LINE_H = 4.2

AUTHORS = [
    ["Joseph Chee Chang", "josephc@allenai.org", "Allen Institute for AI", "Seattle, WA, USA"],
    ["Amy X. Zhang", "axz@cs.uw.edu", "University of Washington", "Seattle, WA, USA"],
    ["Jonathan Bragg", "jbragg@allenai.org", "Allen Institute for AI", "Seattle, WA, USA"],
    ["Andrew Head", "head@seas.upenn.edu", "University of Pennsylvania", "Philadelphia, PA, USA"],
    ["Kyle Lo", "kylel@allenai.org", "Allen Institute for AI", "Seattle, WA, USA"],
    ["Daniel S. Weld", "danw@allenai.org", "University of Washington", "Seattle, WA, USA"],
]
ABSTRACT = (
    "When reading a scholarly article, inline citations help researchers contextualize the "
    "current article and discover relevant prior work. However, it can be challenging to "
    "prioritize and make sense of the hundreds of citations encountered during literature "
    "reviews, which is what this paper sets out to help with."
)


@dataclass(frozen=True)
class AuthorGridPaper:
    path: Path
    cells: list[str]  # each author's lines joined by commas, in reading order


def write_author_grid_paper(path: str | Path) -> AuthorGridPaper:
    pdf = FPDF(format="letter", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.set_xy(_MARGIN, 20)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 8, "CiteSee: Augmenting Citations in Papers", align="C")
    y = 32.0
    for row in (AUTHORS[:3], AUTHORS[3:]):
        for slot, cell in enumerate(row):
            for number, line in enumerate(cell):
                pdf.set_font("Helvetica", size=11 if number == 0 else 9)
                pdf.set_xy(_MARGIN + slot * _SLOT_W, y + number * _LINE_H)
                pdf.cell(_SLOT_W, _LINE_H, line, align="C")
        y += 4 * _LINE_H + 4
    pdf.set_font("Helvetica", style="B", size=10)
    pdf.set_xy(_MARGIN, y + 4)
    pdf.cell(0, 5, "ABSTRACT")
    pdf.set_font("Helvetica", size=9)
    pdf.set_xy(_MARGIN, y + 10)
    pdf.multi_cell(_PAGE_W - 2 * _MARGIN, _LINE_H, ABSTRACT)
    out = Path(path)
    pdf.output(str(out))
    return AuthorGridPaper(path=out, cells=[", ".join(cell) for cell in AUTHORS])
