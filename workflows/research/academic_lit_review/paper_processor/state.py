"""Graph state. Inputs and outputs are narrow; the rest is internal bookkeeping.

State holds only small JSON (paths, not bytes) so checkpoints stay small; the markdown itself
joins the output in `finalize`.
"""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from typing_extensions import TypedDict


class PaperInput(TypedDict, total=False):
    """One paper to process. At least one of doi, arxiv_id, pmcid or title identifies it."""

    doi: str
    title: str
    authors: list[str]
    year: int
    venue: str
    oa_urls: list[str]
    pmcid: str
    arxiv_id: str
    relevance: float


class InputState(TypedDict):
    papers: list[PaperInput]


class Summary(TypedDict):
    total: int
    converted: int
    failed: int
    by_reason: dict[str, int]


class OutputState(TypedDict):
    outcomes: list[dict[str, Any]]
    summary: Summary


def merge_results(left: dict[str, dict] | None, right: dict[str, dict] | None) -> dict[str, dict]:
    """Outcomes by input index; each node contributes the papers whose fate it decided."""
    return {**(left or {}), **(right or {})}


class State(InputState, OutputState):
    run_key: NotRequired[str]
    work: NotRequired[list[int]]  # indexes of the papers still to acquire
    results: NotRequired[Annotated[dict[str, dict], merge_results]]
