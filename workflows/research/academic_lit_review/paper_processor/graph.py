"""Wiring of the paper processor. The nodes live in nodes/, one module each.

    START → prepare → ┬→ acquire ───────┐
                      ├→ poll_retrieve ─┼→ finalize → END
                      └→ marker ────────┘

acquire, poll_retrieve and marker run in one superstep and meet through the per-run channel.
No RetryPolicy on them: a retried consumer would lose the papers it had received.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from .context import Context
from .nodes.acquire import acquire
from .nodes.finalize import finalize
from .nodes.marker import marker
from .nodes.poll_retrieve import poll_retrieve
from .nodes.prepare import prepare
from .state import InputState, OutputState, State


def build_graph() -> StateGraph:
    builder = StateGraph(
        State, context_schema=Context, input_schema=InputState, output_schema=OutputState
    )
    builder.add_node("prepare", prepare)
    builder.add_node("acquire", acquire)
    builder.add_node("poll_retrieve", poll_retrieve)
    builder.add_node("marker", marker)
    builder.add_node("finalize", finalize)
    builder.add_edge(START, "prepare")
    for streaming_node in ("acquire", "poll_retrieve", "marker"):
        builder.add_edge("prepare", streaming_node)
    builder.add_edge(["acquire", "poll_retrieve", "marker"], "finalize")
    builder.add_edge("finalize", END)
    return builder


graph = build_graph().compile(name="paper_processor")
