"""The compiled subgraph embedded as a node of a lit-review graph."""

from __future__ import annotations

import operator
from typing import Annotated, Any

from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from workflows.research.academic_lit_review.paper_processor.context import Context
from workflows.research.academic_lit_review.paper_processor.graph import graph as paper_processor
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond


class LitReviewState(TypedDict, total=False):
    papers: list[dict]
    outcomes: Annotated[list[dict], operator.add]
    summary: dict
    corpus: list[dict[str, Any]]


def build_corpus(state: LitReviewState) -> dict:
    return {
        "corpus": [
            {"doi": o["doi"], "words": len(o["markdown"].split())}
            for o in state["outcomes"]
            if o["status"] == "converted"
        ]
    }


async def test_outcomes_merge_into_parent_and_events_reach_its_stream(
    open_web, make_paper, context
):
    parent = StateGraph(LitReviewState, context_schema=Context)
    parent.add_node("full_texts", paper_processor)
    parent.add_node("corpus", build_corpus)
    parent.add_edge(START, "full_texts")
    parent.add_edge("full_texts", "corpus")
    parent.add_edge("corpus", END)
    app = parent.compile()

    papers = []
    for seed in range(2):
        paper = make_paper(seed)
        open_web.host.add(f"/{seed}.pdf", Respond(body=paper.pdf))
        papers.append(
            {"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url(f"/{seed}.pdf")]}
        )

    subgraph_events = []
    final: dict = {}
    async for namespace, mode, chunk in app.astream(
        {"papers": papers, "outcomes": [{"status": "earlier", "doi": None}]},
        context=context(),
        stream_mode=["custom", "updates"],
        subgraphs=True,
    ):
        if mode == "custom":
            subgraph_events.append((namespace, chunk))
        elif not namespace and "corpus" in chunk:
            final = chunk["corpus"]

    assert subgraph_events, "no custom events reached the parent stream"
    assert all(ns and ns[0].startswith("full_texts:") for ns, _ in subgraph_events)
    assert {e["stage"] for _, e in subgraph_events} >= {
        "queued",
        "downloaded",
        "converting",
        "converted",
    }
    assert [c["doi"] for c in final["corpus"]] == [p["doi"] for p in papers]
    assert all(c["words"] > 0 for c in final["corpus"])

    state = await app.ainvoke({"papers": papers, "outcomes": []}, context=context())
    # The subgraph's outcomes were added to the parent's list through its reducer.
    assert [o["status"] for o in state["outcomes"]] == ["converted", "converted"]
    assert state["summary"]["converted"] == 2
