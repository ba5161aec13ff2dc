"""Decide whether downloaded bytes are a usable PDF (or an EPUB), and say precisely why not.

EPUBs are checked and read by epub_package.py; here they are only recognised.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pypdfium2

from ..errors import SourceFailed
from ..models import DocumentFormat, Reason
from .epub_package import ZIP_MAGIC, looks_like_epub

PDF_HEADER_WINDOW = 1024  # readers accept junk before %PDF- within the first KiB
SNIFF_BYTES = 32 * 1024  # enough of an HTML page to recognise a bot wall
_PDF_MAGIC = b"%PDF-"
_HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<\?xml|<!--|<meta|<script)", re.I)
# Bot walls from Cloudflare, Akamai, DataDome, PerimeterX, hCaptcha/reCAPTCHA and publishers'
# own "unusual traffic" pages. Matched on the first kilobytes of the page, lower-cased.
_CHALLENGE_MARKERS = (
    b"just a moment...",
    b"cf-chl",
    b"challenge-platform",
    b"cf_chl_opt",
    b"attention required! | cloudflare",
    b"checking your browser",
    b"enable javascript and cookies to continue",
    b"captcha-delivery.com",
    b"px-captcha",
    b"g-recaptcha",
    b"h-captcha",
    b"are you a robot",
    b"unusual traffic",
    b"access denied</title>",
    b"request unsuccessful. incapsula",
)
# The largest page side PDF viewers accept (200 in; Acrobat's limit). Converters render pages:
# a 2^31 pt page, or even a 50 000 pt one, would need gigabytes for one bitmap.
MAX_PAGE_SIDE_PT = 14400.0
# pdfium is not thread-safe: one validation at a time per process.
_PDFIUM_LOCK = threading.Lock()


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    first_page_text: str


def is_challenge_page(head: bytes) -> bool:
    lowered = head.lower()
    return any(marker in lowered for marker in _CHALLENGE_MARKERS)


def classify_head(head: bytes, content_type: str | None) -> DocumentFormat:
    """The format the first bytes show: a PDF (header within the first KiB) or an EPUB (a zip
    whose first entry is its `mimetype`); raise for anything else, saying what it is."""
    if _PDF_MAGIC in head[:PDF_HEADER_WINDOW]:
        return "pdf"
    if looks_like_epub(head):
        return "epub"
    if head.startswith(ZIP_MAGIC):
        raise SourceFailed(
            Reason.UNSUPPORTED_FORMAT,
            "a zip archive that is not an EPUB (its first entry is not the EPUB `mimetype`)",
        )
    looks_html = bool(_HTML_START.match(head)) or (content_type or "").startswith(
        ("text/html", "application/xhtml")
    )
    if is_challenge_page(head):
        raise SourceFailed(Reason.HTML_CHALLENGE, "got a bot-challenge page instead of a PDF")
    if looks_html:
        raise SourceFailed(Reason.HTML_PAGE, "got an HTML page instead of a PDF")
    if not head:
        raise SourceFailed(Reason.NOT_PDF, "empty response body")
    raise SourceFailed(
        Reason.NOT_PDF,
        f"neither a PDF nor an EPUB: no %PDF header (content-type {content_type or 'unknown'})",
    )


def _reset_pdfium_error() -> None:
    """Set pdfium's last error to a format error, with a load that fails on one.

    pdfium reports the last error it set, and some broken files fail to load without setting
    one: after an encrypted PDF, such a file would read as needing a password.
    """
    try:
        pypdfium2.PdfDocument(b"%PDF-1.4 not a document")
    except pypdfium2.PdfiumError:
        pass


def inspect_pdf(path: Path) -> PdfInfo:
    """Open the PDF with pdfium: it must parse, not need a password, and have a page.

    Blocking; call it from a worker thread.
    """
    with _PDFIUM_LOCK:
        _reset_pdfium_error()
        try:
            pdf = pypdfium2.PdfDocument(str(path))
        except pypdfium2.PdfiumError as exc:
            message = str(exc)
            if "password" in message.lower():
                raise SourceFailed(Reason.ENCRYPTED, "PDF needs a password") from exc
            raise SourceFailed(Reason.CORRUPT_PDF, f"pdfium cannot open it: {message}") from exc
        try:
            pages = len(pdf)
            if pages < 1:
                raise SourceFailed(Reason.CORRUPT_PDF, "PDF has no pages")
            for index in range(pages):  # reads the page boxes only; cheap even for long PDFs
                try:
                    width, height = pdf.get_page_size(index)
                except pypdfium2.PdfiumError:
                    continue  # a page that does not load: the converter reports it
                if max(width, height) > MAX_PAGE_SIDE_PT:
                    raise SourceFailed(
                        Reason.TOO_LARGE,
                        f"page {index + 1} is {width:.0f} x {height:.0f} pt; the limit is"
                        f" {MAX_PAGE_SIDE_PT:.0f} pt a side",
                    )
            try:
                textpage = pdf[0].get_textpage()
                text = textpage.get_text_range()
                textpage.close()
            except pypdfium2.PdfiumError:
                text = ""
            return PdfInfo(pages=pages, first_page_text=text)
        finally:
            pdf.close()
