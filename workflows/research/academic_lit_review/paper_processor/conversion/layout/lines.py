"""Line features: what the layout stage knows about each pdftext line on a page.

marker's PDF provider gives lines of spans (text, font name, size, weight, flags, box). Some TeX
PDFs report every font size as 1.0 (the size lives in the text matrix), so a line's size is
measured from its glyph boxes when the reported sizes are unusable.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|medi|[-_]?bx\d|cmssbx|cmbx|\.B\b", re.I)
_ITALIC_NAME = re.compile(r"ital|oblique|cmti|cmmi", re.I)
_SMALL_CAPS_NAME = re.compile(r"csc|smallcap|[-_]sc\b|caps", re.I)
# Fixed-pitch faces (Courier, TeX's cmtt/txtt, Consolas, DejaVu Sans Mono; not Monotype Corsiva).
_MONOSPACE_NAME = re.compile(
    r"courier|mono(?!type)|cmtt|lmtt|txtt|sfmono|consol|inconsolata|menlo|typewriter|lettergothic"
    r"|(?:^|[+_-])tt\d",
    re.I,
)
# Some PDFs report a heavy weight for every regular font (Computer Modern at 744): a weight says
# bold only where it stands above the document's body weight.
_HEAVY = 600.0
_ALNUM = re.compile(r"\w")
SECTION_NUMBER = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2}){0,3}|[IVX]{1,5}|[A-H])\.?$")


@dataclass
class TextLine:
    """One pdftext line with the features the layout stage decides on."""

    index: int  # position in the provider's line list of its page
    output: Any  # marker ProviderOutput (line + spans)
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    size: float  # the line's type size (points, or glyph height where sizes are unusable)
    bold: bool  # most of its letters are bold
    italic: bool
    bold_prefix_chars: int = 0  # letters in the leading run of bold spans
    font: str = ""  # the font most of its letters are set in
    heavy: float = _HEAVY  # the document's bold weight threshold
    small_caps: bool = False
    tags: set[str] = field(default_factory=set)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def page_box(self) -> tuple[float, float, float, float]:
        """The line's box on the page (x0..y1 are in reading orientation, turned for a page set
        sideways)."""
        x0, y0, x1, y1 = self.output.line.polygon.bbox
        return (x0, y0, x1, y1)

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def words(self) -> list[str]:
        return self.text.split()


def span_is_bold(span: Any, heavy: float = _HEAVY) -> bool:
    return (
        "bold" in span.formats
        or (span.font_weight or 0) >= heavy
        or bool(_BOLD_NAME.search(span.font or ""))
    )


def heavy_weight(outputs: list[Any]) -> float:
    """The font weight from which a span counts as bold in this document."""
    weights: Counter[float] = Counter()
    for output in outputs:
        for span in output.spans:
            if span.font_weight and span.font_weight > 0:
                weights[round(span.font_weight / 20) * 20] += len(span.text)
    body = weights.most_common(1)[0][0] if weights else 400.0
    return max(_HEAVY, body + 150)


def is_monospace(font: str) -> bool:
    return bool(_MONOSPACE_NAME.search(font))


def span_is_italic(span: Any) -> bool:
    return "italic" in span.formats or bool(_ITALIC_NAME.search(span.font or ""))


def sizes_are_usable(outputs: list[Any]) -> bool:
    """False where the PDF reports (nearly) every span at a dummy size such as 1.0."""
    sizes = [s.font_size for o in outputs for s in o.spans if _ALNUM.search(s.text)]
    if not sizes:
        return False
    return sum(size >= 3 for size in sizes) >= 0.8 * len(sizes)


def span_size(span: Any, usable: bool) -> float:
    if usable:
        return float(span.font_size)
    x0, y0, x1, y1 = span.polygon.bbox
    return max(1.0, (y1 - y0) * 0.85)  # a glyph box is about 1.15 em with ascent and descent


def text_line(index: int, output: Any, usable: bool, heavy: float = _HEAVY) -> TextLine | None:
    """Features of one provider line; None for a line with no visible text."""
    spans = [s for s in output.spans if s.text.strip()]
    if not spans:
        return None
    text = " ".join("".join(s.text for s in output.spans).split())
    letters = Counter()
    bold = italic = 0
    weighted_sizes: list[tuple[float, int]] = []
    prefix, in_prefix = 0, True
    fonts: Counter[str] = Counter()
    for span in spans:
        n = len(_ALNUM.findall(span.text))
        if not n:
            continue
        letters["all"] += n
        fonts[span.font or ""] += n
        is_bold = span_is_bold(span, heavy)
        if is_bold:
            bold += n
        if span_is_italic(span):
            italic += n
        if in_prefix and (is_bold or (not prefix and SECTION_NUMBER.match(span.text.strip()))):
            prefix += n
        elif n:
            in_prefix = False
        weighted_sizes.append((span_size(span, usable), n))
    total = letters["all"]
    if weighted_sizes:
        size = _weighted_median(weighted_sizes)
    else:
        size = span_size(spans[0], usable)
    x0, y0, x1, y1 = output.line.polygon.bbox
    return TextLine(
        index=index,
        output=output,
        x0=x0,
        y0=y0,
        x1=x1,
        y1=y1,
        text=text,
        size=round(size, 1),
        bold=total > 0 and bold >= 0.8 * total,
        italic=total > 0 and italic >= 0.8 * total,
        bold_prefix_chars=prefix if prefix < total else 0,
        font=fonts.most_common(1)[0][0] if fonts else "",
        heavy=heavy,
        small_caps=bool(fonts) and bool(_SMALL_CAPS_NAME.search(fonts.most_common(1)[0][0])),
    )


def _weighted_median(pairs: list[tuple[float, int]]) -> float:
    pairs = sorted(pairs)
    half = sum(n for _, n in pairs) / 2
    seen = 0
    for value, n in pairs:
        seen += n
        if seen >= half:
            return value
    return pairs[-1][0]


@dataclass(frozen=True)
class DocumentStyle:
    """The body text of a document: the size most of its letters are set in, and its spacing."""

    body_size: float
    line_pitch: float  # typical distance between the tops of consecutive body lines
    body_font: str = ""

    def larger(self, line: TextLine, factor: float = 1.12) -> bool:
        return line.size >= self.body_size * factor

    def smaller(self, line: TextLine, factor: float = 0.92) -> bool:
        return line.size <= self.body_size * factor


def document_style(pages: list[list[TextLine]]) -> DocumentStyle:
    counts: Counter[float] = Counter()
    fonts: Counter[str] = Counter()
    for lines in pages:
        for line in lines:
            counts[round(line.size * 2) / 2] += len(line.text)
            fonts[line.font] += len(line.text)
    body = counts.most_common(1)[0][0] if counts else 10.0
    pitches = []
    for lines in pages:
        body_lines = sorted(
            (ln for ln in lines if abs(ln.size - body) <= 0.6), key=lambda ln: (ln.x0 // 50, ln.y0)
        )
        for a, b in zip(body_lines, body_lines[1:], strict=False):
            step = b.y0 - a.y0
            if 0.8 * body <= step <= 2.5 * body and abs(a.x0 - b.x0) < 3 * body:
                pitches.append(step)
    pitch = statistics.median(pitches) if pitches else body * 1.2
    body_font = fonts.most_common(1)[0][0] if fonts else ""
    return DocumentStyle(body_size=body, line_pitch=pitch, body_font=body_font)


def turn_upright(
    lines: list[TextLine], glyphs: dict[int, list[dict]], width: float, height: float
) -> None:
    """On a page set sideways (a landscape table on a portrait page: most of its letters run up
    or down the page), give the page's lines coordinates in their reading orientation, so
    columns, rows and paragraphs are found as on an upright page. Pages with a little turned
    text (a stamp up the margin) are left as they are."""
    turns = {id(line): _direction(line, glyphs) for line in lines}
    letters = sum(len(line.text) for line in lines)
    for turn in ("up", "down"):
        turned = [line for line in lines if turns[id(line)] == turn]
        if sum(len(line.text) for line in turned) <= 0.5 * letters:
            continue
        # Lines too short to show a direction (a one-digit cell) turn with the page.
        for line in [ln for ln in lines if turns[id(ln)] in (turn, None)]:
            x0, y0, x1, y1 = line.x0, line.y0, line.x1, line.y1
            if turn == "up":  # read bottom to top: the next line is further right
                line.x0, line.x1, line.y0, line.y1 = height - y1, height - y0, x0, x1
            else:  # read top to bottom: the next line is further left
                line.x0, line.x1, line.y0, line.y1 = y0, y1, width - x1, width - x0


def _direction(line: TextLine, glyphs: dict[int, list[dict]]) -> str | None:
    """Which way the line's letters run on the page: "right", "up", "down", or None where it
    has too few letters to tell."""
    chars = [c for span in line.output.spans for c in glyphs.get(span.minimum_position) or ()]
    first = next((c for c in chars if c["char"].strip()), None)
    last = next((c for c in reversed(chars) if c["char"].strip()), None)
    if first is None or last is first:
        return None
    (fx0, fy0, fx1, fy1), (lx0, ly0, lx1, ly1) = first["bbox"][:4], last["bbox"][:4]
    dx = (lx0 + lx1) / 2 - (fx0 + fx1) / 2
    dy = (ly0 + ly1) / 2 - (fy0 + fy1) / 2
    if abs(dy) > 2 * abs(dx):
        return "up" if dy < 0 else "down"
    return "right"
