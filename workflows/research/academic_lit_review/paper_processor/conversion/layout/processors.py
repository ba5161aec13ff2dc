"""marker processors adapted to blocks the layout stage has already labelled."""

from __future__ import annotations

from typing import Any

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


def keep_layout_levels(processors: list[Any]) -> list[Any]:
    """`processors` with marker's SectionHeaderProcessor swapped for the level-keeping one."""
    return [
        KeepLevelsSectionHeaderProcessor(_config_of(p)) if type(p) is SectionHeaderProcessor else p
        for p in processors
    ]


def _config_of(processor: Any) -> dict:
    names = ("level_count", "merge_threshold", "default_level", "height_tolerance")
    return {name: getattr(processor, name) for name in names}
