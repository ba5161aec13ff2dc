"""The layout stage's title, headings and inline text, on generated pages and real papers:
real marker, real PDFs (fpdf2)."""

from __future__ import annotations

import re

import pytest

from workflows.research.academic_lit_review.paper_processor.testing.excerpt_pdfs import (
    ACCENTED,
    ACCENTED_READ,
    HEADING,
    MARKUP_OPENINGS,
    write_excerpt_page,
    write_large_type_excerpt,
)
from workflows.research.academic_lit_review.paper_processor.testing.false_heading_pdfs import (
    ALGORITHM_END,
    CALL,
    FIGURE_LABELS,
    FOOTNOTE_LINK,
    FORMULA,
    KEYWORDS,
    LABEL,
    MATRIX_LABELS,
    PULL_QUOTE,
    TABLE_HEAD,
    TABLE_HEAD_ROW,
    write_false_headings_page,
)

from .conftest import SHARED_DATA, convert_pdf

pytestmark = pytest.mark.marker

TITLE = "Optimized Table Tokenization for Table Structure Recognition"


def _flat(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>|\*", "", text).split())


def _heading_lines(markdown: str) -> list[str]:
    return [_flat(line) for line in markdown.splitlines() if line.startswith("#")]


@pytest.mark.parametrize(
    ("running_head", "title"),
    [
        (f"{TITLE} 9", TITLE),  # the paper's title, its page number at the end
        ("12 Journal of Table Studies 41 (2023)", None),  # the journal: no title at all
        ("Smith and Jones 214", None),  # the authors
    ],
)
def test_a_page_without_a_title_of_its_own_takes_it_from_a_running_head_that_names_the_paper(
    converter, tmp_path, running_head, title
):
    page = write_excerpt_page(tmp_path / "excerpt.pdf", running_head=running_head)

    markdown, structure = convert_pdf(converter, page.path, tmp_path)

    expected = [*([f"# {title}"] if title else []), f"### {HEADING}"]
    assert _heading_lines(markdown) == expected
    assert [h["text"] for h in structure["headings"]] == [t for t in (title, HEADING) if t]
    # The running head is no body text, and its page number is in no heading.
    body = _flat("\n".join(ln for ln in markdown.splitlines() if not ln.startswith("#")))
    assert running_head not in body
    head_words = re.sub(r"\d+", "", running_head).split()
    assert " ".join(head_words) not in body


def test_a_title_of_its_own_beats_the_running_head(converter, tmp_path):
    page = write_excerpt_page(
        tmp_path / "first.pdf", running_head="Table Tokenization Revisited 1", title=TITLE
    )

    markdown, _ = convert_pdf(converter, page.path, tmp_path)

    assert _heading_lines(markdown) == [f"# {TITLE}", f"### {HEADING}"]
    assert "Table Tokenization Revisited" not in markdown


def test_running_text_set_larger_than_the_references_is_no_title(converter, tmp_path):
    pdf = write_large_type_excerpt(tmp_path / "large-type.pdf")

    markdown, structure = convert_pdf(converter, pdf, tmp_path)

    # The 12pt text above 9pt references is the page's running text, not a title.
    assert not structure["headings"]
    assert not _heading_lines(markdown)


def test_paragraphs_that_open_with_markup_characters_stay_paragraphs(converter, tmp_path):
    page = write_excerpt_page(tmp_path / "markup.pdf", running_head=f"{TITLE} 9")

    markdown, _ = convert_pdf(converter, page.path, tmp_path)

    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]
    # Escaped where they open a paragraph: no heading or quotation comes of them. A numbered
    # step stays as markdown's numbered list shows it, with no backslash in its text.
    assert r"\# of layers in the encoder" in markdown
    assert r"\> 90% of the tables" in markdown
    assert "\n1. The model is trained" in markdown
    for opening in MARKUP_OPENINGS:
        matching = [p for p in paragraphs if _flat(p).replace("\\", "") == opening]
        assert len(matching) == 1, opening
    assert len(_heading_lines(markdown)) == 2


def test_spacing_accents_join_their_letters_in_body_text(converter, tmp_path):
    page = write_excerpt_page(tmp_path / "accents.pdf", running_head=f"{TITLE} 9")

    markdown, _ = convert_pdf(converter, page.path, tmp_path)

    assert ACCENTED_READ in _flat(markdown)
    assert ACCENTED not in markdown
    assert not re.search("[´¨]", markdown)


def test_a_real_excerpt_takes_its_title_from_its_running_head(converter, tmp_path):
    pdf = SHARED_DATA / "papers" / "docling-project+docling" / "2305.03393v1-pg9.pdf"
    if not pdf.exists():
        pytest.skip(f"shared corpus not present at {pdf.parent}")

    markdown, structure = convert_pdf(converter, pdf, tmp_path)

    assert structure["headings"][0] == {"level": 1, "text": TITLE}
    assert markdown.splitlines()[0] == f"# {TITLE}"
    assert f"{TITLE} 9" not in markdown
    # The table's "# enc-layers" column head stays text.
    assert not [h for h in _heading_lines(markdown) if "layers" in h]


def test_lines_that_only_look_like_headings_stay_text(converter, tmp_path):
    page = write_false_headings_page(tmp_path / "false-headings.pdf")

    markdown, structure = convert_pdf(converter, page.path, tmp_path)

    # A footnote's link, a bold step of pseudocode, a figure's 2pt legend, a label that opens
    # two entries, a table's head (set in from the text's edge, or right under the table's
    # caption), keywords after their label, matrices' labels, a four-line pull quote, a formula
    # and a call are no headings; a numbered
    # run-in heading that opens with a formula in body type is one, whole.
    assert [(h["text"], h["level"]) for h in structure["headings"]] == page.headings
    assert _heading_lines(markdown) == [f"{'#' * level} {text}" for text, level in page.headings]
    flat = _flat(markdown)
    for text in [FOOTNOTE_LINK, ALGORITHM_END, *FIGURE_LABELS, TABLE_HEAD, TABLE_HEAD_ROW]:
        assert text in flat
    for text in [KEYWORDS, MATRIX_LABELS, " ".join(PULL_QUOTE), FORMULA, CALL]:
        assert text in flat
    # Each label stays in front of its entry, on the entry's line.
    assert flat.count(f"{LABEL} Which papers") == 2
