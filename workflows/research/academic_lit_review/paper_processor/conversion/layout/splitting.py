"""Lines as a reader sees them: cut where pdftext joined them across a gap, joined where it cut.

A horizontal gap of several characters between two spans of one line is no word space: the line
is cut there (two columns' lines on one baseline, table cells), so the column finder and the
heading detector see each part on its own. The other way round, pdftext returns every word of
some text as a line of its own (rotated pages among others): consecutive lines on one baseline a
word space apart are joined back into one line, with the space between them.
"""

from __future__ import annotations

from typing import Any

from marker.schema.polygon import PolygonBox

_GAP_EMS = 1.6  # a gap wider than this many ems between spans separates two lines
_HYPHENS = "-­‐‑"
_WORD_SPACE_EMS = 1.0  # at most this far apart, two lines on one baseline are words of one line


def split_at_gaps(output: Any) -> list[Any]:
    """`output` as one or more provider lines, cut at wide gaps between its spans."""
    spans = output.spans
    visible = [i for i, s in enumerate(spans) if s.text.strip()]
    if len(visible) < 2:
        return [output]
    cuts: list[int] = []
    for a, b in zip(visible, visible[1:], strict=False):
        left, right = spans[a].polygon.bbox, spans[b].polygon.bbox
        em = max(1.0, min(left[3] - left[1], right[3] - right[1]))
        if right[0] - left[2] > _GAP_EMS * em:
            cuts.append(b)
    if not cuts:
        return [output]
    parts: list[Any] = []
    start = 0
    for cut in [*cuts, len(spans)]:
        if any(s.text.strip() for s in spans[start:cut]):
            parts.append(_terminated(_part(output, start, cut)))
        start = cut
    return parts


def _terminated(output: Any) -> Any:
    """`output` with a line break after its text: marker glues a block's lines together as their
    spans end, and a line cut from another or joined from words may end in a letter. A line that
    ends in a hyphen is left as it is: marker joins the hyphenated word with the next line."""
    last = next((s for s in reversed(output.spans) if s.text), None)
    if last is not None and not last.text[-1].isspace() and last.text[-1] not in _HYPHENS:
        last.text += "\n"
    return output


def _part(output: Any, start: int, end: int) -> Any:
    spans = output.spans[start:end]
    boxes = [s.polygon.bbox for s in spans if s.text.strip()]
    bbox = [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]
    chars = output.chars[start:end] if output.chars else None
    line = type(output.line)(
        polygon=PolygonBox.from_bbox(bbox, ensure_nonzero_area=True), page_id=output.line.page_id
    )
    return type(output)(line=line, spans=list(spans), chars=chars)


def join_word_lines(outputs: list[Any]) -> list[Any]:
    """`outputs` with consecutive lines that are words of one line (same baseline, a word space
    apart, in reading order) joined; lines without visible text between them are dropped."""
    joined: list[Any] = []
    for output in outputs:
        if not any(s.text.strip() for s in output.spans):
            if not joined or not _visible(joined[-1]):
                joined.append(output)
            continue
        previous = _last_visible(joined)
        if previous is not None and _words_of_one_line(joined[previous], output):
            joined[previous] = _joined(joined[previous], output)
            del joined[previous + 1 :]  # blank lines between the two words
        else:
            joined.append(output)
    return [_terminated(o) if _visible(o) else o for o in joined]


def _visible(output: Any) -> bool:
    return any(s.text.strip() for s in output.spans)


def _last_visible(outputs: list[Any]) -> int | None:
    for index in range(len(outputs) - 1, -1, -1):
        if _visible(outputs[index]):
            return index
    return None


def _words_of_one_line(left: Any, right: Any) -> bool:
    a, b = left.line.polygon.bbox, right.line.polygon.bbox
    height = min(a[3] - a[1], b[3] - b[1])
    if height <= 0 or max(a[3] - a[1], b[3] - b[1]) > 1.6 * height:
        return False
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    # Glyph boxes can be lower than the type size (rotated text); a justified line's spaces
    # stretch: the em is the larger of box height and font size.
    sizes = [s.font_size for s in (*left.spans, *right.spans) if s.text.strip()]
    em = max(height, min(sizes, default=0.0))
    gap = b[0] - a[2]
    return overlap > 0.6 * height and -0.1 * height <= gap <= _WORD_SPACE_EMS * em


def _joined(left: Any, right: Any) -> Any:
    spans = list(left.spans)
    last = next(s for s in reversed(spans) if s.text.strip())
    if not last.text[-1:].isspace() and not right.spans[0].text[:1].isspace():
        last.text = last.text + " "
    spans.extend(right.spans)
    chars = left.chars + right.chars if left.chars and right.chars else None
    a, b = left.line.polygon.bbox, right.line.polygon.bbox
    bbox = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
    line = type(left.line)(
        polygon=PolygonBox.from_bbox(bbox, ensure_nonzero_area=True), page_id=left.line.page_id
    )
    return type(left)(line=line, spans=spans, chars=chars)
