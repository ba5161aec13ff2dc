"""The shared corpus through the whole pipeline: real files, loopback, real marker (text layer).

Every file of `../shared/data/malformed/` and `../shared/data/papers/` is served over loopback
and run through acquisition and conversion in ONE run (two converter workers, long documents in
page ranges). The run must finish before its deadline with one outcome per file; each malformed
file is converted or fails with the specific reason listed below (observed, and checked to be
the right diagnosis); every paper converts to real text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import anyio
import pypdfium2
import pytest

from workflows.research.academic_lit_review.paper_processor.context import Context
from workflows.research.academic_lit_review.paper_processor.graph import graph
from workflows.research.academic_lit_review.paper_processor.testing.loopback import (
    serve_loopback,
)
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (
    OpenWebHost,
    Respond,
)

from .conftest import SHARED_DATA, RunRecord, run_graph

pytestmark = pytest.mark.marker

MALFORMED = SHARED_DATA / "malformed"
PAPERS = SHARED_DATA / "papers"
RUN_DEADLINE_S = 900.0
CONVERTED = ("converted", None, None)
# Images of text, no text layer: converted, the pages with the images read by OCR.
SCANNED = ("scanned", None, None)

# What each malformed file must become: (status, stage, reason). Observed with pypdfium2 5.10
# and marker-pdf 2.0.0 in text-layer mode, and checked against what the file is (MANIFEST.tsv).
EXPECTED: dict[str, tuple[str, str | None, str | None]] = {
    # Needs a user password.
    "docling-project+docling/2206.01062_pg3.pdf": ("failed", "acquire", "encrypted"),
    "py-pdf+pypdf/libreoffice-writer-password.pdf": ("failed", "acquire", "encrypted"),
    "py-pdf+pypdf/r4-aes-user-password.pdf": ("failed", "acquire", "encrypted"),
    "py-pdf+pypdf/r6-user-password.pdf": ("failed", "acquire", "encrypted"),
    # Not a PDF at all: 0 bytes, 'oops', and a '%PDFn' header (no '%PDF-' in the first KiB).
    "jsvine+pdfplumber/empty.pdf": ("failed", "acquire", "not_pdf"),
    "qpdf+qpdf/bad1.pdf": ("failed", "acquire", "not_pdf"),
    "qpdf+qpdf/issue-263.pdf": ("failed", "acquire", "not_pdf"),
    # pdfium cannot load the document: fuzzed xref/trailer, truncated, /Kids not an array,
    # RC4 key of an invalid length, header then EOF, no trailer, xref reconstruction loop,
    # deeply nested array, and a zero-page document (/Count 0, /Kids []).
    "mozilla+pdf.js/REDHAT-1531897-0.pdf": ("failed", "acquire", "corrupt_pdf"),
    "mozilla+pdf.js/bug1020226.pdf": ("failed", "acquire", "corrupt_pdf"),
    "mozilla+pdf.js/issue19484_2.pdf": ("failed", "acquire", "corrupt_pdf"),
    "mozilla+pdf.js/poppler-742-0-fuzzed.pdf": ("failed", "acquire", "corrupt_pdf"),
    "ocrmypdf+OCRmyPDF/invalid.pdf": ("failed", "acquire", "corrupt_pdf"),
    "qpdf+qpdf/bad7.pdf": ("failed", "acquire", "corrupt_pdf"),
    "qpdf+qpdf/empty.pdf": ("failed", "acquire", "corrupt_pdf"),
    "qpdf+qpdf/issue-100.pdf": ("failed", "acquire", "corrupt_pdf"),
    "qpdf+qpdf/issue-146.pdf": ("failed", "acquire", "corrupt_pdf"),
    # Page 1 loads (validation passes), page 2 of the cyclic page tree does not: marker fails
    # on it ("PdfiumError: Failed to load page"), in its worker, and the run goes on.
    "mozilla+pdf.js/Pages-tree-refs.pdf": ("failed", "convert", "conversion_failed"),
    # A page 595 x 2147483648 pt: validation refuses it before marker would try to render it.
    "mozilla+pdf.js/poppler-85140-0.pdf": ("failed", "acquire", "too_large"),
    # Broken but repairable: tolerant parsing recovers the text.
    "jsvine+pdfplumber/malformed-from-issue-932.pdf": CONVERTED,
    "mozilla+pdf.js/freeculture.pdf": CONVERTED,  # 352 pages, converted in page ranges
    "mozilla+pdf.js/poppler-67295-0.pdf": CONVERTED,  # /Count 9999999999, one real page
    "py-pdf+pypdf/r2-empty-password.pdf": CONVERTED,  # empty user password opens it
    "qpdf+qpdf/bad2.pdf": CONVERTED,
    "qpdf+qpdf/bad22.pdf": CONVERTED,
    "qpdf+qpdf/bad3.pdf": CONVERTED,
    "qpdf+qpdf/bad31.pdf": CONVERTED,
    "qpdf+qpdf/bad4.pdf": CONVERTED,
    "qpdf+qpdf/bad8.pdf": CONVERTED,
    "qpdf+qpdf/bad9.pdf": CONVERTED,
    "qpdf+qpdf/issue-149.pdf": CONVERTED,
    "qpdf+qpdf/issue-202.pdf": CONVERTED,
    "qpdf+qpdf/pages-loop.pdf": CONVERTED,
    "qpdf+qpdf/xref-errors.pdf": CONVERTED,
    # 30 pages of 8 characters each ("Potato 0"): marker drops them; the quality stage puts
    # pdfium's text back (low_coverage, repaired by pdf_text).
    "qpdf+qpdf/leading-junk.pdf": CONVERTED,
    # Images of text without a text layer: the quality stage reads them with OCR.
    "ocrmypdf+OCRmyPDF/enormous.pdf": SCANNED,  # a 9000 x 9000 px image
    "ocrmypdf+OCRmyPDF/hugemono.pdf": SCANNED,  # 35000x35000 JBIG2 image: read at 4000 px
    "py-pdf+pypdf/encrypted_doc_no_id.pdf": SCANNED,  # page 2 of 3 is a scan; 1 and 3 blank
}
SCANNED_PAPERS = {"opendatalab+MinerU/small_ocr.pdf"}  # an image-only scan among the papers


def _rel(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.pdf")) if folder.is_dir() else []


@dataclass
class CorpusRun:
    files: list[Path]
    run: RunRecord
    seconds: float
    workspace: Path

    def outcome(self, rel: str) -> dict:
        index = [_rel(f) for f in self.files].index(rel)
        return self.run.outcome(index)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory) -> CorpusRun:
    files = _files(MALFORMED) + _files(PAPERS)
    if not files:
        pytest.skip(f"shared corpus not present at {SHARED_DATA}")
    host = OpenWebHost()
    for i, path in enumerate(files):
        host.add(f"/{i}.pdf", Respond(body=path))
    workspace = tmp_path_factory.mktemp("corpus") / "workspace"
    ctx = Context(
        workspace=str(workspace),
        allow_private_hosts=True,
        source_order=["oa_urls"],
        host_min_interval_s=0,
        converter="marker",
        marker_mode="text_layer",
        # OCR of a scanned page takes seconds (the 8-page Chinese scan, a minute or more on a
        # busy 2-core machine): the deadline is per document.
        conversion_timeout_s=600,
        conversion_workers=2,
        pages_per_chunk=50,  # freeculture's 352 pages in 8 ranges: bounded time and memory each
    )
    with serve_loopback(host.app) as base:
        # No title: the right-paper check has nothing to compare, so it does not interfere.
        papers = [
            {"doi": f"10.5555/corpus.{i}", "oa_urls": [f"{base}/{i}.pdf"]}
            for i in range(len(files))
        ]

        async def run() -> RunRecord:
            with anyio.fail_after(RUN_DEADLINE_S):
                return await run_graph(graph, {"papers": papers}, context=ctx)

        started = time.monotonic()
        record = anyio.run(run)
        seconds = time.monotonic() - started
    return CorpusRun(files, record, seconds, workspace)


def test_the_corpus_run_finishes_with_one_outcome_per_file(corpus_run: CorpusRun) -> None:
    outcomes = corpus_run.run.output["outcomes"]
    assert len(outcomes) == len(corpus_run.files)
    for index, outcome in enumerate(outcomes):
        assert outcome["index"] == index
        assert "internal error" not in (outcome["message"] or ""), outcome
        terminal = [
            e
            for e in corpus_run.run.events
            if e.get("index") == index and e.get("stage") in {"converted", "failed"}
        ]
        assert len(terminal) == 1, (_rel(corpus_run.files[index]), terminal)
    assert corpus_run.seconds < RUN_DEADLINE_S
    # No partial artifact: tmp/ is empty and every stored PDF opens.
    assert list((corpus_run.workspace / "tmp").iterdir()) == []
    for pdf_path in (corpus_run.workspace / "pdf").rglob("*.pdf"):
        pdf = pypdfium2.PdfDocument(str(pdf_path))
        pdf.close()


def _malformed_params() -> list:
    params = []
    for path in _files(MALFORMED):
        rel = _rel(path)
        params.append(pytest.param(rel, id=rel))
    return params or [
        pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {MALFORMED}"))
    ]


def _paper_params() -> list:
    params = []
    for path in _files(PAPERS):
        rel = _rel(path)
        params.append(pytest.param(rel, id=rel))
    return params or [pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {PAPERS}"))]


def _assert_real_markdown(outcome: dict, *, min_words: int) -> None:
    assert outcome["status"] == "converted", outcome
    assert outcome["converter"] == "marker" and outcome["mode"] == "text_layer", outcome
    markdown = outcome["markdown"] or ""
    assert markdown.strip(), f"{outcome['key']}: converted, but the markdown is blank"
    assert Path(outcome["markdown_path"]).read_text(encoding="utf-8") == markdown
    assert len(markdown.split()) >= min_words, (len(markdown.split()), min_words)


@pytest.mark.parametrize("rel", _malformed_params())
def test_malformed_file_is_converted_or_fails_specifically(rel: str, corpus_run: CorpusRun) -> None:
    outcome = corpus_run.outcome(rel)
    status, stage, reason = EXPECTED.get(rel, (None, None, None))
    if status is None:
        # A file added to the corpus since: still no generic failure, no hang.
        assert outcome["status"] == "converted" or outcome["reason"] not in {"timeout", None}, (
            outcome
        )
        return
    if status == "converted":
        _assert_real_markdown(outcome, min_words=1)
        return
    if (status, stage, reason) == SCANNED:
        _assert_read_by_ocr(outcome)
        return
    assert (outcome["status"], outcome["stage"]) == (status, stage), outcome
    if reason is not None:
        assert outcome["reason"] == reason, outcome
    assert outcome["message"], outcome


def _assert_read_by_ocr(outcome: dict, *, min_words: int = 5) -> None:
    """Converted; every page that holds an image of text was repaired by OCR."""
    assert outcome["status"] == "converted", outcome
    assert len((outcome["markdown"] or "").split()) >= min_words, outcome["markdown"]
    pages = outcome["quality"]["pages"]
    scanned = [p for p in pages if "no_text_layer" in p["flags"]]
    assert scanned, pages
    assert all(p["repaired_by"] == "ocr" for p in scanned), pages
    assert outcome["quality"]["flags"] == [], outcome["quality"]


@pytest.mark.parametrize("rel", _paper_params())
def test_every_paper_converts(rel: str, corpus_run: CorpusRun) -> None:
    outcome = corpus_run.outcome(rel)
    if rel in SCANNED_PAPERS:
        _assert_read_by_ocr(outcome, min_words=100)
        assert all(p["repaired_by"] == "ocr" for p in outcome["quality"]["pages"])
        return
    # Real papers: at least 50 words a page on average (they carry 250-400).
    _assert_real_markdown(outcome, min_words=50 * (outcome.get("pages") or 1))
    # Text papers need no OCR; pdfium's text repairs only pages whose words marker ran together,
    # or whose text it lost almost whole (rotated table pages).
    for page in outcome["quality"]["pages"]:
        assert page["repaired_by"] in {None, "pdf_text"}, (rel, page)
        if page["repaired_by"] == "pdf_text":
            assert {"missing_spaces", "low_coverage"} & set(page["flags"]), (rel, page)
