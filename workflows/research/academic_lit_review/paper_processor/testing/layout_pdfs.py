"""Generate PDFs with a known layout (fpdf2), to check the text-layer layout stage against.

`write_two_column_paper` sets a paper the way journals do: a full-width title, authors and
abstract above two columns; numbered, ALL-CAPS and bold unnumbered headings; a running header
and a page number on every page; review-copy line numbers in the margin; a footnote; a table;
a references list. `write_unspaced_paper` places every word on its own, with no space character
in the text layer, as some older TeX PDFs do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .typeset import wrap

RUNNING_HEADER = "Journal of Layout Studies, Volume 7"
TITLE = "Reading Order in Two Column Documents"
FOOTNOTE = "1 The corpus is described in the appendix of the preprint."

# (heading text, level) in reading order; the title is level 1.
HEADINGS: list[tuple[str, int]] = [
    (TITLE, 1),
    ("Abstract", 2),
    ("1 Introduction", 2),
    ("1.1 Background", 3),
    ("2 METHODS", 2),
    ("Data Collection", 3),
    ("3 Results", 2),
    ("References", 2),
]

_WORDS = (
    "layout analysis recovers the structure of a page from the positions of its lines and "
    "spans so that a reader can follow sections paragraphs and lists in their natural order "
    "while headers footers and margin numbers stay out of the running text"
).split()

_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN = 20.0
_GUTTER = 8.0
_COL_W = (_PAGE_W - 2 * _MARGIN - _GUTTER) / 2
_LINE_H = 5.0
_BODY_PT = 10


@dataclass(frozen=True)
class Generated:
    path: Path
    headings: list[tuple[str, int]]
    paragraphs: list[str]  # body paragraphs, each expected whole in the markdown
    table_cells: list[str]
    references: list[str]


def _sentence(seed: int, words: int) -> str:
    picked = [_WORDS[(seed * 7 + i * 3) % len(_WORDS)] for i in range(words)]
    return " ".join(picked).capitalize() + "."


def _paragraph(seed: int, sentences: int = 7) -> str:
    return " ".join(_sentence(seed * 11 + k, 12 + (seed + k) % 5) for k in range(sentences))


class _Columns:
    """Writes lines top to bottom in the left column, then the right one, page after page."""

    def __init__(self, pdf: FPDF, top: float) -> None:
        self.pdf = pdf
        self.col = 0
        self.y = top
        self.top = top  # where the columns start on this page (below the first page's title)
        self.line_no = 1
        self.page_footnote: str | None = None

    @property
    def x(self) -> float:
        return _MARGIN + self.col * (_COL_W + _GUTTER)

    def _bottom(self) -> float:
        return _PAGE_H - _MARGIN - (12 if self.page_footnote else 0)

    def _advance(self, height: float) -> None:
        if self.y + height <= self._bottom():
            return
        if self.col == 0:
            self.col, self.y = 1, self.top
        else:
            _new_page(self.pdf)
            self.top = _MARGIN + 10
            self.col, self.y = 0, self.top
            self.page_footnote = None

    def line(
        self, text: str, *, style: str = "", size: int = _BODY_PT, indent: float = 0.0
    ) -> None:
        self._advance(_LINE_H)
        pdf = self.pdf
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.set_xy(self.x + indent, self.y)
        pdf.cell(_COL_W - indent, _LINE_H, text)
        # A review copy numbers each line in the margin beside its column.
        pdf.set_font("Helvetica", size=6)
        number_x = 6.0 if self.col == 0 else _PAGE_W - 11.0
        pdf.set_xy(number_x, self.y)
        pdf.cell(5, _LINE_H, f"{self.line_no:03d}")
        self.line_no += 1
        self.y += _LINE_H

    def gap(self, height: float = 3.0) -> None:
        self.y += height

    def paragraph(self, text: str, *, indent_first: bool = True) -> None:
        indent = 4.0 if indent_first else 0.0
        self.pdf.set_font("Helvetica", size=_BODY_PT)  # measured in the body font line() sets
        for number, line in enumerate(wrap(self.pdf, text, _COL_W, _COL_W - indent)):
            self.line(line, indent=indent if number == 0 else 0.0)

    def heading(self, text: str, *, size: int = 12) -> None:
        self._advance(3 * _LINE_H)
        self.gap(4)
        self.line(text, style="B", size=size)
        self.gap(1)

    def footnote(self, text: str) -> None:
        """A footnote at the foot of the current column's page."""
        self.page_footnote = text
        pdf = self.pdf
        pdf.set_font("Helvetica", size=7)
        pdf.set_xy(_MARGIN, _PAGE_H - _MARGIN - 8)
        pdf.cell(_COL_W, 4, text)


