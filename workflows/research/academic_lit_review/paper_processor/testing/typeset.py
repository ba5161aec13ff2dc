"""Text for the generated test PDFs (fpdf2): seeded filler sentences, and line breaking in the
document's current font."""

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


def filler(
    words: list[str], seed: int, sentences: int, *, length: int = 12, first_lower: bool = False
) -> str:
    """`sentences` sentences of `length` words picked from `words` by `seed` (the same text for
    the same seed); `first_lower`: the first opens in lowercase, as a sentence's tail does."""
    out = []
    for k in range(sentences):
        sentence = " ".join(words[(seed * 5 + k * 3 + i * 7) % len(words)] for i in range(length))
        out.append((sentence if first_lower and k == 0 else sentence.capitalize()) + ".")
    return " ".join(out)
