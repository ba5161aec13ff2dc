"""Per-page views of a conversion: the PDF's own text layer and images, and marker's markdown.

marker's `paginate_output` puts `{N}` followed by 48 dashes before page N's markdown (N is the
page's index in the whole PDF, so page ranges keep their numbers); `split_pages` cuts there and
`join_pages` writes the document back without the markers, in page order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pypdfium2
import pypdfium2.raw as pdfium_c

from .report import PageFacts

PAGE_MARKER = re.compile(r"^\{(\d+)\}-{48}$", re.MULTILINE)


def split_pages(markdown: str, pages: list[int]) -> dict[int, str]:
    """Page index -> that page's markdown; pages marker wrote nothing for map to ''."""
    found: dict[int, str] = {page: "" for page in pages}
    marks = list(PAGE_MARKER.finditer(markdown))
    if not marks:
        # Not paginated (a converter without page markers): the text belongs to no one page.
        if pages:
            found[pages[0]] = markdown
        return found
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following is not None else len(markdown)
        page = int(mark.group(1))
        found[page] = (found.get(page, "") + markdown[mark.end() : end]).strip("\n")
    return found


def join_pages(by_page: dict[int, str]) -> str:
    """The document's markdown in page order, without page markers."""
    parts = [text.strip() for _page, text in sorted(by_page.items()) if text.strip()]
    return "\n\n".join(parts) + "\n" if parts else ""


@contextmanager
def open_pdf(path: str) -> Iterator[pypdfium2.PdfDocument]:
    document = pypdfium2.PdfDocument(path)
    try:
        yield document
    finally:
        document.close()


def page_facts(
    document: pypdfium2.PdfDocument, index: int, *, with_images: Callable[[str], bool]
) -> PageFacts:
    """The page's text layer (pdfium's own word spacing) and the share its images cover.

    Walking a page's objects costs more than reading its text (a chart is thousands of
    paths), so images are measured only where `with_images(text_layer)` says they matter.
    """
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            # pdfium marks a hyphen at a line end as U+0002: it is a hyphen.
            text = textpage.get_text_range().replace("\x02", "-")
        finally:
            textpage.close()
        share = image_share(page) if with_images(text) else 0.0
        return PageFacts(text_layer=text, image_share=share)
    finally:
        page.close()


def image_share(page: pypdfium2.PdfPage) -> float:
    """Share of the page's area that its images cover (overlaps counted twice, capped at 1)."""
    width, height = page.get_size()
    area = width * height
    if area <= 0:
        return 0.0
    covered = 0.0
    # Images inside form XObjects count too (max_depth): scanners often wrap the page in one.
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        clipped_w = max(0.0, min(right, width) - max(left, 0.0))
        clipped_h = max(0.0, min(top, height) - max(bottom, 0.0))
        covered += clipped_w * clipped_h
        if covered >= area:
            return 1.0
    return covered / area