def _new_page(pdf: FPDF) -> None:
    pdf.add_page()
    pdf.set_font("Helvetica", style="I", size=8)
    pdf.set_xy(_MARGIN, 8)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 5, RUNNING_HEADER, align="C")
    pdf.set_font("Helvetica", size=8)
    pdf.set_xy(_MARGIN, _PAGE_H - 12)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 5, str(pdf.page_no()), align="C")


def write_two_column_paper(path: str | Path) -> Generated:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    _new_page(pdf)
    pdf.set_font("Helvetica", style="B", size=18)
    pdf.set_xy(_MARGIN, 24)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 9, TITLE, align="C")
    pdf.set_font("Helvetica", size=11)
    pdf.set_xy(_MARGIN, 36)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 6, "Ada Example and Alan Sample", align="C")
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.set_xy(_MARGIN, 48)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 6, "Abstract", align="C")
    abstract = _paragraph(1, 3)
    pdf.set_font("Helvetica", size=_BODY_PT)
    pdf.set_xy(_MARGIN + 10, 56)
    pdf.multi_cell(_PAGE_W - 2 * _MARGIN - 20, _LINE_H, abstract)
    top = pdf.get_y() + 6

    cols = _Columns(pdf, top)
    paragraphs = [abstract]
    cols.footnote(FOOTNOTE)
    cols.heading("1 Introduction")
    for seed in (2, 3, 10):
        text = _paragraph(seed)
        cols.paragraph(text)
        paragraphs.append(text)
    cols.heading("1.1 Background", size=11)
    text = _paragraph(4)
    cols.paragraph(text)
    paragraphs.append(text)
    cols.heading("2 METHODS")
    for seed in (5, 6, 11, 12):
        text = _paragraph(seed)
        cols.paragraph(text)
        paragraphs.append(text)
    cols.heading("Data Collection", size=11)
    text = _paragraph(7)
    cols.paragraph(text)
    paragraphs.append(text)
    cols.heading("3 Results")
    text = _paragraph(8)
    cols.paragraph(text)
    paragraphs.append(text)
    cols.gap(3)
    cols.line("Table 1: Accuracy by method.", size=9)
    cells = [
        ["Method", "Precision", "Recall"],
        ["Baseline", "0.61", "0.55"],
        ["Layout", "0.93", "0.91"],
    ]
    for row in cells:
        cols._advance(_LINE_H)
        pdf.set_font("Helvetica", size=9)
        for k, cell in enumerate(row):
            pdf.set_xy(cols.x + 2 + k * 24, cols.y)
            pdf.cell(22, _LINE_H, cell)
        cols.y += _LINE_H
    cols.gap(3)
    text = _paragraph(9)
    cols.paragraph(text)
    paragraphs.append(text)
    cols.heading("References")
    references = [
        "[1] A. Example. Reading order of scanned pages. Journal of Layout, 3:1-9, 2019.",
        "[2] B. Sample. Heading detection without models. In Proceedings of Pages, 2021.",
        "[3] C. Author. Columns and gutters. Layout Letters, 12:40-44, 2022.",
    ]
    for ref in references:
        pdf.set_font("Helvetica", size=9)
        # A hanging indent: the entry's later lines are set in.
        for number, line in enumerate(wrap(pdf, ref, _COL_W - 4.0, _COL_W)):
            cols.line(line, size=9, indent=0.0 if number == 0 else 4.0)
    out = Path(path)
    pdf.output(str(out))
    return Generated(
        path=out,
        headings=HEADINGS,
        paragraphs=paragraphs,
        table_cells=[c for row in cells for c in row],
        references=references,
    )


UNSPACED_TEXT = (
    "The continuous electron beam accelerator facility delivers beams to three experimental "
    "halls at once and its detectors record the scattering of electrons from nuclear targets"
)


