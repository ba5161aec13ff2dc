"""Lists set without bullets, reference entries sharing a label, and page footers that change
shape, in text-layer mode: generated PDFs with a known structure, and real papers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workflows.research.academic_lit_review.paper_processor.conversion import worker
from workflows.research.academic_lit_review.paper_processor.testing.footer_pdfs import (
    write_footer_paper,
)
from workflows.research.academic_lit_review.paper_processor.testing.list_pdfs import (
    write_list_paper,
)
from workflows.research.academic_lit_review.paper_processor.testing.listing_columns_pdfs import (
    write_listing_over_columns,
)

from .conftest import SHARED_DATA

pytestmark = pytest.mark.marker


def _convert(converter: worker.MarkerConverter, pdf: Path, out: Path, **job: object) -> str:
    converter.convert(worker.Job(pdf_path=str(pdf), out_path=str(out), **job))
    return out.read_text(encoding="utf-8")


def _flat(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text).replace("*", "").replace("\\", "")
    return " ".join(text.split())


def _blocks(markdown: str) -> list[str]:
    """Paragraphs and list items, each flattened, without its list marker."""
    parts = re.split(r"\n\s*\n|\n(?=\s*- )", markdown)
    return [_flat(re.sub(r"^\s*- ", "", p)) for p in parts if p.strip()]


def test_lists_without_bullets_give_one_item_per_label(converter, tmp_path):
    paper = write_list_paper(tmp_path / "lists.pdf")

    markdown = _convert(converter, paper.path, tmp_path / "lists.md")
    blocks = _blocks(markdown)

    # "[0] ...", "[1] ...": one list item per label, a wrapped one whole.
    for item in paper.labelled:
        assert f"- {item}" in [_flat(line) for line in markdown.splitlines()]
    # "1.", "2.", "2.1.": one paragraph per step (markdown reads "1. ..." as a list already).
    for step in paper.steps:
        assert step in blocks
    # Several works cited under one label: one item each, in order.
    for number, works in enumerate(paper.references, start=1):
        expected = [f"[{number}] {works[0]}", *works[1:]]
        at = blocks.index(expected[0])
        assert blocks[at : at + len(expected)] == expected
    for paragraph in paper.paragraphs:
        assert paragraph in blocks
    # The banner up the right margin of every page is a running head: in no sentence.
    assert paper.banner not in _flat(markdown)


def test_a_real_appendix_list_and_shared_reference_labels(converter, tmp_path):
    pasa = SHARED_DATA / "papers" / "Future-House+paper-qa" / "pasa.pdf"
    jcap = SHARED_DATA / "papers" / "kermitt2+grobid" / "0807.3577.pdf"
    if not (pasa.exists() and jcap.exists()):
        pytest.skip(f"shared corpus not present at {SHARED_DATA}")
    # pasa's page 14: 39 answer papers labelled [0] to [38], without bullets.
    lines = _convert(converter, pasa, tmp_path / "pasa.md", page_range=(13, 13)).splitlines()
    items = [_flat(ln) for ln in lines if re.match(r"\s*- \\?\[\d+\\?\]", ln)]
    assert len(items) == 39
    assert any(
        "[18] PromptReps: Prompting Large Language Models to Generate Dense and Sparse "
        "Representations for Zero-Shot Document Retrieval" in item
        for item in items
    )
    # JCAP's page 14: "[1]" holds three works, one a line; the sideways running head (on one
    # page alone no repeated furniture) stands apart, in no entry.
    markdown = _convert(converter, jcap, tmp_path / "jcap.md", page_range=(13, 13))
    blocks = _blocks(markdown)
    assert any(b.startswith("[1] Perlmutter S et al, 1997") and "Riess" not in b for b in blocks)
    assert any(b.startswith("Riess A G et al, 1998") for b in blocks)
    assert not [b for b in blocks if "JCAP10(2008)003" in b and b != "JCAP10(2008)003"]


def test_a_footer_that_changes_shape_goes_and_a_paragraph_runs_on_past_a_note(converter, tmp_path):
    paper = write_footer_paper(tmp_path / "footer.pdf")

    markdown = _convert(converter, paper.path, tmp_path / "footer.md")
    blocks = _blocks(markdown)

    # The footer, with or without its page number and cut at its gap or not, is furniture.
    for word in paper.footer_words:
        assert word not in markdown
    # The paragraph broken by the page end reads whole; the note at the page's foot is kept,
    # "Correspondence:" apart from the paragraph's last words.
    assert paper.runs_on in blocks
    assert paper.note in blocks
    assert not [b for b in blocks if "Correspondence" in b and b != "Correspondence:"]


def test_columns_under_a_full_width_code_listing_read_one_after_the_other(converter, tmp_path):
    paper = write_listing_over_columns(tmp_path / "code.pdf")

    markdown = _convert(converter, paper.path, tmp_path / "code.md")
    blocks = _blocks(markdown)

    # The left column's paragraph runs on into the right column, whole, and in no code line;
    # the listing is one fenced block, a line of the PDF a line of the block.
    assert paper.runs_on in blocks
    listings = re.findall(r"```[^\n]*\n(.*?)\n```", markdown, re.S)
    assert [[_flat(line) for line in listing.splitlines()] for listing in listings] == [paper.code]
