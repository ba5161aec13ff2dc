"""The quality stage of a converter worker: check marker's paginated markdown, repair, report."""

from __future__ import annotations

from pathlib import Path

from .full_marker import FullMarker
from .ocr import OcrEngineName, build_engines
from .repair import check_and_repair
from .signals import english_words


class QualityChecker:
    """Built once per worker (the OCR models and the word list load here, not per document)."""

    def __init__(self, ocr_engine: OcrEngineName, *, full_marker: FullMarker | None = None) -> None:
        self._ocr = build_engines(ocr_engine)
        self._full_marker = full_marker
        english_words()

    def check(self, pdf_path: str, markdown_path: str, pages: list[int]) -> dict:
        """Rewrite `markdown_path` without page markers, bad pages repaired; the quality dict."""
        path = Path(markdown_path)
        markdown, report = check_and_repair(
            pdf_path,
            path.read_text(encoding="utf-8"),
            pages,
            ocr=self._ocr,
            full_marker=self._full_marker,
        )
        path.write_text(markdown, encoding="utf-8")
        return report.to_dict()
