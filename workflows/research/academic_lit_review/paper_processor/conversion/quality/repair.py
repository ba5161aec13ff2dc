"""Check a converted document page by page and repair the pages that need it.

The ladder, each rung only for the pages whose flags call for it, each result kept only where it
scores better than what the page had:

  (a) pdf_text: pdfium's text layer with its own word spacing, for pages whose markdown lost
      its spaces or much of its text while the text layer itself reads well;
  (b) ocr: the page rendered and read by the OCR engine, for pages with no usable text layer,
      garbled text, or a picture where text should be. Pages are rendered once and read in
      batches (tesseract reads a batch's pages in parallel processes); a page the first engine
      read poorly (another script) is read again by the next one.

  (c) marker: the pages still bad after (a) and (b) converted again by full marker, with a
      page range, where a text-layer run has a surya inference server that answers
      (`full_marker.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pypdfium2

from .full_marker import MAX_PAGES, FullMarker, FullMarkerFailed
from .ocr import OcrEngine, OcrFailed, OcrText, PageImage, cpus, render
from .pages import join_pages, open_pdf, page_facts, split_pages
from .report import (
    GARBLED_GARBAGE,
    LAYER_CONFIRMED,
    LOST_COVERAGE,
    MIN_TEXT_LAYER_WORDS,
    NEAR_EMPTY_WORDS,
    NEXT_ENGINE_BELOW,
    REPAIR_BELOW,
    PageFacts,
    PageQuality,
    QualityReport,
    Rung,
    assess_page,
    repaired_score,
)
from .signals import TextSignals, coverage, measure_text, words

_PDF_TEXT_FLAGS = {"missing_spaces"}
_OCR_FLAGS = {"no_text_layer", "garbled_text", "mostly_image"}


@dataclass
class _Page:
    index: int
    facts: PageFacts
    layer: TextSignals
    markdown: str
    md: TextSignals
    coverage: float | None
    quality: PageQuality

    @property
    def garbled_by_words_only(self) -> bool:
        """Flagged garbled for want of English words, though its characters are clean: another
        language, or a font that maps glyphs to the wrong letters."""
        return (
            "garbled_text" in self.quality.flags
            and self.layer.words >= MIN_TEXT_LAYER_WORDS
            and max(self.layer.garbage, self.md.garbage) < GARBLED_GARBAGE
        )


def check_and_repair(
    pdf_path: str,
    markdown: str,
    pages: list[int],
    *,
    ocr: Sequence[OcrEngine] = (),
    full_marker: FullMarker | None = None,
) -> tuple[str, QualityReport]:
    """The document's markdown with bad pages repaired (markers removed), and its report.

    `markdown` is marker's paginated output for `pages` (0-based indexes into the PDF);
    `ocr` the OCR engines to try in order (none: no OCR rung); `full_marker` the last rung
    (None: none).
    """
    by_page = split_pages(markdown, pages)
    rungs: list[Rung] = (
        ["pdf_text"] + (["ocr"] if ocr else []) + (["marker"] if full_marker else [])
    )
    engines = list(ocr)
    layer_confirmed: bool | None = None  # did a page image read as the text layer says?
    to_ocr: list[_Page] = []
    with open_pdf(pdf_path) as document:
        checked = [_check(document, index, by_page.get(index, "")) for index in pages]
        for page in checked:
            if page.garbled_by_words_only and layer_confirmed is None and engines:
                layer_confirmed = _image_confirms_layer(page, document, engines)
            if page.garbled_by_words_only and layer_confirmed:
                _judge_without_word_list(page)
            flags = set(page.quality.flags)
            if page.quality.score >= REPAIR_BELOW:
                continue
            lost = "low_coverage" in flags and (page.coverage or 0.0) < LOST_COVERAGE
            if flags & _PDF_TEXT_FLAGS or lost:
                _try_pdf_text(page)
            if engines and flags & _OCR_FLAGS and page.quality.repaired_by is None:
                to_ocr.append(page)
        _try_ocr(to_ocr, document, engines)
    if full_marker is not None:
        _try_full_marker(pdf_path, still_bad(checked), full_marker)
    # Text marker put under a page outside `pages` (none seen) is kept, not silently dropped.
    repaired = {**by_page, **{page.index: page.markdown for page in checked}}
    return join_pages(repaired), QualityReport([page.quality for page in checked], rungs)


def _check(document, index: int, markdown: str) -> _Page:
    """Score and flag one page; a page pdfium cannot load is judged by its markdown alone."""
    md = measure_text(markdown)

    def with_images(text_layer: str) -> bool:
        # Images decide only the flags of pages with little text (no_text_layer, mostly_image).
        return md.words < NEAR_EMPTY_WORDS or len(words(text_layer)) < MIN_TEXT_LAYER_WORDS

    try:
        facts = page_facts(document, index, with_images=with_images)
    except pypdfium2.PdfiumError:
        facts = PageFacts(text_layer=markdown, image_share=0.0)
    layer = measure_text(facts.text_layer)
    covered = coverage(facts.text_layer, markdown)
    score, flags = assess_page(facts, layer, md, covered)
    return _Page(index, facts, layer, markdown, md, covered, PageQuality(index, score, flags))


def _image_confirms_layer(page: _Page, document, engines: Sequence[OcrEngine]) -> bool:
    """Whether OCR of the page reads mostly the words its text layer holds.

    Asked once per document: a text layer that the page image confirms is a language the word
    list does not know (German, say), not glyph soup, and its pages keep marker's markdown.
    """
    image = _render(document, page.index)
    if image is None:
        return False
    for _engine, result in _readings(image, engines):
        agreement = coverage(page.facts.text_layer, result.markdown)
        if agreement is not None and agreement >= LAYER_CONFIRMED:
            return True
    return False


def _judge_without_word_list(page: _Page) -> None:
    score, flags = assess_page(page.facts, page.layer, page.md, page.coverage, words_judged=False)
    page.quality.score, page.quality.flags = score, flags


def _try_pdf_text(page: _Page) -> None:
    """Rung (a): the text layer as pdfium spaces it, where that reads better than marker's."""
    if page.layer.garbage > 0 or page.layer.words == 0:
        return
    candidate = _paragraphs_of(page.facts.text_layer)
    score = repaired_score(measure_text(candidate))
    if score > page.quality.score:
        page.markdown = candidate
        page.quality.score = score
        page.quality.repaired_by = "pdf_text"


