"""Word boundaries for text layers that have no space characters.

Some PDFs (older TeX output among them) place each word with its own positioning command and no
space glyph, and pdftext then runs the words together ("TheContinuousElectronBeam"). The glyph
boxes still show the gaps: where the distance between two neighbouring glyphs is wider than the
letter spacing of that line, a space is put back.
"""

from __future__ import annotations

import statistics
from typing import Any

from ftfy import fix_text

_MIN_LETTERS = 20  # shorter lines (labels, numbers) are left as they are
_GAP_SHARE = 0.18  # a gap wider than this share of the glyph height is a word break


def lacks_spaces(text: str) -> bool:
    """A long run of letters with no space in it: words run together."""
    letters = sum(c.isalpha() for c in text)
    return (
        letters >= _MIN_LETTERS and max((len(w) for w in text.split()), default=0) >= _MIN_LETTERS
    )


def respace_line(output: Any, chars_by_start: dict[int, list[dict]]) -> bool:
    """Insert spaces into a provider line's spans at wide glyph gaps; True if it changed."""
    changed = False
    previous_end: float | None = None
    for span in output.spans:
        chars = chars_by_start.get(span.minimum_position)
        if not chars or not span.text.strip():
            continue
        heights = [c["bbox"][3] - c["bbox"][1] for c in chars if c["char"].strip()]
        height = statistics.median(heights) if heights else 1.0
        threshold = max(0.5, _GAP_SHARE * height)
        pieces: list[str] = []
        last_x1: float | None = None
        for c in chars:
            ch = c["char"]
            if ch in "\n\r":
                continue
            x0, x1 = c["bbox"][0], c["bbox"][2]
            if ch == " ":
                pieces.append(" ")
                last_x1 = None
                continue
            if last_x1 is not None and x0 - last_x1 > threshold and pieces and pieces[-1] != " ":
                pieces.append(" ")
            pieces.append(ch)
            last_x1 = x1
        # The provider cleaned each span with ftfy (ligatures, mojibake); clean ours the same way.
        text = _normalize_spaces(fix_text("".join(pieces)))
        first_x0 = chars[0]["bbox"][0]
        if (
            previous_end is not None
            and first_x0 - previous_end > threshold
            and not text.startswith(" ")
        ):
            text = " " + text
        previous_end = last_x1 if last_x1 is not None else previous_end
        trailing = "\n" if span.text.endswith("\n") else ""
        text = text.rstrip("\n") + trailing
        if text != span.text and text.replace(" ", "") == span.text.replace(" ", ""):
            span.text = text
            changed = True
    return changed


def chars_by_span_start(raw_page: dict | None) -> dict[int, list[dict]]:
    """pdftext's glyphs of one page, keyed by the index of each span's first character."""
    found: dict[int, list[dict]] = {}
    if not raw_page:
        return found
    for block in raw_page.get("blocks", []):
        for line in block.get("lines", []):
            for span in line.get("spans", []):
                if span.get("chars"):
                    found[span["char_start_idx"]] = span["chars"]
    return found


def recover_spaces(outputs: list[Any], raw_page: dict | None) -> int:
    """Respace the lines of one page that have run-together words; the number of lines fixed."""
    targets = [o for o in outputs if lacks_spaces("".join(s.text for s in o.spans))]
    if not targets:
        return 0
    chars = chars_by_span_start(raw_page)
    return sum(respace_line(o, chars) for o in targets)


def _normalize_spaces(text: str) -> str:
    for space in ("\u2003", "\u2002", "\u00a0", "\u200b", "\u3000"):
        text = text.replace(space, " ")
    return text