def write_unspaced_paper(path: str | Path) -> Path:
    """One page whose text layer holds every word but no space character.

    Each line is one text-showing operator that moves the pen between words by a kerning offset
    (`[(The)-333(continuous)] TJ`), the way some TeX drivers set text.
    """
    words = UNSPACED_TEXT.split()
    lines = [words[i : i + 8] for i in range(0, len(words), 8)]
    ops = ["BT", "/F1 11 Tf", "14 TL", "72 720 Td"]
    for line in lines:
        shown = "-333".join(f"({word})" for word in line)
        ops.append(f"[{shown}] TJ T*")
    ops.append("ET")
    content = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>",
    ]
    body = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    out = Path(path)
    out.write_bytes(bytes(body))
    return out


# (heading text, level) of `write_heading_styles_paper`, in reading order.
STYLED_HEADINGS: list[tuple[str, int]] = [
    ("Heading Styles Without Bold Type", 1),
    ("1 Introduction", 2),
    ("1.1. readData", 3),
    ("1.2. k-means clustering.", 3),  # run in, at its number's level
    ("Data preprocessing", 3),
    ("Acknowledgements", 2),
    ("References", 2),
]
# Lines that stand alone but are no headings: a body-size italic remark, a numbered step.
NOT_HEADINGS = ["Note that this remark stands apart", "2. apply the filter twice"]


