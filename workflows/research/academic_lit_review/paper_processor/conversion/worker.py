"""The converter worker process: builds its converter once, then converts documents on request.

Runs in a child process (crash isolation, killable at a deadline). The parent sends `Job`s
over a pipe; the worker writes markdown to the job's output path and answers with `Done` or
`Failed`. Nothing here runs in the parent.
"""

from __future__ import annotations

import os
import signal
import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import cyclic_gc

if TYPE_CHECKING:  # imported where used: the OCR engine loads only in workers that check
    from .quality.checker import QualityChecker


@dataclass(frozen=True)
class WorkerSpec:
    """What each worker builds at start; plain data so it crosses the process boundary."""

    converter: str  # "marker" or "calibrated"
    mode: str  # "full" or "text_layer"
    font_path: str | None = None
    inference_url: str | None = None
    seconds_per_page: float = 0.0
    # marker's output is checked page by page, bad pages repaired (quality/), with this OCR.
    check_quality: bool = False
    ocr_engine: str = "off"
    # pdftext's process pool per document (marker's default: 4). 1 = in the worker itself: a
    # worker is already one of several processes; the pool's start cost the time it saved.
    pdftext_workers: int = 1
    # Text-layer mode without the work that converts no text (text_layer/): page images nothing
    # reads, image crops the worker discards, ftfy where it changes nothing. False: marker's own
    # converter, as the benchmarks' "before".
    trim_text_layer: bool = True
    # Python's cyclic collector out of the way (cyclic_gc.py): what is alive once the converter
    # is built frozen out of it, each document converted with it paused. False: its defaults.
    freeze_gc: bool = True


@dataclass(frozen=True)
class Job:
    pdf_path: str
    out_path: str
    pages: int | None = None
    page_range: tuple[int, int] | None = None  # first, last (inclusive), 0-based


@dataclass(frozen=True)
class Done:
    pages: int
    seconds: float  # converter time
    started_at: float  # wall clock (time.time()) when the converter began the document
    quality: dict | None = None  # quality.report.QualityReport.to_dict(), when checked
    quality_seconds: float = 0.0  # of `seconds`: the quality check and its repairs
    # The document's structure as the converter saw it (marker only): {"level", "text"} per
    # heading, and {"page", "reason"} per page the text-layer layout stage left as page text.
    headings: tuple[dict, ...] = ()
    fallback_pages: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Failed:
    error: str
    detail: str


class Converter(Protocol):
    def convert(self, job: Job) -> int:
        """Write markdown for `job` to `job.out_path`; return the page count converted."""


class MarkerConverter:
    """marker-pdf's PdfConverter, created once per worker."""

    def __init__(self, spec: WorkerSpec) -> None:
        if spec.font_path:
            # marker downloads a font at converter construction unless FONT_PATH names one.
            os.environ["FONT_PATH"] = spec.font_path
        if spec.inference_url:
            os.environ["SURYA_INFERENCE_URL"] = spec.inference_url
        from marker.converters.pdf import PdfConverter
        from marker.models import create_model_dict
        from marker.output import text_from_rendered

        from .layout.install import LAYOUT_CONFIG
        from .text_layer.converter import TEXT_LAYER_CONFIG, TextLayerPdfConverter

        self._text_from_rendered = text_from_rendered
        self._models = create_model_dict()
        self._text_layer = spec.mode == "text_layer"
        self._config: dict = (
            # Text layer only; without force_layout_block fast mode calls the layout server.
            # The layout stage replaces the forced block with real layout blocks.
            {"mode": "fast", "disable_ocr": True, "force_layout_block": "Text", **LAYOUT_CONFIG}
            if self._text_layer
            else {}
        )
        self._config["pdftext_workers"] = spec.pdftext_workers
        if spec.check_quality:
            self._config["paginate_output"] = True  # page markers, for the quality stage
        self._full_converter_cls = PdfConverter
        self._converter_cls = PdfConverter
        if self._text_layer and spec.trim_text_layer:
            self._config.update(TEXT_LAYER_CONFIG)
            self._converter_cls = TextLayerPdfConverter
        self._converter, self._reports = self._build(self._config)
        self.structure: dict = {}  # of the last document converted, for its Done

    def _build(self, config: dict) -> tuple[Any, list]:
        from .layout.install import install_layout_stage

        converter = self._converter_cls(artifact_dict=self._models, config=dict(config))
        reports = install_layout_stage(converter) if self._text_layer else []
        return converter, reports

    def convert(self, job: Job) -> int:
        from .layout.install import drop_page_anchors, headings_of, loosen_lists

        converter, reports = self._converter, self._reports
        if job.page_range is not None:
            first, last = job.page_range
            config = {**self._config, "page_range": list(range(first, last + 1))}
            converter, reports = self._build(config)
        reports.clear()
        rendered = converter(job.pdf_path)
        markdown, _ext, _images = self._text_from_rendered(rendered)
        if self._text_layer:
            markdown = loosen_lists(drop_page_anchors(markdown))
        Path(job.out_path).write_text(markdown, encoding="utf-8")
        fallbacks = [vars(f) for report in reports for f in report.fallbacks]
        self.structure = {
            "headings": tuple(headings_of(rendered)),
            "fallback_pages": tuple(fallbacks),
        }
        return int(converter.page_count or job.pages or 0)

    def convert_pages_in_full(self, pdf_path: str, pages: list[int]) -> str:
        """Rung (c) of the quality stage: `pages` converted by full marker (its layout and OCR
        models, served by the surya inference server), paginated; FullMarkerFailed if not."""
        from .quality.full_marker import FullMarkerFailed

        config = {"page_range": list(pages), "paginate_output": True, "force_ocr": True}
        try:
            converter = self._full_converter_cls(artifact_dict=self._models, config=config)
            markdown, _ext, _images = self._text_from_rendered(converter(pdf_path))
        except Exception as exc:  # marker, surya and the HTTP client raise many types
            raise FullMarkerFailed(f"{type(exc).__name__}: {exc}") from exc
        return markdown

    def close(self) -> None:
        from marker.models import shutdown_models

        shutdown_models(self._models)


