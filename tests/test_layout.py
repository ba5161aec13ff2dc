"""The text-layer layout stage: real marker, real PDFs with a known structure, real papers."""

from __future__ import annotations

import re

import pytest

from workflows.research.academic_lit_review.paper_processor.conversion import worker
from workflows.research.academic_lit_review.paper_processor.conversion.layout import builder
from workflows.research.academic_lit_review.paper_processor.conversion.layout.furniture import (
    LINE_NUMBER,
    MARGIN_NOTE,
    mark_furniture,
)
from workflows.research.academic_lit_review.paper_processor.conversion.layout.headings import (
    assign_levels,
)
from workflows.research.academic_lit_review.paper_processor.conversion.layout.lines import TextLine
from workflows.research.academic_lit_review.paper_processor.conversion.layout.spacing import (
    recover_spaces,
)
from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore
from workflows.research.academic_lit_review.paper_processor.testing.accent_pdfs import (
    write_accent_paper,
)
from workflows.research.academic_lit_review.paper_processor.testing.algorithm_pdfs import (
    CAPTION,
    write_algorithm_paper,
)
from workflows.research.academic_lit_review.paper_processor.testing.author_grid_pdfs import (
    write_author_grid_paper,
)
from workflows.research.academic_lit_review.paper_processor.testing.banner_pdfs import (
    ARXIV_STAMP,
    BANNER,
    LOGO,
    TITLE,
    write_banner_paper,
    write_teaser_logo_paper,
)
from workflows.research.academic_lit_review.paper_processor.testing.block_pdfs import (
    TABLE_CAPTION,
    write_blocks_paper,
)
from workflows.research.academic_lit_review.paper_processor.testing.code_pdfs import (
    write_code_paper,
)
from workflows.research.academic_lit_review.paper_processor.testing.display_pdfs import (
    write_display_page,
)
from workflows.research.academic_lit_review.paper_processor.testing.first_page_pdfs import (
    write_first_page_paper,
)
from workflows.research.academic_lit_review.paper_processor.testing.float_pdfs import (
    write_float_paper,
)
from workflows.research.academic_lit_review.paper_processor.testing.layout_pdfs import (
    BANNER_HEADINGS,
    BANNERS,
    FOOTNOTE,
    NOT_HEADINGS,
    NOT_SECTION_TITLES,
    RUNNING_HEADER,
    STYLED_HEADINGS,
    UNSPACED_TEXT,
    write_banners_and_tables_paper,
    write_heading_styles_paper,
    write_two_column_paper,
    write_unspaced_paper,
)
from workflows.research.academic_lit_review.paper_processor.testing.sideways_table_pdfs import (
    write_sideways_table_paper,
)

from .conftest import SHARED_DATA, convert_pdf

pytestmark = pytest.mark.marker


def _flat(text: str) -> str:
    # Markup and its escapes ("2\\. apply": a paragraph that opens like a list item) go.
    text = re.sub(r"<[^>]+>", "", text).replace("*", "").replace("#", "").replace("\\", "")
    return " ".join(text.split())


def _paragraphs(markdown: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]


def test_two_column_paper_comes_out_with_its_structure(converter, tmp_path):
    paper = write_two_column_paper(tmp_path / "two-column.pdf")

    markdown, structure = convert_pdf(converter, paper.path, tmp_path)

    # Exactly the headings, in reading order (title, full-width abstract, then both columns).
    assert [(h["text"], h["level"]) for h in structure["headings"]] == paper.headings
    heading_lines = [
        (_flat(line), len(line) - len(line.lstrip("#")))
        for line in markdown.splitlines()
        if line.startswith("#")
    ]
    assert heading_lines == paper.headings
    assert structure["fallback_pages"] == ()

    # No page furniture in the body: running header, page numbers, margin line numbers.
    assert RUNNING_HEADER not in markdown
    paragraphs = _paragraphs(markdown)
    assert not [p for p in paragraphs if re.fullmatch(r"[\d\s]+", _flat(p))]
    assert not re.search(r"\b0\d\d\b", markdown), "a review-copy line number is left in the text"

    # Every paragraph whole, even those running across the column break or onto the next page.
    flat = _flat(markdown)
    for text in paper.paragraphs:
        assert _flat(text) in flat
    # The footnote is kept as a paragraph of its own, not spliced into a sentence.
    assert _flat(FOOTNOTE) in [_flat(p) for p in paragraphs]
    # The table is kept (as text where its cells cannot be recovered), caption on its own.
    assert "Table 1: Accuracy by method." in [_flat(p) for p in paragraphs]
    for cell in paper.table_cells:
        assert cell in flat
    # One list item per reference entry.
    items = [_flat(line[2:]) for line in markdown.splitlines() if line.startswith("- ")]
    assert items == [_flat(r) for r in paper.references]


