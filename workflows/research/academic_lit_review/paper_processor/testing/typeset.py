"""Line breaking for the generated test PDFs (fpdf2), in the document's current font."""

from __future__ import annotations

from fpdf import FPDF


def wrap(pdf: FPDF, text: str, width: float, first_width: float | None = None) -> list[str]:
    """Greedy line breaking, as a typesetter fills ragged-right lines (`first_width`: a first
    line set in or out)."""
    lines: list[str] = []
    line: list[str] = []
    for word in text.split():
        limit = first_width if first_width is not None and not lines else width
        if line and pdf.get_string_width(" ".join([*line, word])) > limit - 1:
            lines.append(" ".join(line))
            line = []
        line.append(word)
    return [*lines, " ".join(line)] if line else lines
