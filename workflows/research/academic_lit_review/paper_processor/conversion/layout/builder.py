"""The layout stage for text-layer mode, as marker's layout builder.

marker's `PdfConverter` calls `layout_builder_class` to put layout blocks on each page before its
line builder, processors and renderer run. Where no layout model can run, this builder derives the
blocks from the text layer itself (furniture, reading order, headings, paragraphs, captions,
lists, footnotes) and hands each block its lines, so marker's own processors and renderer produce
the markdown, as in full mode. A page whose layout fails gets today's single Text block instead,
and the report says which pages fell back and why.
"""

from __future__ import annotations

import html
import logging
import re
import statistics
from dataclasses import dataclass, field
from typing import Any, ClassVar

from marker.builders.layout import LayoutBuilder
from marker.schema import BlockTypes
from marker.schema.polygon import PolygonBox
from marker.schema.registry import get_block_class

from .accents import place_accents
from .blocks import (
    CODE,
    FOOTNOTE,
    HEADING,
    TEXT,
    Block,
    Context,
    mark_footnotes,
    segment,
)
from .columns import reading_order
from .continuation import join_across_breaks
from .escape import escape_markdown_starts
from .furniture import FOOTER, HEADER, LINE_NUMBER, MARGIN_NOTE, mark_furniture
from .headings import (
    KNOWN,
    assign_levels,
    compose_accents,
    in_page_type,
    numbering,
    run_in_level,
)
from .lines import (
    DocumentStyle,
    TextLine,
    document_style,
    heavy_weight,
    sizes_are_usable,
    text_line,
    turn_upright,
)
from .review import review_headings
from .spacing import chars_by_span_start, recover_spaces
from .splitting import join_word_lines, split_at_gaps
from .title import mark_title, merge_title_blocks

log = logging.getLogger(__name__)


@dataclass
class PageFallback:
    page: int  # 0-based page number in the PDF
    reason: str


@dataclass
class LayoutReport:
    """What the layout stage did to one document."""

    fallbacks: list[PageFallback] = field(default_factory=list)
    respaced_lines: int = 0