def test_headings_set_apart_without_bold_type(converter, tmp_path):
    pdf = write_heading_styles_paper(tmp_path / "styles.pdf")

    markdown, structure = convert_pdf(converter, pdf, tmp_path)

    # A bold number before a lowercase code name, 11pt italic over 10pt text, and end-matter
    # names in a font of their own head sections, as does a run-in heading that opens with a
    # math-italic variable; a body-size italic line and a numbered step in body type stay text.
    assert [(h["text"], h["level"]) for h in structure["headings"]] == STYLED_HEADINGS
    for text in NOT_HEADINGS:
        assert text in _flat(markdown)


def test_only_section_titles_become_headings(converter, tmp_path):
    pdf = write_banners_and_tables_paper(tmp_path / "banners.pdf")

    markdown, structure = convert_pdf(converter, pdf, tmp_path)

    # The title is the one level-1 heading, whole, under a banner in its own size and beside
    # one set sideways; a table's head, labelled list items, reference entries and the running
    # text of a page set in 14pt are no headings; levels follow the numbers.
    assert [(h["text"], h["level"]) for h in structure["headings"]] == BANNER_HEADINGS
    heading_lines = [line for line in markdown.splitlines() if line.startswith("#")]
    assert [_flat(line) for line in heading_lines] == [t for t, _ in BANNER_HEADINGS]
    assert [line for line in heading_lines if line.startswith("# ")] == [heading_lines[0]]
    flat = _flat(markdown)
    upright, sideways = BANNERS
    for text in [upright, *NOT_SECTION_TITLES]:
        assert text in flat
    # The banner set sideways up the margin is furniture, like a running head.
    assert sideways not in flat
    # marker hangs the target of the link into section 2 on the nearest block, a heading here;
    # links into the document's own pages and their targets are dropped, the link's words stay.
    assert "<span" not in markdown and "(#page-" not in markdown


def test_words_run_together_get_their_spaces_back(tmp_path):
    from marker.providers.pdf import PdfProvider

    pdf = write_unspaced_paper(tmp_path / "unspaced.pdf")
    provider = PdfProvider(str(pdf), {"disable_ocr": True})
    outputs = provider.page_lines[0]
    # What pdftext makes of PDFs that hold no space glyphs: the words of a line run together.
    for output in outputs:
        output.spans = [s for s in output.spans if s.text.strip()]
        for span in output.spans:
            span.text = span.text.replace(" ", "")
    run_together = " ".join("".join(s.text for s in o.spans) for o in outputs)
    assert "Thecontinuouselectronbeam" in run_together

    fixed = recover_spaces(outputs, provider.raw_pdftext_pages.get(0))

    assert fixed == sum(1 for o in outputs if len("".join(s.text for s in o.spans)) >= 20)
    text = " ".join(" ".join("".join(s.text for s in o.spans).split()) for o in outputs)
    assert text == UNSPACED_TEXT


