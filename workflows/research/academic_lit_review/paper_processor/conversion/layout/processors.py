"""marker processors adapted to blocks the layout stage has already labelled."""

from __future__ import annotations

from typing import Any

from marker.processors.footnote import FootnoteProcessor
from marker.processors.line_numbers import LineNumbersProcessor
from marker.processors.marginalia import MarginaliaProcessor
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


def adapt_processors(processors: list[Any]) -> list[Any]:
    """`processors` with marker's heading and footnote processors swapped for ones that keep
    the levels and the order the layout stage chose, and without its marginalia and line-number
    processors: the layout stage already took running heads and margin line numbers out, and
    marker's guesses drop real text here (a title close to the top edge; every number that
    starts a line on a page of numbers, such as a table's cells)."""
    swapped = []
    for p in processors:
        if type(p) in (MarginaliaProcessor, LineNumbersProcessor):
            continue
        if type(p) is SectionHeaderProcessor:
            p = KeepLevelsSectionHeaderProcessor(_config_of(p))
        elif type(p) is FootnoteProcessor:
            p = KeepOrderFootnoteProcessor()
        swapped.append(p)
    return swapped


def _config_of(processor: Any) -> dict:
    names = ("level_count", "merge_threshold", "default_level", "height_tolerance")
    return {name: getattr(processor, name) for name in names}
