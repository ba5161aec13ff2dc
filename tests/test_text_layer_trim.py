"""Text-layer mode without the work that converts no text: the same markdown, less work.

Real marker (trimmed and marker's own converter side by side), real PDFs (generated, and the
shared corpus when present), real ftfy.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from ftfy import fix_text

from workflows.research.academic_lit_review.paper_processor.context import Context
from workflows.research.academic_lit_review.paper_processor.conversion import worker
from workflows.research.academic_lit_review.paper_processor.conversion.text_layer.provider import (
    _UNCHANGED_BY_FTFY,
    fix_text_where_needed,
)
from workflows.research.academic_lit_review.paper_processor.testing.layout_pdfs import (
    write_banners_and_tables_paper,
    write_two_column_paper,
)

from .conftest import SHARED_DATA

CORPUS_PAPER = SHARED_DATA / "papers" / "allenai+science-parse" / "P07-1088.pdf"
# What ftfy acts on, mixed with plain text: entities, mojibake, ligatures, curly quotes, widths,
# controls, line breaks of every kind, a terminal escape.
_PIECES = [
    "word", " ", "\n", "\r\n", "\r", "\t", "&amp;", "&lt;", "<", "&", "Ã©", "â€™", "ï¬", "ﬁ",
    "“", "”", "’", "ｆｕｌｌ", "\x00", "\x07", "\x1b[31m", "\x85", "\u2028", "é", "e\u0301",
    "x²", "α", "0-9", "-", ";", "§",
]  # fmt: skip


def test_ftfy_is_skipped_only_where_it_changes_nothing():
    rng = random.Random(14)
    fast = 0
    for _ in range(20_000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 8)))
        assert fix_text_where_needed(text) == fix_text(text), repr(text)
        fast += bool(_UNCHANGED_BY_FTFY.fullmatch(text))
    assert fast > 100  # the fast path was taken, and agreed with ftfy each time
    # Every printable ASCII character but "&", alone and in company.
    for code in range(0x20, 0x7F):
        text = f"a{chr(code)}b {chr(code)}"
        assert fix_text_where_needed(text) == fix_text(text), repr(text)


def test_ftfy_agrees_on_every_span_of_a_real_paper():
    if not CORPUS_PAPER.exists():
        pytest.skip(f"shared corpus not present at {CORPUS_PAPER.parent}")
    from pdftext.extraction import dictionary_output

    spans = [
        span["text"]
        for page in dictionary_output(str(CORPUS_PAPER), quote_loosebox=False)
        for block in page["blocks"]
        for line in block["lines"]
        for span in line["spans"]
    ]
    skipped = [text for text in spans if _UNCHANGED_BY_FTFY.fullmatch(text)]
    assert len(skipped) > len(spans) / 2  # most spans skip ftfy...
    assert [fix_text(text) for text in skipped] == skipped  # ...and ftfy would not touch them


@pytest.fixture(scope="module")
def converters():
    """The worker's converter, trimmed and as marker builds it, on the same models."""
    from marker.settings import settings

    font = Context().resolved_font_path()
    settings.FONT_PATH = font or settings.FONT_PATH
    made = {
        trimmed: worker.MarkerConverter(
            worker.WorkerSpec(
                converter="marker", mode="text_layer", font_path=font, trim_text_layer=trimmed
            )
        )
        for trimmed in (True, False)
    }
    yield made
    for converter in made.values():
        converter.close()


def _markdown(converter: worker.MarkerConverter, pdf: Path, out: Path) -> str:
    converter.convert(worker.Job(pdf_path=str(pdf), out_path=str(out)))
    return out.read_bytes().decode("utf-8")


@pytest.mark.marker
def test_trimmed_converter_writes_marker_s_markdown_without_page_images(converters, tmp_path):
    pdfs = [
        write_two_column_paper(tmp_path / "two-column.pdf").path,
        write_banners_and_tables_paper(tmp_path / "tables.pdf"),  # 192 dpi pages in marker
    ]
    if CORPUS_PAPER.exists():
        pdfs.append(CORPUS_PAPER)
    for pdf in pdfs:
        trimmed = _markdown(converters[True], pdf, tmp_path / "trimmed.md")
        stock = _markdown(converters[False], pdf, tmp_path / "stock.md")
        assert trimmed == stock, pdf.name
        assert converters[True].structure == converters[False].structure

        # Every page was laid out by the layout stage: nothing was left to read a page image.
        document = converters[True]._converter.build_document(str(pdf))
        assert document.pages
        images = [(page.lowres_image, page.highres_image) for page in document.pages]
        assert images == [(None, None)] * len(document.pages)
        stock_pages = converters[False]._converter.build_document(str(pdf)).pages
        assert all(p.lowres_image is not None for p in stock_pages)  # what it saved


@pytest.mark.marker
def test_pages_marker_s_line_builder_places_still_get_their_image(converters, tmp_path):
    """Without the layout stage (a page it falls back on), marker's line builder places the
    page's lines and drops those blank on the 96 dpi image: that page is rendered."""
    from marker.converters.pdf import PdfConverter

    from workflows.research.academic_lit_review.paper_processor.conversion.text_layer.converter import (  # noqa: E501
        TextLayerPdfConverter,
    )

    pdf = write_two_column_paper(tmp_path / "two-column.pdf").path
    config = {"mode": "fast", "disable_ocr": True, "force_layout_block": "Text"}
    models = converters[False]._models
    trimmed = TextLayerPdfConverter(artifact_dict=models, config=dict(config))
    stock = PdfConverter(artifact_dict=models, config=dict(config))

    document = trimmed.build_document(str(pdf))
    assert all(page.lowres_image is not None for page in document.pages)
    assert all(page.highres_image is None for page in document.pages)
    text = converters[True]._text_from_rendered
    assert text(trimmed(str(pdf)))[0] == text(stock(str(pdf)))[0]


@pytest.mark.marker
def test_trimmed_document_finds_pages_as_marker_s_does(converters, tmp_path):
    from marker.schema.document import Document

    from workflows.research.academic_lit_review.paper_processor.conversion.text_layer.document import (  # noqa: E501
        TextLayerDocument,
    )

    pdf = write_two_column_paper(tmp_path / "two-column.pdf").path
    document = converters[True]._converter.build_document(str(pdf))
    assert isinstance(document, TextLayerDocument)
    for page in document.pages:
        assert document.get_page(page.page_id) is page
        assert Document.get_page(document, page.page_id) is page  # the index marker reads
        for block_id in page.structure:
            assert document.get_block(block_id).id == block_id
    added = document.pages[0].model_copy(update={"page_id": 99})
    document.pages.append(added)
    assert document.get_page(99) is added  # a miss rebuilds the index, as marker's does
    assert document.get_page(1000) is None