def test_page_whose_layout_fails_falls_back_to_page_text(converter, tmp_path, monkeypatch):
    paper = write_two_column_paper(tmp_path / "faulty-layout.pdf")
    real_layout_page = builder._layout_page

    def layout_failing_on_page_two(lines, ctx, page):
        if page.page_id == 1:
            raise ValueError("injected layout fault")
        return real_layout_page(lines, ctx, page)

    monkeypatch.setattr(builder, "_layout_page", layout_failing_on_page_two)
    markdown, structure = convert_pdf(converter, paper.path, tmp_path)

    assert structure["fallback_pages"] == (
        {"page": 1, "reason": "ValueError: injected layout fault"},
    )
    # Page one keeps its layout; page two's text is all there, as today's page text.
    assert [h["text"] for h in structure["headings"]][:3] == [
        "Reading Order in Two Column Documents",
        "Abstract",
        "1 Introduction",
    ]
    # Page text as today: its margin line numbers are mixed in, but every word is there.
    flat = re.sub(r"\b\d{3}\b ?", "", _flat(markdown))
    for ref in paper.references:
        assert _flat(ref) in flat


def test_stored_markdown_answers_with_its_headings(tmp_path):
    store = ArtifactStore(tmp_path / "workspace")
    try:
        md = store.temp_path(".md")
        md.write_text("# T\n\n## 1 Intro\n\ntext\n", encoding="utf-8")
        structure = {
            "headings": [{"level": 1, "text": "T"}, {"level": 2, "text": "1 Intro"}],
            "fallback_pages": [{"page": 3, "reason": "ValueError: x"}],
        }
        store._put_markdown_sync(
            "doi:10.1/x", md, "marker", "text_layer", "why", None, None, None, structure
        )
        cached = store.lookup_sync("doi:10.1/x").cached_outcome(0, doi="10.1/x", title=None)
    finally:
        store.close()
    assert cached["headings"] == structure["headings"]
    assert cached["fallback_pages"] == structure["fallback_pages"]


# Real papers: the section titles a reader navigates by, in order (their PDF outlines, where
# they have one, list the same).
REAL_PAPERS = {
    "allenai+science-parse/P14-1059.pdf": [
        "Abstract",
        "1 Introduction",
        "2 Related work",
        "3 General framework",
        "3.1 Synthesis",
        "3.2 Generation",
        "3.3 Recursive (de)composition",
        "4 Evaluation setting",
        "5 Noun phrase generation",
        "6 Noun phrase translation",
        "7 Generation confidence and generation quality",
        "8 Conclusion",
        "References",
    ],
    "allenai+pdffigures2/3a9202f9f176d3377516e3da0866cc19148c033b.pdf": [
        "INTRODUCTION",
        "MATERIALS AND METHODS",
        "RESULTS",
        "DISCUSSION AND REVIEW",
    ],
}


@pytest.mark.parametrize("name", sorted(REAL_PAPERS))
def test_real_papers_keep_their_section_titles(converter, tmp_path, name):
    pdf = SHARED_DATA / "papers" / name
    if not pdf.exists():
        pytest.skip(f"shared corpus not present at {pdf.parent}")

    _markdown, structure = convert_pdf(converter, pdf, tmp_path)

    found = [" ".join(h["text"].split()) for h in structure["headings"]]
    expected = REAL_PAPERS[name]
    assert [h for h in found if h in expected] == expected, found
    assert structure["fallback_pages"] == ()


def _table_rows(markdown: str) -> list[list[str]]:
    """The cells of the markdown table rows, header first, without the rule under the header."""
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in markdown.splitlines()
        if line.startswith("|") and not set(line) <= set("|-: ")
    ]