class CalibratedConverter:
    """Holds its slot for a set time per page; measures scheduling apart from conversion speed."""

    def __init__(self, spec: WorkerSpec) -> None:
        self._seconds_per_page = spec.seconds_per_page

    def convert(self, job: Job) -> int:
        pages = job.pages or 1
        time.sleep(self._seconds_per_page * pages)
        Path(job.out_path).write_text(
            f"# {Path(job.pdf_path).name}\n\nCalibrated conversion of {pages} page(s).\n",
            encoding="utf-8",
        )
        return pages

    def close(self) -> None:
        pass


class FaultyConverter(CalibratedConverter):
    """A test double: calibrated, but it dies or hangs on documents that ask for it."""

    def convert(self, job: Job) -> int:
        import pypdfium2

        pdf = pypdfium2.PdfDocument(job.pdf_path)
        try:
            first_page = pdf[0].get_textpage().get_text_range()
        finally:
            pdf.close()
        if "CRASH-CONVERTER" in first_page:
            os._exit(70)  # like a segfault in a native library: no exception, no reply
        if "HANG-CONVERTER" in first_page:
            while True:
                time.sleep(60)
        return super().convert(job)


def build_converter(spec: WorkerSpec) -> MarkerConverter | CalibratedConverter:
    if spec.converter == "calibrated":
        return CalibratedConverter(spec)
    if spec.converter == "faulty":
        return FaultyConverter(spec)
    return MarkerConverter(spec)


def worker_main(conn: Connection) -> None:
    """Serve conversion jobs over `conn` until the parent closes it.

    The parent owns the worker's life: Ctrl-C in a terminal reaches the whole process group, but
    only the parent acts on it, and a closed channel (the parent stopped or died) ends the worker
    quietly at any point.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _serve(conn)
    except (EOFError, OSError):
        return


def _serve(conn: Connection) -> None:
    spec: WorkerSpec = conn.recv()
    try:
        converter, checker = build_worker(spec)
    except Exception as exc:  # report any start failure to the parent
        conn.send(Failed(type(exc).__name__, f"converter did not start: {exc}"))
        return
    conn.send("ready")
    try:
        while True:
            job = conn.recv()
            try:
                done = convert_document(converter, checker, job, pause_gc=spec.freeze_gc)
            except Exception as exc:  # one bad document must not end the worker
                conn.send(Failed(type(exc).__name__, _short(exc)))
            else:
                conn.send(done)
    finally:
        converter.close()


def build_worker(spec: WorkerSpec) -> tuple[Converter, QualityChecker | None]:
    """The converter and quality stage a worker holds; with `spec.freeze_gc`, what they keep
    alive is then frozen out of the cyclic collector."""
    converter = build_converter(spec)
    checker = build_checker(spec, converter)
    if spec.freeze_gc:
        cyclic_gc.freeze_long_lived()
    return converter, checker


def build_checker(spec: WorkerSpec, converter: Converter) -> QualityChecker | None:
    """The worker's quality stage (built once, beside its converter), or None where it is off.

    In text-layer mode with an inference server configured, its last rung is full marker
    (`converter.convert_pages_in_full`) for the pages still bad, when the server answers.
    """
    if not spec.check_quality:
        return None
    from .quality.checker import QualityChecker
    from .quality.full_marker import FullMarker

    full = getattr(converter, "convert_pages_in_full", None)
    full_marker = (
        FullMarker(spec.inference_url, full)
        if spec.mode == "text_layer" and spec.inference_url and full is not None
        else None
    )
    return QualityChecker(spec.ocr_engine, full_marker=full_marker)


def convert_document(
    converter: Converter, checker: QualityChecker | None, job: Job, *, pause_gc: bool = False
) -> Done:
    """Convert one document, then check (and repair) it page by page where a checker is given;
    with `pause_gc`, the cyclic collector paused meanwhile and run once after (cyclic_gc.py)."""
    started_at, started = time.time(), time.perf_counter()
    with cyclic_gc.paused() if pause_gc else nullcontext():
        pages = converter.convert(job)
        converted = time.perf_counter()
        quality = (
            checker.check(job.pdf_path, job.out_path, _pages_of(job, pages)) if checker else None
        )
    finished = time.perf_counter()
    return Done(
        pages=pages,
        seconds=finished - started,
        started_at=started_at,
        quality=quality,
        quality_seconds=finished - converted,
        **getattr(converter, "structure", {}),
    )


def _pages_of(job: Job, pages: int) -> list[int]:
    if job.page_range is not None:
        return list(range(job.page_range[0], job.page_range[1] + 1))
    return list(range(pages))


def _short(exc: BaseException) -> str:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:500]


def serve_channel(fd: int) -> None:
    """The worker process's entry point (pool._Worker.spawn): serve jobs on the socket `fd`.

    Imported, not run as `__main__`, so pickled results name this module's classes.
    """
    worker_main(Connection(fd))
