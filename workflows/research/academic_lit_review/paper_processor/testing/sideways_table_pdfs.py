"""Generate a page (fpdf2) with a table set sideways in its left half, beside one column of
upright text holding a numbered section heading, as journals set a wide table on a portrait
page: to check that the table's turned cells stay out of the column's reading order (the heading
is no part of a paragraph of cells) and that no cell becomes a section heading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN = 20.0
_COL_X = 112.0
_COL_W = 78.0
_LINE_H = 4.6

HEADING = "3. Data sets"
# The table's columns (one turned line each on the page), names first, as a journal sets them.
_TABLE = [
    ["Catchment", "Traralgon", "Redhill", "Pine", "Stewarts", "Glendhu", "Cathedral", "Biesievlei"],
    ["Area (ha)", "8700", "195", "320", "18", "310", "190", "27"],
    ["Planted %", "70", "78", "100", "100", "67", "75", "98"],
    ["Species", "Eucalypt", "Radiata", "Radiata", "Radiata", "Radiata", "Patula", "Radiata"],
    ["Rainfall", "1472", "866", "775", "1156", "1282", "1436", "1332"],
    ["Distrib.", "U", "W", "W", "W", "U", "S", "W"],
    ["Pre-treatment", "22", "0", "0", "9", "3", "2", "10"],
    ["Forest age", "19", "9", "11", "20", "17", "20", "20"],
    ["Soil depth", "2.0", "1.0", "1.0", "1.0", "1.0", "1.5", "1.5"],
    ["References", "Hickel", "Scott", "Fahey", "Mein", "Scott", "Scott", "Scott"],
]
_BEFORE = (
    "The F-statistic was calculated for each catchment and compared with its critical value at "
    "the five percent level, so that a change in the flow regime after planting could be told "
    "apart from the variation between years that the rainfall alone explains."
)
_AFTER = (
    "Daily streamflow data were obtained from ten catchment studies in southeastern Australia, "
    "New Zealand and South Africa. The catchments were chosen for a known vegetation history and "
    "streamflow records of good quality over a lengthy period before and after planting."
)
_LAST = (
    "All catchments, with the exception of Traralgon Creek, were afforested with pine species, "
    "predominantly Pinus radiata, with Pinus patula planted at the two Cathedral Peak catchments."
)


@dataclass(frozen=True)
class SidewaysTablePaper:
    path: Path
    heading: str
    prose: list[str]  # the column's paragraphs, each expected whole
    cells: list[str]  # the table's words (none may become a heading)


def write_sideways_table_paper(path: str | Path) -> SidewaysTablePaper:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    # The table: each of its columns is a line running up the page, its cells spaced out.
    pdf.set_font("Times", size=8)
    for column, cells in enumerate(_TABLE):
        x = _MARGIN + 6 + column * 8.5
        for row, cell in enumerate(cells):
            y = _PAGE_H - _MARGIN - 10 - row * 30
            with pdf.rotation(90, x=x, y=y):
                pdf.text(x, y, cell)
    # The column of upright text beside it.
    y = _MARGIN + 20

    def paragraph(text: str) -> None:
        nonlocal y
        pdf.set_font("Times", size=10)
        pdf.set_xy(_COL_X, y)
        pdf.multi_cell(_COL_W, _LINE_H, text)
        y = pdf.get_y() + 3

    paragraph(_BEFORE)
    # A heading that shares its height with the turned cells beside it.
    y = 129.0
    pdf.set_font("Times", "B", 11)
    pdf.set_xy(_COL_X, y)
    pdf.cell(_COL_W, 6, HEADING)
    y += 9
    paragraph(_AFTER)
    paragraph(_LAST)
    out = Path(path)
    pdf.output(str(out))
    return SidewaysTablePaper(
        path=out,
        heading=HEADING,
        prose=[_BEFORE, _AFTER, _LAST],
        cells=[cell for cells in _TABLE for cell in cells],
    )