def test_lists_tables_and_page_breaks_come_out_whole(converter, tmp_path):
    paper = write_blocks_paper(tmp_path / "blocks.pdf")
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(paper.path))
    try:
        first, second = (" ".join(doc[i].get_textpage().get_text_range().split()) for i in (0, 1))
    finally:
        doc.close()
    words = paper.runs_on.split()
    # The paragraph does run from page one onto page two, past the page's footnote.
    assert " ".join(words[:8]) in first and " ".join(words[-8:]) in second

    markdown, structure = convert_pdf(converter, paper.path, tmp_path)
    paragraphs = [_flat(p) for p in _paragraphs(markdown)]

    assert structure["fallback_pages"] == ()
    # Bullets whose text wraps under their first word: one list item each, whole.
    items = [_flat(line[2:]) for line in markdown.splitlines() if line.startswith("- ")]
    assert items == [_flat(b) for b in paper.bullets]
    # Numbered steps with a hanging indent: one paragraph each.
    for step in paper.steps:
        assert _flat(step) in paragraphs
    # The table of aligned cells is a markdown table, row by row; its caption stands apart.
    assert _table_rows(markdown) == paper.table
    assert TABLE_CAPTION in paragraphs
    # The paragraph broken by the page end is whole; the footnote is a paragraph of its own.
    assert _flat(paper.runs_on) in paragraphs
    assert _flat(paper.footnote) in paragraphs
    # The sideways table reads row by row (its lines run up the page), none of its text lost.
    flat = _flat(markdown)
    assert "Table 3: Documents, pages, tables and figures by source." in flat
    for row in paper.rotated_table:
        assert " ".join(row[1:]) in flat
        assert re.search(rf"\b{re.escape(row[0])}\b", flat)


def test_sideways_table_pages_of_a_real_paper_keep_their_text(converter, tmp_path):
    pdf = SHARED_DATA / "papers" / "allenai+science-parse" / "superscripttest.pdf"
    if not pdf.exists():
        pytest.skip(f"shared corpus not present at {pdf.parent}")
    out = tmp_path / "sideways.md"
    # Pages 8 and 9: landscape tables, which pdftext gives a word per line.
    converter.convert(worker.Job(pdf_path=str(pdf), out_path=str(out), page_range=(7, 8)))
    flat = _flat(out.read_text(encoding="utf-8"))

    assert "Table 2. The rate of CN(1,2) of seeds of different seed sets" in flat
    # The "Top k" column (25, 50, 75, 100 in every block of rows) is no margin line numbering.
    for value in ("93.44", "96.52", "97.57", "98.08", "4501", "5125"):
        assert value in flat
    assert re.search(r"\b25\b.*\b50\b.*\b75\b.*\b100\b", flat)


def _line(text: str, x0: float, y0: float, width: float) -> TextLine:
    return TextLine(
        index=0, output=None, x0=x0, y0=y0, x1=x0 + width, y1=y0 + 9, text=text,
        size=9.0, bold=False, italic=False,
    )  # fmt: skip


def test_line_numbers_in_the_margin_go_but_a_table_column_of_numbers_stays():
    margin = [_line(f"{n}", 40, 90 + 12 * n, 8) for n in range(1, 13)]
    prose = [
        _line("a line of running text in the body", 72, 90 + 12 * n, 460) for n in range(1, 13)
    ]
    tops = [90 + 12 * n for n in range(12)]
    names = [_line(name, 72, y, 30) for name, y in zip(["AD", "", "", ""] * 3, tops, strict=True)]
    ks = [_line(str(k), 150, y, 14) for k, y in zip([25, 50, 75, 100] * 3, tops, strict=True)]
    values = [_line(f"9{n}.44", 220, y, 24) for n, y in enumerate(tops)]

    mark_furniture(
        [margin + prose, [n for n in names if n.text] + ks + values], [792, 792], [612, 612]
    )

    assert all(LINE_NUMBER in ln.tags for ln in margin)
    assert not [ln for ln in ks if ln.tags]


def test_a_stamp_up_the_margin_is_furniture_but_a_lone_tall_glyph_is_not():
    prose = [_line("a line of running text in the body", 72, 90 + 12 * n, 460) for n in range(30)]
    stamp = _line("arXiv:2302.07302v1 [cs.HC] 14 Feb 2023", 18, 212, 17)
    stamp.y1 = 559  # set sideways: a narrow, tall box in the left margin
    paren = _line(")", 554, 300, 3)  # a closing parenthesis at the column's right edge
    paren.y1 = 311

    mark_furniture([[*prose, stamp, paren]], [792], [612])

    assert MARGIN_NOTE in stamp.tags
    assert not paren.tags
    assert not [ln for ln in prose if ln.tags]


