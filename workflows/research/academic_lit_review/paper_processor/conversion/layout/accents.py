"""Accents placed by where they stand: a spacing accent glyph belongs to the letter under it.

TeX sets an accented letter as the letter plus an accent glyph moved over it, and pdftext often
returns the accent out of reading order: "Jan Min ´ a´c ... support. ˇ" for "Ján Mináč", the
caron at the line's end, the acute set apart by spaces that stand for no gap on the page. The
glyph boxes still say which letter each accent sits on, so the letter takes its accent ("č"),
the stray accent goes, and a space that parted two touching letters goes with it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# Spacing accents and the combining marks they stand for.
SPACING_ACCENTS = {
    "ˆ": "\u0302",
    "¨": "\u0308",
    "´": "\u0301",
    "˜": "\u0303",
    "ˇ": "\u030c",
    "˝": "\u030b",
    "˘": "\u0306",
    "˙": "\u0307",
    "¯": "\u0304",
    "˚": "\u030a",
}
_ANY_ACCENT = re.compile("[" + "".join(SPACING_ACCENTS) + "]")
_OVER = 0.5  # an accent lies over a letter where this share of its width is over the letter
_TOUCHING = 0.15  # glyphs closer than this share of their height belong to one word


@dataclass
class _Piece:
    span: int
    text: str
    box: tuple[float, float, float, float] | None  # None: a space pdftext made up, or text
    glyph: bool  # a glyph with a box, as opposed to text whose glyphs are unknown
    removed_accent: bool = False


def place_accents(output: Any, chars_by_start: dict[int, list[dict]]) -> bool:
    """Put each spacing accent of a provider line on the letter under it; True if changed."""
    if not any(_ANY_ACCENT.search(span.text) for span in output.spans):
        return False  # most lines: no glyph to place, so no need to take the line apart
    pieces = _pieces(output.spans, chars_by_start)
    letters = [p for p in pieces if p.glyph and p.text.isalpha() and p.text not in SPACING_ACCENTS]
    changed = False
    for accent in [p for p in pieces if p.glyph and p.text in SPACING_ACCENTS]:
        letter = _letter_under(accent, letters)
        if letter is None:
            continue
        base = "i" if letter.text == "ı" else letter.text
        composed = unicodedata.normalize("NFC", base + SPACING_ACCENTS[accent.text])
        if len(composed) != 1:
            continue  # no such letter: leave the accent where it is
        letter.text = composed
        letters.remove(letter)  # one accent a letter
        accent.text, accent.removed_accent = "", True
        changed = True
    if not changed:
        return False
    _drop_false_spaces(pieces)
    texts = ["" for _ in output.spans]
    for piece in pieces:
        texts[piece.span] += piece.text
    for span, text in zip(output.spans, texts, strict=True):
        span.text = text
    kept = [span for span, text in zip(output.spans, texts, strict=True) if text]
    # Where the line's last accent stood at its end, the line break goes back onto its text:
    # marker reads a span of only "\n" as a space, which a hyphen at the line's end keeps
    # ("Tur- ney" for "Turney").
    if len(kept) >= 2 and kept[-1].text == "\n" and kept[-2].text.strip():
        kept[-2].text += "\n"
        kept.pop()
    output.spans = kept
    return True


def _pieces(spans: list[Any], chars_by_start: dict[int, list[dict]]) -> list[_Piece]:
    """The line as glyphs with boxes where the span's text is its glyphs, else as whole text."""
    pieces: list[_Piece] = []
    for index, span in enumerate(spans):
        chars = chars_by_start.get(span.minimum_position) or []
        if chars and "".join(c["char"] for c in chars) == span.text:
            for char in chars:
                box = tuple(char["bbox"]) if char["char"].strip() else None
                pieces.append(_Piece(index, char["char"], box, glyph=box is not None))
        else:
            pieces.append(_Piece(index, span.text, None, glyph=False))
    return pieces


def _letter_under(accent: _Piece, letters: list[_Piece]) -> _Piece | None:
    assert accent.box is not None
    ax0, ay0, ax1, ay1 = accent.box
    width = max(ax1 - ax0, 0.1)
    best: tuple[float, _Piece] | None = None
    for letter in letters:
        assert letter.box is not None
        lx0, ly0, lx1, ly1 = letter.box
        over = min(ax1, lx1) - max(ax0, lx0)
        # Over the letter, or just above it where the boxes are tight (no accent sits below).
        on_top = ay1 >= ly0 - 0.5 * (ly1 - ly0) and ay0 < ly1
        if over < _OVER * width or not on_top:
            continue
        if best is None or over > best[0]:
            best = (over, letter)
    return best[1] if best else None


def _drop_false_spaces(pieces: list[_Piece]) -> None:
    """Spaces between two touching letters next to where an accent was taken out go, and so do
    spaces before the line's end that only parted it from a stray accent."""
    for index, piece in enumerate(pieces):
        if piece.glyph or piece.text.strip() or not piece.text or "\n" in piece.text:
            continue
        rest = pieces[index + 1 :]
        if any(p.removed_accent for p in rest) and not any(p.text.strip() for p in rest):
            piece.text = ""  # the line ends where its accent was: "Tur-" goes on in "ney"
            continue
        before = _glyph_beside(pieces, index, -1)
        after = _glyph_beside(pieces, index, 1)
        if before is None or after is None:
            continue
        lo, hi = sorted((before, after))
        if not any(p.removed_accent for p in pieces[lo + 1 : hi]):
            continue
        left, right = pieces[before].box, pieces[after].box
        assert left is not None and right is not None
        height = max(left[3] - left[1], 1.0)
        if pieces[before].text.isalpha() and pieces[after].text.isalpha():
            if abs(right[0] - left[2]) < _TOUCHING * height:
                piece.text = ""


def _glyph_beside(pieces: list[_Piece], index: int, step: int) -> int | None:
    """The nearest kept glyph on one side, across spaces and removed accents only."""
    at = index + step
    while 0 <= at < len(pieces):
        piece = pieces[at]
        if piece.glyph and piece.text:
            return at
        if piece.text.strip() or "\n" in piece.text:
            return None  # text whose glyphs are unknown, or the line's end
        at += step
    return None
