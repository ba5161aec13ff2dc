"""marker processors adapted to blocks the layout stage has already labelled."""

from __future__ import annotations

import re
from typing import Any

from marker.processors.blockquote import BlockquoteProcessor
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


# A display formula: a relation or an equation number, and few words among its tokens.
_RELATION = re.compile(r"[=<>≤≥≈≡∝∈⊂⊆→⇒⇔]|:=")
_EQUATION_NUMBER = re.compile(r"\(\s*\d{1,3}[a-z]?\s*\)\s*[.,;]?$")
_WORD = re.compile(r"^[A-Za-z]{3,}[.,;:]?$")
_FORMULA_WORD_SHARE = 0.5


def reads_as_formula(text: str) -> bool:
    """Whether a block's text is a display formula rather than prose: "Y = Θ + Γ + W, (1)"."""
    tokens = text.split()
    if not tokens or not (_RELATION.search(text) or _EQUATION_NUMBER.search(text)):
        return False
    return sum(bool(_WORD.match(t)) for t in tokens) < _FORMULA_WORD_SHARE * len(tokens)


class ProseBlockquoteProcessor(BlockquoteProcessor):
    """marker's blockquote processor, for prose only.

    marker quotes a block set in from the one before it: right for an interview's quotation,
    wrong for a display formula, which is set in (or centred) the same way and is no quotation.
    """

    def __call__(self, document: Any) -> None:
        super().__call__(document)
        for page in document.pages:
            for block in page.contained_blocks(document, self.block_types):
                if block.blockquote and reads_as_formula(block.raw_text(document)):
                    block.blockquote = False
                    block.blockquote_level = 0


def adapt_processors(processors: list[Any]) -> list[Any]:
    """`processors` with marker's heading and footnote processors swapped for ones that keep
    the levels and the order the layout stage chose, its blockquote processor for one that quotes
    no formula, and without its marginalia and line-number
    processors: the layout stage already took running heads and margin line numbers out, and
    marker's guesses drop real text here (a title close to the top edge; every number that
    starts a line on a page of numbers, such as a table's cells)."""
    swapped = []
    for p in processors:
        if type(p) in (MarginaliaProcessor, LineNumbersProcessor):
            continue
        if type(p) is SectionHeaderProcessor:
            p = KeepLevelsSectionHeaderProcessor(
                _config_of(p, "level_count", "merge_threshold", "default_level", "height_tolerance")
            )
        elif type(p) is FootnoteProcessor:
            p = KeepOrderFootnoteProcessor()
        elif type(p) is BlockquoteProcessor:
            p = ProseBlockquoteProcessor(
                _config_of(p, "min_x_indent", "x_start_tolerance", "x_end_tolerance")
            )
        swapped.append(p)
    return swapped


def _config_of(processor: Any, *names: str) -> dict:
    """The settings `names` of a marker processor, for its replacement."""
    return {name: getattr(processor, name) for name in names}
