"""Real marker-pdf, text-layer mode, on generated papers and (when present) the shared corpus."""

from __future__ import annotations

import pytest

from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond

from .conftest import SHARED_DATA, run_graph

pytestmark = pytest.mark.marker


def _flat(text: str) -> str:
    return " ".join(text.replace("*", "").replace("#", "").split())


async def test_marker_markdown_holds_title_and_body_of_each_paper(open_web, make_paper, context):
    generated = [make_paper(seed, pages=2 if seed == 1 else 1) for seed in range(3)]
    papers = []
    for paper in generated:
        open_web.host.add(f"/{paper.seed}.pdf", Respond(body=paper.pdf))
        papers.append(
            {
                "doi": paper.doi,
                "title": paper.title,
                "oa_urls": [open_web.url(f"/{paper.seed}.pdf")],
            }
        )

    run = await run_graph(
        graph, {"papers": papers}, context=context(converter="marker", marker_mode="auto")
    )

    for paper, outcome in zip(generated, run.output["outcomes"], strict=True):
        assert outcome["status"] == "converted", outcome
        assert outcome["converter"] == "marker"
        assert outcome["mode"] == "text_layer"
        assert "cannot run" in outcome["mode_reason"]
        markdown = _flat(outcome["markdown"])
        assert paper.title in markdown
        for paragraph in paper.paragraphs:
            assert _flat(paragraph) in markdown
    assert run.output["outcomes"][1]["pages"] == 2


async def test_marker_converts_a_real_two_column_paper(open_web, context):
    pdf = SHARED_DATA / "papers" / "allenai+science-parse" / "P07-1088.pdf"
    if not pdf.exists():
        pytest.skip(f"shared corpus not present at {pdf.parent}")
    open_web.host.add("/acl.pdf", Respond(body=pdf))
    run = await run_graph(
        graph,
        {
            "papers": [
                {
                    "title": "Sparse Information Extraction: Unsupervised Language Models to the Rescue",
                    "oa_urls": [open_web.url("/acl.pdf")],
                }
            ]
        },
        context=context(converter="marker", marker_mode="text_layer"),
    )
    outcome = run.outcome(0)
    assert outcome["status"] == "converted", outcome
    assert outcome["pages"] == 8
    assert len(outcome["markdown"].split()) > 2000
