"""Wiring of a small lit-review graph that embeds the paper processor as a subgraph node.

    START → paper_processor → corpus → END

`paper_processor` is the compiled paper-processor graph itself, so its per-paper custom events
reach this graph's stream (with `subgraphs=True`), it checkpoints in its own namespace (a resumed
run continues the subgraph where it stopped), and the runtime context given to this graph flows
into it: both use the paper processor's `Context` as context schema. The corpus node's logic lives
in corpus.py.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from .corpus import CorpusRecord, build_corpus
from .paper_processor.context import Context
from .paper_processor.graph import graph as paper_processor
from .paper_processor.state import PaperInput, Summary


class LitReviewInput(TypedDict):
    papers: list[PaperInput]


class LitReviewOutput(TypedDict):
    corpus: list[CorpusRecord]
    outcomes: list[dict[str, Any]]
    summary: Summary


class LitReviewState(LitReviewInput, LitReviewOutput):
    """`outcomes` and `summary` are written once per run, by the subgraph: plain last-value keys,
    so a second run on the same thread replaces them instead of adding to them."""


def build_graph() -> StateGraph:
    builder = StateGraph(
        LitReviewState,
        context_schema=Context,
        input_schema=LitReviewInput,
        output_schema=LitReviewOutput,
    )
    builder.add_node("paper_processor", paper_processor)
    builder.add_node("corpus", build_corpus)
    builder.add_edge(START, "paper_processor")
    builder.add_edge("paper_processor", "corpus")
    builder.add_edge("corpus", END)
    return builder


graph = build_graph().compile(name="lit_review")