def write_heading_styles_paper(path: str | Path) -> Path:
    """One column of 10pt Helvetica with headings set apart by other means than bold type: a
    bold section number before a code name in Courier, 11pt italic, a font of its own; and a
    run-in heading with a math-italic variable before its bold words."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    width = _PAGE_W - 2 * _MARGIN
    y = 30.0

    def put(parts: list[tuple[str, str, int, str]], gap: float = 0.0) -> None:
        nonlocal y
        y += gap
        x = _MARGIN
        for family, style, size, text in parts:
            pdf.set_font(family, style=style, size=size)
            pdf.set_xy(x, y)
            pdf.cell(pdf.get_string_width(text) + 0.1, _LINE_H, text)
            x += pdf.get_string_width(text) + 0.1
        y += _LINE_H

    def paragraph(seed: int) -> None:
        pdf.set_font("Helvetica", size=_BODY_PT)
        for line in wrap(pdf, _paragraph(seed, 4), width):
            put([("Helvetica", "", _BODY_PT, line)])

    put([("Helvetica", "B", 18, STYLED_HEADINGS[0][0])])
    put([("Helvetica", "B", 12, "1 Introduction")], gap=8)
    paragraph(1)
    put([("Helvetica", "B", 11, "1.1. "), ("Courier", "", 11, "readData")], gap=5)
    paragraph(2)
    # A run-in heading with a variable in math italics: "1.2. *k***-means clustering.**".
    run_in = [
        ("Helvetica", "", _BODY_PT, "1.2. "),
        ("Times", "I", _BODY_PT, "k"),
        ("Helvetica", "B", _BODY_PT, "-means clustering."),
        ("Helvetica", "", _BODY_PT, " Points are grouped around their nearest centre."),
    ]
    put(run_in, gap=5)
    paragraph(7)
    put([("Helvetica", "I", _BODY_PT, NOT_HEADINGS[0])], gap=5)
    paragraph(3)
    put([("Helvetica", "I", 11, "Data preprocessing")], gap=5)
    paragraph(4)
    put([("Helvetica", "", _BODY_PT, NOT_HEADINGS[1])], gap=5)
    paragraph(5)
    put([("Times", "", _BODY_PT, "Acknowledgements")], gap=5)
    paragraph(6)
    put([("Times", "", _BODY_PT, "References")], gap=5)
    put([("Helvetica", "", _BODY_PT, "Example, A., 2001. A study of layouts. Journal 1, 1-9.")], 3)
    pdf.output(str(path))
    return Path(path)


# (heading text, level) of `write_banners_and_tables_paper`, in reading order. TeX sets accents
# as glyphs of their own ("Schr¨odinger"); the heading carries the accented letter.
BANNER_TITLE = "Headings Among Banners, Tables and Lists in One Column"
BANNER_HEADINGS: list[tuple[str, int]] = [
    (BANNER_TITLE, 1),
    ("Abstract", 2),
    ("1 Introduction", 2),
    ("2 Methods", 2),
    ("2.1 Data Sources", 3),
    ("3 Schrödinger Equations", 2),
    ("References", 2),
    ("MOTIVATION", 2),
]
BANNERS = ["Research Article", "Journal of Examples"]
# Set apart like headings, and none: a table's head, list items and reference entries that open
# with a bold label, a number or an initial, and running text on a page set in larger type.
NOT_SECTION_TITLES = [
    "Split Recall Precision Recall Precision",
    "1. Learner:",
    "2. Extractor:",
    "[Smith, 2000] J. Smith and K. Lee.",
    "E. Agichtein. 2006. Confidence",
    "The dataset was made to study",
    "Setting Value",
]


def write_banners_and_tables_paper(path: str | Path) -> Path:
    """One column of 10pt Helvetica under a journal banner ("Research Article" in the title's
    size, the journal's name sideways in the margin), a two-line title, a link to a section,
    a heading in body-size italics followed at once by its paragraph, a numbered list with bold
    labels, two tables whose bold head is one line, references, and a last page set in 14pt."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    width = _PAGE_W - 2 * _MARGIN
    y = 24.0

    def put(parts: list[tuple[str, int, str]], gap: float = 0.0, link: int | None = None) -> None:
        nonlocal y
        y += gap
        x = _MARGIN
        for style, size, text in parts:
            pdf.set_font("Helvetica", style=style, size=size)
            pdf.set_xy(x, y)
            pdf.cell(pdf.get_string_width(text) + 0.1, _LINE_H * size / _BODY_PT, text, link=link)
            x += pdf.get_string_width(text) + 0.1
        y += _LINE_H * max(size for _, size, _ in parts) / _BODY_PT

    def paragraph(seed: int, size: int = _BODY_PT) -> None:
        pdf.set_font("Helvetica", size=size)
        for line in wrap(pdf, _paragraph(seed, 3), width):
            put([("", size, line)])

    with pdf.rotation(90, x=10, y=220):
        pdf.set_font("Helvetica", style="B", size=22)
        pdf.text(10, 220, f"{BANNERS[1]} www.example.org")
    put([("I", 16, BANNERS[0])])
    put([("B", 16, "Headings Among Banners, Tables and Lists")], gap=2)
    put([("B", 16, "in One Column")])
    put([("", 11, "Ada Example and Alan Sample")], gap=3)
    put([("B", 12, "Abstract")], gap=6)
    paragraph(1)
    put([("B", 12, "1 Introduction")], gap=6)
    paragraph(2)
    methods = pdf.add_link()
    put([("", _BODY_PT, "The data are described in Section 2, below.")], link=methods)
    put(
        [("B", _BODY_PT, "1. Learner:"), ("", _BODY_PT, " The learner reads a few pages first.")], 3
    )
    put([("B", _BODY_PT, "2. Extractor:"), ("", _BODY_PT, " The extractor makes one pass.")], 3)
    put([("B", _BODY_PT, NOT_SECTION_TITLES[0])], gap=5)
    for row in ("Pages 0.61 0.55 0.58 0.52", "Lines 0.93 0.91 0.90 0.88"):
        put([("", _BODY_PT, row)])
    # A table whose bold head is one line over rows of cells set apart.
    put([("B", _BODY_PT, NOT_SECTION_TITLES[6])], gap=5)
    for name, value in (("Learning rate", "0.1"), ("Batch size", "32"), ("Epochs", "12")):
        put([("", _BODY_PT, name)])
        y -= _LINE_H
        pdf.set_xy(_MARGIN + 50, y)
        pdf.cell(20, _LINE_H, value)
        y += _LINE_H
    pdf.set_link(methods, y=y + 6)
    put([("B", 12, "2 Methods")], gap=6)
    paragraph(3)
    # IEEE-style: a numbered heading in body-size italics, its paragraph right under it.
    put([("I", _BODY_PT, "2.1 Data Sources")], gap=4)
    paragraph(4)
    put([("B", 12, "3 Schr\u00a8odinger Equations")], gap=6)
    paragraph(5)
    put([("B", 12, "References")], gap=6)
    put([("", 9, "[Smith, 2000] J. Smith and K. Lee. Reading pages. Journal of Pages, 2000.")], 3)
    put([("", 9, "E. Agichtein. 2006. Confidence estimation. In Proceedings of Pages, 2006.")], 3)
    # A datasheet appended in 14pt: its running text is larger than the paper's body.
    pdf.add_page()
    y = 24.0
    put([("B", 16, "MOTIVATION")])
    for seed in (6, 7):
        put([("", 14, NOT_SECTION_TITLES[5] + " how layouts are read.")], gap=5)
        paragraph(seed, size=14)
    pdf.output(str(path))
    return Path(path)