class TextLayerLayoutBuilder(LayoutBuilder):
    """Layout blocks from the text layer; `reports` receives one LayoutReport per document."""

    reports: ClassVar[list[LayoutReport] | None] = None

    def __call__(self, document: Any, provider: Any) -> None:
        report = LayoutReport()
        if self.reports is not None:
            self.reports.append(report)
        pages = document.pages
        laid: dict[int, list[Block]] = {}
        try:
            lines_by_page = self._read_lines(pages, provider, report)
            style = document_style(list(lines_by_page.values()))
            heights = [page.polygon.height for page in pages]
            widths = [page.polygon.width for page in pages]
            mark_furniture([lines_by_page[p.page_id] for p in pages], heights, widths)
            raw = getattr(provider, "raw_pdftext_pages", {}) or {}
            # After the furniture, which sits upright on the page.
            for page, width, height in zip(pages, widths, heights, strict=True):
                glyphs = chars_by_span_start(raw.get(page.page_id))
                turn_upright(lines_by_page[page.page_id], glyphs, width, height)
            mark_title(
                lines_by_page.get(pages[0].page_id, []), style, heights[0]
            ) if pages else None
        except Exception as exc:  # the whole document falls back; it still converts
            log.warning("layout stage failed for %s: %s", document.filepath, exc)
            for page in pages:
                report.fallbacks.append(PageFallback(page.page_id, _reason(exc)))
            self._fall_back(pages)
            return
        ctx = Context(style)
        for page in pages:
            try:
                with in_page_type(ctx, lines_by_page[page.page_id]):
                    laid[page.page_id] = _layout_page(lines_by_page[page.page_id], ctx, page)
            except Exception as exc:
                report.fallbacks.append(PageFallback(page.page_id, _reason(exc)))
        if pages and pages[0].page_id in laid:
            merge_title_blocks(laid[pages[0].page_id])
            _demote_front_matter(laid[pages[0].page_id])
        review_headings([laid.get(page.page_id, []) for page in pages], style)
        _set_levels([b for page in pages for b in laid.get(page.page_id, [])])
        join_across_breaks([laid.get(page.page_id, []) for page in pages], style)
        escape_markdown_starts([laid.get(page.page_id, []) for page in pages])
        for page in pages:
            blocks = laid.get(page.page_id)
            if blocks is None:
                self._fall_back([page])
                continue
            try:
                _place(page, blocks, lines_by_page[page.page_id])
            except Exception as exc:
                report.fallbacks.append(PageFallback(page.page_id, _reason(exc)))
                _clear(page)
                self._fall_back([page])
                continue
            # The lines are in their blocks now; marker's line builder has nothing left to place.
            provider.page_lines[page.page_id] = []

    def _read_lines(
        self, pages: list[Any], provider: Any, report: LayoutReport
    ) -> dict[int, list[TextLine]]:
        outputs = {p.page_id: provider.page_lines.get(p.page_id, []) for p in pages}
        raw = getattr(provider, "raw_pdftext_pages", {}) or {}
        for page_id, page_outputs in outputs.items():
            report.respaced_lines += recover_spaces(page_outputs, raw.get(page_id))
            glyphs = chars_by_span_start(raw.get(page_id))
            for output in page_outputs:
                place_accents(output, glyphs)
            page_outputs = join_word_lines(page_outputs)
            outputs[page_id] = [part for o in page_outputs for part in split_at_gaps(o)]
        every = [o for outs in outputs.values() for o in outs]
        usable = sizes_are_usable(every)
        heavy = heavy_weight(every)
        result: dict[int, list[TextLine]] = {}
        for page_id, page_outputs in outputs.items():
            lines = [text_line(i, o, usable, heavy) for i, o in enumerate(page_outputs)]
            result[page_id] = [ln for ln in lines if ln is not None]
        return result

    def _fall_back(self, pages: list[Any]) -> None:
        """Today's text-layer layout: one Text block per page; marker's line builder fills it."""
        results = [
            r
            for r in super().forced_layout(pages)  # type: ignore[misc]
        ]
        for result in results:
            for box in result.bboxes:
                box.label = box.raw_label = "Text"
        self.add_blocks_to_pages(pages, results)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _layout_page(lines: list[TextLine], ctx: Context, page: Any) -> list[Block]:
    """One page's blocks in reading order: headers first, then the body, footers last."""
    body = [ln for ln in lines if not ln.tags & {HEADER, FOOTER, LINE_NUMBER, MARGIN_NOTE}]
    ctx.raw_page = getattr(page, "pdftext_page", None)
    blocks: list[Block] = [Block("PageHeader", [ln]) for ln in lines if HEADER in ln.tags]
    body_blocks: list[Block] = []
    for number, run in enumerate(reading_order(body)):
        run_blocks = [_cell_block(run.lines)] if run.cell else segment(run, ctx)
        for block in run_blocks:
            block.run = number
        body_blocks.extend(run_blocks)
    mark_footnotes(body_blocks, ctx.style, page.polygon.height)
    # Footnotes read after the page's text, never inside a sentence (see continuation.py).
    blocks.extend(b for b in body_blocks if b.kind != FOOTNOTE)
    blocks.extend(b for b in body_blocks if b.kind == FOOTNOTE)
    # Text set sideways up a side margin (arXiv's stamp, a journal's banner) is furniture: in the
    # text it would land between whatever paragraphs the page break leaves on either side of it.
    furniture = (ln for ln in lines if ln.tags & {FOOTER, MARGIN_NOTE})
    blocks.extend(Block("PageFooter", [ln]) for ln in furniture)
    return blocks


def _cell_block(lines: list[TextLine]) -> Block:
    """An author's cell as one paragraph, its lines (name, institution, city, e-mail) apart by
    commas, as a reader would write them out on one line."""
    for line in lines[:-1]:
        spans = [s for s in line.output.spans if s.text.strip()]
        if spans and not re.search(r"[,;:&]\s*$", spans[-1].text):
            spans[-1].text = spans[-1].text.rstrip() + ","
    return Block(TEXT, lines)


