"""OCR of PDF pages, offline: RapidOCR (PP-OCRv4 ONNX models inside its wheel) or tesseract.

An engine is built once per converter worker and reads page images that pdfium rendered once
(`render`), so a page tried with two engines is rasterised once. Both return markdown paragraphs
and a mean confidence (0-1). The render is capped so that a page the size of a wall (a
35000 x 35000 px JBIG2 scan) is read at a bounded cost instead of exhausting memory.

Threads: tesseract's OpenMP threads busy-wait for each other, and on a loaded 2-core machine
one page took 14 s with them against 5 s with one thread (`OMP_THREAD_LIMIT=1`). So each
tesseract process runs on one thread and a worker reads several pages at once in separate
processes instead (`TesseractOcr.read_many`), as many as the worker's CPUs.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import pypdfium2

from .respace import respace

if TYPE_CHECKING:
    from PIL.Image import Image

OcrEngineName = Literal["auto", "tesseract", "rapidocr", "off"]
# auto: tesseract first (measured on scans of the shared papers: far better word spacing on
# English and faster), RapidOCR for the pages tesseract reads poorly (Chinese, for one).
AUTO_ORDER: tuple[OcrEngineName, ...] = ("tesseract", "rapidocr")

RENDER_DPI = 200
MAX_RENDER_SIDE_PX = 4000
# A column gap must lie between these shares of the page width to split the page in two.
_GAP_ZONE = (0.3, 0.7)


class OcrUnavailable(Exception):
    """The configured OCR engine is not installed here."""


class OcrFailed(Exception):
    """The engine could not read one page (its own errors are translated to this one)."""


@dataclass(frozen=True)
class OcrText:
    markdown: str
    confidence: float  # mean over recognised lines or words, 0-1


class OcrEngine(Protocol):
    name: str

    def read_many(self, images: Sequence[PageImage]) -> list[OcrText | OcrFailed]:
        """Each image's reading, in order; a page the engine could not read is its OcrFailed."""
        ...


@dataclass(frozen=True)
class PageImage:
    """A page rendered for OCR (grey) and the resolution it was rendered at."""

    image: Image
    dpi: int


def render(page: pypdfium2.PdfPage) -> PageImage:
    width, height = page.get_size()
    scale = min(RENDER_DPI / 72, MAX_RENDER_SIDE_PX / max(width, height, 1.0))
    return PageImage(page.render(scale=scale, grayscale=True).to_pil(), max(1, round(scale * 72)))


def cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def engine_available(name: OcrEngineName) -> bool:
    """Whether `name` can run here (a cheap check: no model is loaded)."""
    if name == "auto":
        return any(engine_available(engine) for engine in AUTO_ORDER)
    if name == "rapidocr":
        import importlib.util

        return importlib.util.find_spec("rapidocr_onnxruntime") is not None
    if name == "tesseract":
        return shutil.which("tesseract") is not None
    return False


def build_engines(name: OcrEngineName) -> list[OcrEngine]:
    """The engines to try in order for `name` (none for "off"); OcrUnavailable if missing."""
    if name == "off":
        return []
    if name == "auto":
        available = [engine for engine in AUTO_ORDER if engine_available(engine)]
        if not available:
            raise OcrUnavailable("neither tesseract nor rapidocr-onnxruntime is installed")
        return [build_engine(engine) for engine in available]
    return [build_engine(name)]


def build_engine(name: OcrEngineName) -> OcrEngine:
    """The one engine `name` (tesseract or rapidocr); OcrUnavailable if it is not installed."""
    if not engine_available(name):
        raise OcrUnavailable(
            "rapidocr-onnxruntime is not installed (pip install rapidocr-onnxruntime)"
            if name == "rapidocr"
            else "tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng)"
        )
    return RapidOcr() if name == "rapidocr" else TesseractOcr()


@dataclass(frozen=True)
class _Line:
    left: float
    top: float
    right: float
    bottom: float
    text: str
    confidence: float


class RapidOcr:
    """RapidOCR 1.4 with its bundled PP-OCRv4 detection, orientation and recognition models."""

    name = "rapidocr"

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        # No per-line orientation classifier: pdfium renders pages upright, and the classifier
        # turned whole upright lines upside down (and so lost them) on clean pages.
        self._ocr = RapidOCR(use_cls=False)

    def read_many(self, images: Sequence[PageImage]) -> list[OcrText | OcrFailed]:
        # onnxruntime already spreads one page over the CPUs: pages go one at a time.
        results: list[OcrText | OcrFailed] = []
        for page in images:
            try:
                results.append(self.read(page))
            except OcrFailed as exc:
                results.append(exc)
        return results

    def read(self, page: PageImage) -> OcrText:
        import numpy

        image = page.image
        try:
            result, _elapsed = self._ocr(numpy.asarray(image.convert("RGB")))
        except Exception as exc:  # onnxruntime and OpenCV raise many types; one page fails
            raise OcrFailed(f"rapidocr: {exc}") from exc
        lines = [
            _Line(
                left=min(x for x, _ in box),
                top=min(y for _, y in box),
                right=max(x for x, _ in box),
                bottom=max(y for _, y in box),
                text=text.strip(),
                confidence=float(score),
            )
            for box, text, score in (result or [])
            if text.strip()
        ]
        if not lines:
            return OcrText("", 0.0)
        ordered = _reading_order(lines, image.width)
        confidence = sum(line.confidence for line in lines) / len(lines)
        return OcrText(respace(_paragraphs(ordered)), confidence)


