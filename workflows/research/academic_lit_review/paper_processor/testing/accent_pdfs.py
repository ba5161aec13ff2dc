"""Generate a page (fpdf2) whose accented names are set as TeX sets them: the plain letters, and
each accent as a spacing glyph moved over its letter, written after the line's text (so the text
layer returns the accents out of reading order, at the line's end), to check that each accent
ends up on the letter under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from .degraded_pdfs import font_path

_MARGIN = 25.0
_SIZE = 11.0
# Each line in plain letters, and the accents to set over letters of it: (word, letter, accent).
_LINES = [
    (
        "We thank Jan Minac and Erwin Schrodinger for their constant support.",
        [("Jan", 1, "´"), ("Minac", 3, "´"), ("Minac", 4, "ˇ"), ("Schrodinger", 4, "¨")],
    ),
    (
        "The proof follows Cesaro and Lemaitre closely in its second part.",
        [("Cesaro", 3, "´"), ("Lemaitre", 4, "ˆ")],
    ),
]
EXPECTED = [
    "We thank Ján Mináč and Erwin Schrödinger for their constant support.",
    "The proof follows Cesáro and Lemaître closely in its second part.",
]


@dataclass(frozen=True)
class AccentPaper:
    path: Path
    sentences: list[str]  # the lines as markdown should read them, accents on their letters


def write_accent_paper(path: str | Path) -> AccentPaper:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("Body", fname=font_path())  # a TrueType face: the core fonts lack the caron
    pdf.set_font("Body", size=_SIZE)
    y = _MARGIN + 10
    for text, accents in _LINES:
        pdf.text(_MARGIN, y, text)
        # The accents afterwards, each centred over its letter.
        for word, letter, accent in accents:
            index = text.index(word) + letter
            left = _MARGIN + pdf.get_string_width(text[:index])
            centre = left + pdf.get_string_width(text[index]) / 2
            pdf.text(centre - pdf.get_string_width(accent) / 2, y, accent)
        y += 12
    out = Path(path)
    pdf.output(str(out))
    return AccentPaper(path=out, sentences=list(EXPECTED))
