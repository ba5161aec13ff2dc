"""Run-in headings: a bold phrase that opens a paragraph ("**Evaluation.** We test ...").

The heading and the paragraph share a pdftext line, so the line is cut in two: the bold spans
become a heading line of their own, the rest stays the paragraph's first line.
"""

from __future__ import annotations

import re
from typing import Any

from marker.schema.polygon import PolygonBox

from .lines import SECTION_NUMBER, TextLine, span_is_bold, span_is_italic

# Bold openings that label a statement rather than name a section.
_LABELS = re.compile(
    r"^(theorem|lemma|proof|definition|corollary|proposition|remark|example|note|notes|"
    r"keywords?|key\s*words|index\s*terms|fig(ure)?|tab(le)?|algorithm|step|case|claim|fact|"
    r"assumption|conjecture|observation|property|problem|question|exercise|hypothesis|"
    r"e-?mail|corresponding|received|accepted|published|doi|input|output|q|a)\b",
    re.I,
)
_MAX_WORDS = 10
# A section number, then a formula in the text's own type before the bold words of the heading
# ("3.2. CN(1,2) of seeds in a seed set." with only "of seeds in a seed set." bold).
_NUMBER_THEN_FORMULA = re.compile(r"^\d{1,2}(?:\.\d{1,2}){0,3}\.?\s+\S")
_NUMBERED_SPAN = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?\s+)(?P<formula>\S{1,8})$")
_FORMULA_PIECE = 8  # characters of a formula's piece without a space ("CN", "(1", "2)")
_FORMULA_REACH = 4  # pieces of a formula a heading's bold words may resume after
_MAX_NUMBERED_WORDS = 16  # "4.2. Runtime performance and spread of influence by ... SIDD."


def split_run_in(line: TextLine) -> tuple[TextLine, TextLine] | None:
    """(heading line, rest of the line) when `line` opens with a run-in heading, else None."""
    if not line.bold_prefix_chars and not _NUMBER_THEN_FORMULA.match(line.text):
        return None
    spans = line.output.spans
    cut = _prefix_end(spans, line.heavy)
    if cut is None or cut >= len(spans):
        return None
    head_text = " ".join("".join(s.text for s in spans[:cut]).split())
    rest_text = " ".join("".join(s.text for s in spans[cut:]).split())
    words = head_text.split()
    most = _MAX_NUMBERED_WORDS if SECTION_NUMBER.match(words[0] if words else "") else _MAX_WORDS
    if not words or len(words) > most or not rest_text:
        return None
    if not re.search(r"[A-Za-z]{3}", head_text) or _LABELS.match(head_text):
        return None
    if not (
        head_text.endswith((".", ":", "—", "–")) or rest_text[:1] in "—–" or rest_text[:1].isupper()
    ):
        return None
    if not head_text[0].isupper() and not head_text[0].isdigit():
        return None
    if head_text.endswith(":") and SECTION_NUMBER.match(words[0]):
        return None  # a numbered list item's label ("2. Extractor: The Extractor makes ...")
    return _part(line, spans[:cut], head_text, bold=True), _part(line, spans[cut:], rest_text)


def _prefix_end(spans: list[Any], heavy: float) -> int | None:
    """Index of the first span after the leading bold spans (a section number, spaces and
    punctuation ride along)."""
    seen_bold = seen_text = numbered = False
    for i, span in enumerate(spans):
        if not re.search(r"\w", span.text):
            continue
        if span_is_bold(span, heavy):
            seen_bold = seen_text = True
            continue
        if not seen_text and SECTION_NUMBER.match(span.text.strip()):
            seen_text = numbered = True
            continue
        if not seen_text and _NUMBERED_SPAN.match(span.text.strip()):
            # The number and a formula's first piece in one span ("3.2. CN").
            if not _bold_resumes(spans, i, heavy):
                return None
            seen_text = numbered = True
            continue
        if not seen_bold and _math_symbol(span) and _next_is_bold(spans, i, heavy):
            continue  # a variable set in math italics inside the heading ("2.8. *k*-shell")
        if numbered and _formula_piece(span) and _bold_resumes(spans, i, heavy):
            continue  # a formula inside a numbered heading ("3.4. FIDD using CN(1).")
        return i if seen_bold else None
    return None


def _formula_piece(span: Any) -> bool:
    text = span.text.strip()
    return 0 < len(text) <= _FORMULA_PIECE and not re.search(r"\s", text)


def _bold_resumes(spans: list[Any], i: int, heavy: float) -> bool:
    """Whether bold type (words, or the heading's closing stop) follows the formula that
    starts at spans[i] within a few of its pieces."""
    pieces = 0
    for span in spans[i + 1 :]:
        text = span.text.strip()
        if not text:
            continue
        if span_is_bold(span, heavy) and (re.search(r"\w", text) or text in ".:"):
            return True
        if not _formula_piece(span):
            return False
        pieces += 1
        if pieces > _FORMULA_REACH:
            return False
    return False


def _math_symbol(span: Any) -> bool:
    return span_is_italic(span) and len(re.findall(r"\w", span.text)) <= 2


def _next_is_bold(spans: list[Any], i: int, heavy: float) -> bool:
    following = next((s for s in spans[i + 1 :] if re.search(r"\w", s.text)), None)
    return following is not None and span_is_bold(following, heavy)


def _part(line: TextLine, spans: list[Any], text: str, *, bold: bool = False) -> TextLine:
    output = line.output
    boxes = [s.polygon.bbox for s in spans if s.text.strip()] or [output.line.polygon.bbox]
    bbox = [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]
    start = output.spans.index(spans[0])
    chars = output.chars[start : start + len(spans)] if output.chars else None
    new_line = type(output.line)(
        polygon=PolygonBox.from_bbox(bbox, ensure_nonzero_area=True), page_id=output.line.page_id
    )
    new_output = type(output)(line=new_line, spans=list(spans), chars=chars)
    return TextLine(
        index=line.index,
        output=new_output,
        x0=bbox[0],
        y0=bbox[1],
        x1=bbox[2],
        y1=bbox[3],
        text=text,
        size=line.size,
        bold=bold,
        italic=line.italic,
        tags=set(line.tags),
    )