def test_a_float_between_a_paragraphs_halves_goes_after_it(converter, tmp_path):
    paper = write_float_paper(tmp_path / "float.pdf")

    markdown, _ = convert_pdf(converter, paper.path, tmp_path)

    paragraphs = [_flat(p) for p in _paragraphs(markdown)]
    # The sentence the figure interrupts in the PDF reads whole, its caption right after it.
    at = paragraphs.index(_flat(paper.interrupted))
    assert paragraphs[at + 1] == paper.caption
    # Each displayed question wrapped onto two lines is one paragraph.
    for question in paper.questions:
        assert question in paragraphs


@pytest.mark.parametrize("banner", [BANNER, ARXIV_STAMP])
def test_a_sideways_margin_banner_leaves_the_columns_whole(converter, tmp_path, banner):
    paper = write_banner_paper(tmp_path / "banner.pdf", banner)

    markdown, structure = convert_pdf(converter, paper.path, tmp_path)

    paragraphs = [_flat(p) for p in _paragraphs(markdown)]
    # Each column reads whole, left before right, the right one on over the page break; the
    # banner up the margin is furniture, in no paragraph and no heading.
    left = paragraphs.index(_flat(paper.left_column))
    assert paragraphs[left + 1] == _flat(paper.right_column)
    assert paper.banner not in _flat(markdown)
    assert paper.banner not in [h["text"] for h in structure.get("headings", [])]


def test_a_first_pages_footer_and_a_wide_caption_leave_the_paragraph_whole(converter, tmp_path):
    paper = write_first_page_paper(tmp_path / "first-page.pdf")

    markdown, _ = convert_pdf(converter, paper.path, tmp_path)

    paragraphs = [_flat(p) for p in _paragraphs(markdown)]
    # The paragraph runs on over the page break past the venue footer and the figure above its
    # second half, and reads whole; the caption follows it, down to its one-word last line.
    at = paragraphs.index(_flat(paper.split))
    assert paragraphs[at + 1] == paper.caption
    # The footer's two centred lines are one paragraph; each marked affiliation is its own.
    assert paper.footer in paragraphs
    for affiliation in paper.affiliations:
        assert affiliation in paragraphs


def test_each_author_of_a_grid_under_the_title_reads_as_one_paragraph(converter, tmp_path):
    paper = write_author_grid_paper(tmp_path / "authors.pdf")

    markdown, structure = convert_pdf(converter, paper.path, tmp_path)

    paragraphs = [_flat(p) for p in _paragraphs(markdown)]
    # Under the title, each author's cell top to bottom, row by row, then the abstract.
    assert paragraphs[1 : 1 + len(paper.cells)] == paper.cells
    assert [h["text"] for h in structure["headings"]][1:] == ["ABSTRACT"]


def test_a_sideways_table_beside_a_column_keeps_out_of_its_text(converter, tmp_path):
    paper = write_sideways_table_paper(tmp_path / "sideways-table.pdf")

    markdown, structure = convert_pdf(converter, paper.path, tmp_path)

    paragraphs = [_flat(p) for p in _paragraphs(markdown)]
    # The column reads whole and in order, its heading between its paragraphs, no cell among them.
    start = paragraphs.index(_flat(paper.prose[0]))
    expected = [paper.prose[0], paper.heading, *paper.prose[1:]]
    assert paragraphs[start : start + 4] == [_flat(text) for text in expected]
    assert [h["text"] for h in structure["headings"]] == [paper.heading]
    # The table's words are still there, after the column's text.
    rest = " ".join(paragraphs[start + 4 :])
    assert all(cell in rest for cell in paper.cells)


def test_accents_set_apart_from_their_letters_land_on_the_letter_under_them(converter, tmp_path):
    paper = write_accent_paper(tmp_path / "accents.pdf")

    markdown, _ = convert_pdf(converter, paper.path, tmp_path)

    assert _paragraphs(markdown) == paper.sentences