def _set_levels(blocks: list[Block]) -> None:
    headings = [b for b in blocks if b.kind == HEADING and not b.run_in]
    levels = assign_levels([(b.lines[0], b.title) for b in headings])
    for block, level in zip(headings, levels, strict=True):
        block.level = level
    for line in (ln for b in blocks for ln in b.lines):
        compose_accents(line)
    # A run-in heading takes its number's level, else one below the section it opens.
    current = 1
    for block in blocks:
        if block.kind != HEADING:
            continue
        if block.run_in:
            block.level = run_in_level(block.text, current)
        else:
            current = block.level or 2


def _demote_front_matter(blocks: list[Block]) -> None:
    """Author names and affiliations between the title and the abstract are no sections.

    On the first page, a heading before the first recognisable section (Abstract, Introduction,
    a numbered heading) is front matter; without such a section, headings in the top third are.
    """
    headings = [b for b in blocks if b.kind == HEADING and not b.title]
    anchor = next((b for b in headings if KNOWN.match(b.text) or numbering(b.text)), None)
    for block in headings:
        if block is anchor:
            break
        if anchor is not None or block.bbox[1] < blocks_top_third(blocks):
            block.kind = TEXT


def blocks_top_third(blocks: list[Block]) -> float:
    bottom = max((b.bbox[3] for b in blocks), default=0.0)
    return bottom / 3


def _place(page: Any, blocks: list[Block], lines: list[TextLine]) -> None:
    """Put the blocks on the marker page, each holding its own lines, in reading order."""
    block_lines: dict[Any, list[tuple[int, Any]]] = {}
    order = 0
    for block in blocks:
        block_type = BlockTypes[block.kind]
        marker_block = page.add_block(
            get_block_class(block_type), PolygonBox.from_bbox(list(block.page_bbox))
        )
        marker_block.top_k = {block_type: 1.0}
        marker_block.source = "heuristics"
        if block.kind == HEADING:
            marker_block.heading_level = block.level
            _plain_type(block)
        elif block.kind == CODE:
            # The listing starts on a line of its own: marker's renderer dedents its whole HTML
            # (textwrap.dedent), which would take the common indent off every listing line.
            listing = block.listing or _listing_text(block)
            marker_block.html = f"<pre>\n{html.escape(listing)}</pre>"
        if block.continues:
            marker_block.has_continuation = True
        page.add_structure(marker_block)
        entries = block_lines.setdefault(marker_block.id, [])
        for line in block.lines:
            line.output.line.text_extraction_method = "pdftext"
            entries.append((order, line.output))
            order += 1
    page.add_initial_blocks(block_lines, "pdftext", keep_chars=False)
    page.text_extraction_method = "pdftext"
    if page.structure is None:
        page.structure = []
    if page.children is None:
        page.children = []


def _listing_text(code: Block) -> str:
    """A code listing's lines, each indented by as many characters as its start lies right of
    the leftmost line's (the face is fixed-pitch; marker's own code processor misreads
    indentation where a line's text does not end in a newline)."""
    texts = ["".join(s.text for s in line.output.spans).rstrip() for line in code.lines]
    widths = [line.width / len(text) for line, text in zip(code.lines, texts, strict=True) if text]
    char_width = statistics.median(widths) if widths else 1.0
    left = min(line.x0 for line in code.lines)
    return "\n".join(
        " " * round((line.x0 - left) / char_width) + text
        for line, text in zip(code.lines, texts, strict=True)
    )


def _plain_type(heading: Block) -> None:
    """A heading's bold (or its italic, where all of it is italic) is its style, which `#` already
    says: `## 1 Introduction`, not `## **1 Introduction**`. Emphasis on part of it stays."""
    spans = [s for line in heading.lines for s in line.output.spans if s.text.strip()]
    for style in ("bold", "italic"):
        if spans and all(style in s.formats for s in spans):
            for span in spans:
                span.formats = [f for f in span.formats if f != style]


def _clear(page: Any) -> None:
    page.structure = []
    page.children = []


def builder_reporting_to(reports: list[LayoutReport]) -> type[TextLayerLayoutBuilder]:
    """A builder class whose instances append their report to `reports` (marker builds one per
    document through its dependency resolver, so the class carries the destination)."""
    return type("TextLayerLayoutBuilder", (TextLayerLayoutBuilder,), {"reports": reports})


__all__ = [
    "DocumentStyle",
    "LayoutReport",
    "PageFallback",
    "TextLayerLayoutBuilder",
    "builder_reporting_to",
]