def _try_ocr(pages: list[_Page], document, engines: list[OcrEngine]) -> None:
    """Rung (b): read the rendered pages with the first engine, and the pages it read poorly
    (under NEXT_ENGINE_BELOW: another script, say) with the next; keep each page's best
    reading where it beats what the page had.

    Pages go in batches of as many as the worker's CPUs (each rendered once, read in parallel
    where the engine can). A document is in one script: the engine that won most pages of a
    batch goes first for the next one.
    """
    batch = cpus()
    for start in range(0, len(pages), batch):
        chunk = pages[start : start + batch]
        images = {page.index: _render(document, page.index) for page in chunk}
        # marker read a page that pdfium cannot render: it stays as it is.
        todo = [page for page in chunk if images[page.index] is not None]
        winners: Counter[str] = Counter()
        for engine in list(engines):
            if not todo:
                break
            readings = engine.read_many([images[page.index] for page in todo])
            for page, result in zip(todo, readings, strict=True):
                if isinstance(result, OcrFailed):
                    continue
                score = repaired_score(measure_text(result.markdown), result.confidence)
                if result.markdown.strip() and score > page.quality.score:
                    page.markdown = result.markdown
                    page.quality.score = score
                    page.quality.repaired_by = "ocr"
                    winners[engine.name] += 1
            todo = [page for page in todo if page.quality.score < NEXT_ENGINE_BELOW]
        if winners:
            best = max(engines, key=lambda engine: winners[engine.name])
            engines.remove(best)
            engines.insert(0, best)


def still_bad(pages: Sequence[_Page]) -> list[_Page]:
    """The pages for full marker: flagged and still under REPAIR_BELOW after (a) and (b); the
    worst MAX_PAGES of them, in page order."""
    bad = [page for page in pages if page.quality.flags and page.quality.score < REPAIR_BELOW]
    worst = sorted(bad, key=lambda page: page.quality.score)[:MAX_PAGES]
    return sorted(worst, key=lambda page: page.index)


def _try_full_marker(pdf_path: str, pages: list[_Page], full_marker: FullMarker) -> None:
    """Rung (c): full marker's reading of each page, kept where it beats what the page has."""
    if not pages or not full_marker.answers():
        return
    try:
        markdown = full_marker.convert(pdf_path, [page.index for page in pages])
    except FullMarkerFailed:
        return  # the pages keep what (a) and (b) made of them
    by_page = split_pages(markdown, [page.index for page in pages])
    for page in pages:
        candidate = by_page.get(page.index, "")
        score = repaired_score(measure_text(candidate))
        if candidate.strip() and score > page.quality.score:
            page.markdown = candidate
            page.quality.score = score
            page.quality.repaired_by = "marker"


def _render(document, index: int) -> PageImage | None:
    try:
        pdf_page = document[index]
    except pypdfium2.PdfiumError:
        return None
    try:
        return render(pdf_page)
    except pypdfium2.PdfiumError:
        return None
    finally:
        pdf_page.close()


def _readings(
    image: PageImage, engines: Sequence[OcrEngine]
) -> Iterator[tuple[OcrEngine, OcrText]]:
    """Each engine's reading of the page image, in turn; an engine that fails on it is skipped."""
    for engine in engines:
        [result] = engine.read_many([image])
        if not isinstance(result, OcrFailed):
            yield engine, result


def _paragraphs_of(text_layer: str) -> str:
    """pdfium's lines joined into paragraphs at blank lines (hyphenated line ends rejoined)."""
    paragraphs, current = [], []
    for line in text_layer.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip()
        if not line:
            if current:
                paragraphs.append(current)
                current = []
            continue
        if current and current[-1].endswith("-") and line[:1].islower():
            current[-1] = current[-1][:-1] + line
        else:
            current.append(line)
    if current:
        paragraphs.append(current)
    return "\n\n".join(" ".join(lines) for lines in paragraphs)
