"""Lines that pdftext joined across a gap: two columns' lines on one baseline, table cells.

A horizontal gap of several characters between two spans of one line is no word space: the line
is cut there, so the column finder and the heading detector see each part on its own.
"""

from __future__ import annotations

from typing import Any

from marker.schema.polygon import PolygonBox

_GAP_EMS = 1.6  # a gap wider than this many ems between spans separates two lines


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
            parts.append(_part(output, start, cut))
        start = cut
    return parts


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
