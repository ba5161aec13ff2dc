"""Rung (c): full marker for the pages still bad after pdfium's text and OCR.

A run in text-layer mode (forced by `marker_mode`, or started while no inference server
answered) that has a surya inference server configured hands its worst pages to marker in
full mode (layout and OCR models, served by that server), with a page range, when the server
answers at the time the document is checked. The worker owns the converter; this module only
decides which pages go and whether the server answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..mode import inference_server_answers

# At most this many pages of one document go to full marker: the document shares the worker's
# conversion deadline, and a paper that is mostly bad pages is a scan OCR already read.
MAX_PAGES = 20


class FullMarkerFailed(Exception):
    """Full marker could not convert the pages (the server failed or went away)."""


class FullMarker:
    """Full-mode marker for a document's bad pages, through a surya inference server."""

    def __init__(self, inference_url: str, convert_pages: Callable[[str, list[int]], str]) -> None:
        self.inference_url = inference_url
        self._convert_pages = convert_pages

    def answers(self) -> bool:
        """Whether the server answers now (asked per document, only when pages need it)."""
        return inference_server_answers(self.inference_url)

    def convert(self, pdf_path: str, pages: Sequence[int]) -> str:
        """marker's paginated markdown of `pages`; FullMarkerFailed if it could not."""
        return self._convert_pages(pdf_path, list(pages))