def test_a_code_listing_keeps_its_lines_and_headings_carry_no_bold_markup(converter, tmp_path):
    paper = write_code_paper(tmp_path / "code.pdf")

    markdown, structure = convert_pdf(converter, paper.path, tmp_path)

    fenced = re.findall(r"```[^\n]*\n(.*?)\n```", markdown, re.S)
    assert fenced == ["\n".join(paper.listing)]
    assert _flat(" ".join(paper.addresses)) in _flat(markdown)
    # The Courier word inside a sentence is no listing; the paragraphs around it stay prose.
    paragraphs = [_flat(p) for p in _paragraphs(markdown)]
    for text in paper.prose:
        assert _flat(text) in paragraphs
    heading_lines = [line.lstrip("#").strip() for line in markdown.splitlines() if line[:1] == "#"]
    assert heading_lines == paper.headings
    assert [h["text"] for h in structure["headings"]] == paper.headings


def test_an_algorithms_numbered_steps_keep_their_lines_and_indents(converter, tmp_path):
    paper = write_algorithm_paper(tmp_path / "algorithm.pdf")

    markdown, _ = convert_pdf(converter, paper.path, tmp_path)

    fenced = re.findall(r"```[^\n]*\n(.*?)\n```", markdown, re.S)
    assert fenced == ["\n".join(paper.steps)]
    # The caption stays above the steps, and the prose after them takes none of their lines.
    paragraphs = [_flat(p) for p in _paragraphs(markdown)]
    assert _flat(CAPTION) in paragraphs
    for text in paper.prose:
        assert _flat(text) in paragraphs


def test_the_frame_sits_at_the_top_numbered_level_when_subsections_share_its_style():
    # map-reduce.pdf sets "Abstract", "1 Introduction" and "2.1 Example" alike, with more
    # subsections than sections: the frame still sits beside "1 Introduction", not "2.1".
    texts = ["Abstract", "1 Introduction", "1.1 Scope", "1.2 Terms", "2 Model", "2.1 Example",
             "2.2 Types", "2.3 More", "Acknowledgements", "References"]  # fmt: skip
    lines = []
    for text in texts:
        line = _line(text, 72, 100, 80)
        line.bold, line.size, line.font = True, 12.0, "Times-Bold"
        lines.append(line)

    levels = assign_levels([(line, False) for line in lines])

    assert levels == [2, 2, 3, 3, 2, 3, 3, 3, 2, 2]


def test_a_logo_larger_than_the_title_is_no_title(converter, tmp_path):
    pdf = write_teaser_logo_paper(tmp_path / "teaser.pdf")

    markdown, structure = convert_pdf(converter, pdf, tmp_path)

    assert structure["headings"][0] == {"level": 1, "text": TITLE}
    assert markdown.startswith(f"# {TITLE}\n")
    assert LOGO in _flat(markdown)


def test_a_quotation_set_in_is_quoted_and_a_display_formula_is_not(converter, tmp_path):
    page = write_display_page(tmp_path / "display.pdf")

    markdown, _structure = convert_pdf(converter, page.path, tmp_path)

    quoted = " ".join(ln[2:] for ln in markdown.splitlines() if ln.startswith("> "))
    unquoted = " ".join(ln for ln in markdown.splitlines() if not ln.startswith(">"))
    assert " ".join(page.quotation.split()) in " ".join(quoted.split())
    for line in page.formula:
        assert line in unquoted and line not in quoted
    for paragraph in page.paragraphs:
        assert paragraph in " ".join(unquoted.split())


def test_display_formulas_are_told_from_prose():
    from workflows.research.academic_lit_review.paper_processor.conversion.layout.processors import (  # noqa: E501
        reads_as_formula,
    )

    for formula in ["Y = Θ + Γ + W, (1)", "cl(t) = exp(−klt), (4)", "LS(z) ≥ max d(z, y)"]:
        assert reads_as_formula(formula), formula
    for prose in [
        "It was a great reassurance for me, anyway, personally, a great confidence booster.",
        "We set k = 10 in all of the following experiments, as the earlier work did (2).",
        "Figure labels without a relation (1)",
    ]:
        assert not reads_as_formula(prose), prose
