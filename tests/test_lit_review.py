"""The lit-review graph: papers in, the paper processor as its subgraph, one corpus record per paper."""

from __future__ import annotations

import pytest

from workflows.research.academic_lit_review.corpus import corpus_record, read_markdown
from workflows.research.academic_lit_review.graph import graph as lit_review
from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond

# Only the routes the loopback fakes answer: no lookups on the internet.
OFFLINE = dict(source_order=["oa_urls"])


async def _stream(papers: list[dict], ctx) -> tuple[list[tuple[tuple, dict]], dict]:
    """Run the lit-review graph; return (subgraph custom events in order, final output)."""
    events: list[tuple[tuple, dict]] = []
    output: dict = {}
    async for namespace, mode, chunk in lit_review.astream(
        {"papers": papers}, context=ctx, stream_mode=["custom", "values"], subgraphs=True
    ):
        if mode == "custom":
            events.append((namespace, chunk))
        elif mode == "values" and not namespace:
            output = chunk
    return events, output


async def test_one_record_per_converted_paper_from_both_sources(
    open_web, retrieve_service, make_paper, context, tmp_path
):
    oa, retrieved, missing = make_paper(0), make_paper(1, pages=2), make_paper(2)
    open_web.host.add("/0.pdf", Respond(body=oa.pdf))
    retrieve_service.host.hold(retrieved.doi, retrieved.pdf, ready_after_s=0.3)
    retrieve_service.host.fail(missing.doi)
    papers = [
        {"doi": oa.doi, "title": oa.title, "oa_urls": [open_web.url("/0.pdf")]},
        {"doi": retrieved.doi, "title": retrieved.title},  # only retrieve-academic has it
        {"doi": missing.doi, "title": missing.title},  # nobody has it
        {"doi": oa.doi, "title": "the same paper again"},  # a duplicate: failed, no record
    ]
    ctx = context(retrieve_url=retrieve_service.base_url, **OFFLINE)

    events, output = await _stream(papers, ctx)

    # The subgraph's per-paper events reach the parent stream, under the subgraph node.
    assert events and all(ns and ns[0].startswith("paper_processor:") for ns, _ in events)
    assert {e["stage"] for _, e in events} >= {"queued", "converting", "converted", "failed"}
    assert [o["status"] for o in output["outcomes"]] == [
        "converted",
        "converted",
        "failed",
        "failed",
    ]
    assert output["summary"]["converted"] == 2

    corpus = output["corpus"]
    assert [r["index"] for r in corpus] == [0, 1]
    assert [r["doi"] for r in corpus] == [oa.doi, retrieved.doi]
    assert [r["key"] for r in corpus] == [f"doi:{oa.doi}", f"doi:{retrieved.doi}"]
    assert [r["source"] for r in corpus] == ["open_access", "retrieve_academic"]
    assert [r["title"] for r in corpus] == [oa.title, retrieved.title]
    assert [r["pages"] for r in corpus] == [1, 2]
    for record, outcome in zip(corpus, output["outcomes"], strict=False):
        # Whatever the converter wrote is what the record describes.
        headings, _, words = read_markdown(outcome["markdown"])
        assert record["word_count"] == words > 0
        assert record["headings"] == [h for h in headings if h != record["title"]]

    # The context given to the parent reached the subgraph: its workspace holds the conversions.
    store = ArtifactStore(tmp_path / "workspace")
    try:
        assert [store.count("conversion", r["key"]) for r in corpus] == [1, 1]
    finally:
        store.close()


@pytest.mark.marker
async def test_records_of_real_marker_markdown(open_web, make_paper, context):
    paper = make_paper(3)
    open_web.host.add("/3.pdf", Respond(body=paper.pdf))
    papers = [{"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url("/3.pdf")]}]

    _, output = await _stream(papers, context(converter="marker", **OFFLINE))

    (outcome,) = output["outcomes"]
    assert outcome["status"] == "converted", outcome
    (record,) = output["corpus"]
    # marker reports the document's headings in the outcome; the record takes them from there.
    assert record["heading_source"] == "outcome"
    assert outcome["headings"][0] == {"level": 1, "text": paper.title}
    expected_sections = [
        f"{i + 1} {name}"
        for i, name in enumerate(["Introduction", "Methods", "Results", "Discussion"])
    ]
    assert record["headings"] == expected_sections[: len(paper.paragraphs)]
    assert record["title"] == paper.title
    # Every word of the paper is counted once: title, author, DOI line, sections and paragraphs.
    body_words = sum(len(p.split()) for p in paper.paragraphs)
    assert body_words < record["word_count"] < body_words + 40
    assert record["source"] == "open_access" and record["doi"] == paper.doi


def _converted(markdown: str, **fields) -> dict:
    return {
        "index": 0,
        "key": "doi:10.1/x",
        "doi": "10.1/x",
        "status": "converted",
        "source": "open_access",
        "pages": 3,
        "markdown": markdown,
        **fields,
    }


def test_markdown_headings_title_and_words():
    markdown = (
        "# Deep Soil Carbon\n\n"
        "Some *intro* text with a [link](http://example.org/a-b-c) and ![figure](fig.png).\n\n"
        '## 1 Introduction\n\nIntro body <span id="page-1-0"></span>here.\n\n'
        "```\n# not a heading\n```\n\n"
        "Results\n-------\n\n| a | b |\n|---|---|\n| one | two |\n"
    )
    record = corpus_record(_converted(markdown, title=None))
    assert record["title"] == "Deep Soil Carbon" and record["title_source"] == "markdown"
    assert record["headings"] == ["1 Introduction", "Results"]
    assert record["heading_source"] == "markdown"
    # Deep Soil Carbon(3) Some intro text with a link and(7) 1 Introduction(2) Intro body here(3)
    # not a heading(3) Results(1) a b one two(4)
    assert record["word_count"] == 23

    with_metadata = corpus_record(_converted(markdown, title="Deep soil carbon"))
    assert (
        with_metadata["title"] == "Deep soil carbon" and with_metadata["title_source"] == "metadata"
    )
    assert with_metadata["headings"] == ["1 Introduction", "Results"]


def test_text_layer_markdown_uses_bold_runs_and_empty_markdown_has_none():
    markdown = (
        "**A Study of Things** Ada Lovelace **1 Introduction** We study things. "
        "**2 Methods** We use a **very long bold run that is certainly a sentence and not a"
        " heading at all**."
    )
    record = corpus_record(_converted(markdown, title="A study of things"))
    assert record["headings"] == ["1 Introduction", "2 Methods"]
    assert record["heading_source"] == "bold"

    empty = corpus_record(_converted("", title=None))
    assert empty == {
        **empty,
        "title": None,
        "title_source": "none",
        "headings": [],
        "heading_source": "none",
        "word_count": 0,
    }
