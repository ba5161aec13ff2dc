"""Generate real PDFs whose text layer is damaged the way real ones are (quality tests).

- `write_unmapped_font_pdf`: an embedded TrueType font without a ToUnicode map, so the text
  layer extracts as glyph ids (garbage) while the page renders normally;
- `write_spaceless_pdf`: rotated lines whose words are placed one by one, with no space
  characters in the text layer, so extractors must infer word boundaries from gaps;
- `write_image_of_text_pdf`: each page is one picture of its text (a scan): no text layer;
- `write_text_then_photo_pdf`: a page of text, then a page that is a picture with no text in it
  (nothing for OCR to read: the page stays poor).
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF

from ..context import DEFAULT_FONT_PATHS

_PAGE_W_MM, _MARGIN_MM = 210.0, 20.0


def font_path() -> str:
    for path in DEFAULT_FONT_PATHS:
        if Path(path).exists():
            return path
    raise FileNotFoundError(f"no TrueType font at {DEFAULT_FONT_PATHS} (install fonts-dejavu)")


def _wrap(pdf: FPDF, sentence: str, width_mm: float) -> list[str]:
    lines, line = [], ""
    for word in sentence.split():
        candidate = f"{line} {word}".strip()
        if line and pdf.get_string_width(candidate) > width_mm:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def write_unmapped_font_pdf(path: str | Path, sentences: list[str]) -> Path:
    """One page of `sentences` in an embedded font whose ToUnicode map is removed.

    fpdf2 writes the map as `/ToUnicode N 0 R` in the font dictionary; renaming the key to one
    of the same length keeps every byte offset (and so the xref table) valid.
    """
    pdf = FPDF(format="A4")
    pdf.add_font("Body", fname=font_path())
    pdf.add_page()
    pdf.set_font("Body", size=12)
    pdf.set_margins(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM)
    for sentence in sentences:
        pdf.multi_cell(0, 7, sentence, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    data = bytes(pdf.output())
    if b"/ToUnicode" not in data:
        raise RuntimeError("fpdf2 wrote no ToUnicode map to remove")
    out = Path(path)
    out.write_bytes(data.replace(b"/ToUnicode", b"/NoUnicode"))
    return out


def write_spaceless_pdf(path: str | Path, sentences: list[str]) -> Path:
    """One page of rotated lines (a landscape table page) whose words are drawn apart, with no
    space character in the text layer: pdfium infers the spaces from the gaps, marker's reader
    (pdftext) runs the words together on rotated text, as on the shared corpus' table pages."""
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    gap = pdf.get_string_width(" ")
    # Rotated a quarter turn about the page centre: lay the lines out on a landscape page.
    left, y = 105 - 297 / 2 + _MARGIN_MM, 148.5 - 210 / 2 + _MARGIN_MM + 5
    with pdf.rotation(90, x=105, y=148.5):
        for sentence in sentences:
            for line in _wrap(pdf, sentence, 297 - 2 * _MARGIN_MM):
                x = left
                for word in line.split():
                    pdf.text(x, y, word)
                    x += pdf.get_string_width(word) + gap
                y += 7
            y += 4
    out = Path(path)
    pdf.output(str(out))
    return out


def write_image_of_text_pdf(path: str | Path, sentences: list[str], *, dpi: int = 150) -> Path:
    """One page that is a single picture of `sentences` (rendered from a text PDF)."""
    import pypdfium2

    text_pdf = FPDF(format="A4")
    text_pdf.add_page()
    text_pdf.set_font("Helvetica", size=12)
    text_pdf.set_margins(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM)
    for sentence in sentences:
        text_pdf.multi_cell(0, 7, sentence, new_x="LMARGIN", new_y="NEXT")
        text_pdf.ln(3)
    document = pypdfium2.PdfDocument(bytes(text_pdf.output()))
    try:
        image = document[0].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        document.close()
    png = io.BytesIO()
    image.save(png, format="PNG")
    scan = FPDF(format="A4")
    scan.add_page()
    scan.image(png, x=0, y=0, w=_PAGE_W_MM)
    out = Path(path)
    scan.output(str(out))
    return out


def write_text_then_photo_pdf(path: str | Path, text: str) -> Path:
    """A page of `text`, then a page that is one picture (a grey gradient) without any text."""
    from PIL import Image

    picture = Image.linear_gradient("L").resize((600, 800))
    png = io.BytesIO()
    picture.save(png, format="PNG")
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 7, text)
    pdf.add_page()
    pdf.image(png, x=0, y=0, w=_PAGE_W_MM)
    out = Path(path)
    pdf.output(str(out))
    return out