class TesseractOcr:
    """Debian's tesseract 5 through its command line: page layout analysis, then words."""

    name = "tesseract"

    def __init__(self, language: str = "eng", *, processes: int | None = None) -> None:
        self._language = language
        self._processes = processes or cpus()
        # One OpenMP thread per process (see the module docstring), unless the user chose.
        self._env = {"OMP_THREAD_LIMIT": "1", **os.environ}

    def read_many(self, images: Sequence[PageImage]) -> list[OcrText | OcrFailed]:
        def read_or_fail(page: PageImage) -> OcrText | OcrFailed:
            try:
                return self.read(page)
            except OcrFailed as exc:
                return exc

        if len(images) <= 1 or self._processes == 1:
            return [read_or_fail(page) for page in images]
        # Threads only wait here: each page is read by its own tesseract process.
        with ThreadPoolExecutor(min(self._processes, len(images))) as pool:
            return list(pool.map(read_or_fail, images))

    def read(self, page: PageImage) -> OcrText:
        # Uncompressed grey PNM: encoding a PNG cost 0.25 s a page, a tenth of tesseract's time.
        pnm = io.BytesIO()
        page.image.save(pnm, format="PPM")
        try:
            result = subprocess.run(
                ["tesseract", "stdin", "stdout", "-l", self._language, "--dpi", str(page.dpi)]
                + ["tsv"],
                input=pnm.getvalue(),
                capture_output=True,
                check=True,
                env=self._env,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            raise OcrFailed(f"tesseract: {exc}") from exc
        paragraphs: dict[tuple[int, int], list[str]] = {}
        confidences: list[float] = []
        for row in result.stdout.decode("utf-8", "replace").splitlines()[1:]:
            cells = row.split("\t")
            if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
                continue
            paragraphs.setdefault((int(cells[2]), int(cells[3])), []).append(cells[11].strip())
            confidences.append(max(0.0, float(cells[10])) / 100)
        markdown = "\n\n".join(" ".join(words) for words in paragraphs.values())
        confidence = sum(confidences) / len(confidences) if confidences else 0.0
        return OcrText(markdown, confidence)


def _reading_order(lines: list[_Line], page_width: float) -> list[_Line]:
    """Lines top to bottom; on a two-column page, the left column before the right one.

    Lines spanning the column gap (titles, full-width figures' captions) keep their place by
    height: those above the columns come first, those below last.
    """
    gap = _column_gap(lines, page_width)
    by_top = sorted(lines, key=lambda line: (line.top, line.left))
    if gap is None:
        return by_top
    spanning = [line for line in by_top if line.left < gap < line.right]
    left = [line for line in by_top if line.right <= gap]
    right = [line for line in by_top if line.left >= gap]
    columns_top = min((line.top for line in left + right), default=0.0)
    above = [line for line in spanning if line.top < columns_top]
    below = [line for line in spanning if line.top >= columns_top]
    return above + left + right + below


def _column_gap(lines: list[_Line], page_width: float) -> float | None:
    """An x position in the middle of the page that (almost) no line crosses, if any."""
    if len(lines) < 6:
        return None
    start, end = (int(page_width * share) for share in _GAP_ZONE)
    best, best_crossing = None, len(lines)
    for x in range(start, end, max(1, (end - start) // 40)):
        crossing = sum(line.left < x < line.right for line in lines)
        if crossing < best_crossing:
            best, best_crossing = float(x), crossing
    sides = best is not None and (
        sum(line.right <= best for line in lines) >= 3
        and sum(line.left >= best for line in lines) >= 3
    )
    return best if sides and best_crossing <= 0.1 * len(lines) else None


def _paragraphs(lines: list[_Line]) -> str:
    """Join lines into paragraphs; a vertical gap larger than a line's height starts a new one."""
    paragraphs: list[list[str]] = []
    previous: _Line | None = None
    for line in lines:
        height = line.bottom - line.top
        new = (
            previous is None
            or line.top - previous.bottom > 0.8 * height
            or line.top < previous.top  # a jump back up: the next column
        )
        if new:
            paragraphs.append([line.text])
        else:
            paragraphs[-1].append(line.text)
        previous = line
    return "\n\n".join(_join_lines(texts) for texts in paragraphs)


def _join_lines(texts: list[str]) -> str:
    joined = texts[0]
    for text in texts[1:]:
        if joined.endswith("-") and text[:1].islower():
            joined = joined[:-1] + text  # a word hyphenated at the line end
        else:
            joined = f"{joined} {text}"
    return joined
