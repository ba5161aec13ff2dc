"""marker processors adapted to blocks the layout stage has already labelled."""

from __future__ import annotations

from typing import Any

from marker.processors import BaseProcessor
from marker.processors.footnote import FootnoteProcessor
from marker.processors.line_numbers import LineNumbersProcessor
from marker.processors.marginalia import MarginaliaProcessor
from marker.processors.reference import ReferenceProcessor
from marker.processors.sectionheader import SectionHeaderProcessor
from marker.schema import BlockTypes


class KeepLevelsSectionHeaderProcessor(SectionHeaderProcessor):
    """marker's heading processor, except that levels the layout stage set are kept.

    marker guesses levels from line heights alone; section numbers and the title know better.
    """

    def __call__(self, document: Any) -> None:
        preset = {
            block.id: block.heading_level
            for page in document.pages
            for block in page.children or []
            if block.block_type == BlockTypes.SectionHeader and block.heading_level
        }
        super().__call__(document)
        for page in document.pages:
            for block in page.children or []:
                if block.id in preset:
                    block.heading_level = preset[block.id]


class KeepOrderFootnoteProcessor(FootnoteProcessor):
    """marker's footnote processor without its move to the page bottom.

    The layout stage already put each footnote where it interrupts no sentence; marker would move
    it back between the halves of a paragraph that runs on to the next page.
    """

    def __call__(self, document: Any) -> None:
        for page in document.pages:
            self.assign_superscripts(page, document)


class AnchorsBeforeHeadingsProcessor(BaseProcessor):
    """Link targets that marker put inside a heading move in front of it.

    marker's reference processor hangs each internal link target (`<span id="page-3-0">`) on
    the block nearest to it, often a section heading, whose text then carries the span ("##
    <span id=...></span>2 Methods"). In front of the heading the link still lands there, and
    the heading reads as its words alone.
    """

    def __call__(self, document: Any) -> None:
        for page in document.pages:
            for block_id in list(page.structure or []):
                block = page.get_block(block_id)
                if block is None or block.block_type != BlockTypes.SectionHeader:
                    continue
                anchors = [c for c in block.structure or [] if c.block_type == BlockTypes.Reference]
                if not anchors:
                    continue
                block.structure = [c for c in block.structure if c not in anchors]
                at = page.structure.index(block_id)
                page.structure[at:at] = anchors


def adapt_processors(processors: list[Any]) -> list[Any]:
    """`processors` with marker's heading and footnote processors swapped for ones that keep
    the levels and the order the layout stage chose, and without its marginalia and line-number
    processors: the layout stage already took running heads and margin line numbers out, and
    marker's guesses drop real text here (a title close to the top edge; every number that
    starts a line on a page of numbers, such as a table's cells). Link targets marker hangs on
    headings move in front of them, after its reference processor placed them."""
    swapped = []
    for p in processors:
        if type(p) in (MarginaliaProcessor, LineNumbersProcessor):
            continue
        if type(p) is SectionHeaderProcessor:
            p = KeepLevelsSectionHeaderProcessor(_config_of(p))
        elif type(p) is FootnoteProcessor:
            p = KeepOrderFootnoteProcessor()
        swapped.append(p)
        if type(p) is ReferenceProcessor:
            swapped.append(AnchorsBeforeHeadingsProcessor())
    return swapped


def _config_of(processor: Any) -> dict:
    names = ("level_count", "merge_threshold", "default_level", "height_tolerance")
    return {name: getattr(processor, name) for name in names}
