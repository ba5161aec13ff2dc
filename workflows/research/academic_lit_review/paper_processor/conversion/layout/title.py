"""The document title: the largest type in the upper part of the first page."""

from __future__ import annotations

from .lines import DocumentStyle, TextLine

TITLE = "title"
_MIN_FACTOR = 1.2  # the title is set clearly larger than the body


def mark_title(lines: list[TextLine], style: DocumentStyle, page_height: float) -> None:
    """Tag the first page's title lines in place (`line.tags`)."""
    candidates = [
        ln
        for ln in lines
        if not ln.tags
        and ln.y0 < page_height * 0.5
        and sum(c.isalpha() for c in ln.text) >= 0.7 * len(ln.text.replace(" ", ""))
        and len(ln.text.split()) >= 2
        and ln.size >= style.body_size * _MIN_FACTOR
    ]
    if not candidates:
        return
    top_size = max(ln.size for ln in candidates)
    chosen = sorted((ln for ln in candidates if ln.size >= top_size - 0.6), key=lambda ln: ln.y0)
    # The first group of title-sized lines that follow each other closely.
    group = [chosen[0]]
    for line in chosen[1:]:
        if line.y0 - group[-1].y1 > 1.2 * top_size or len(group) >= 4:
            break
        group.append(line)
    for line in group:
        line.tags.add(TITLE)
