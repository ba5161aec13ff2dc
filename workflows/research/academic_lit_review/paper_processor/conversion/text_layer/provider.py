"""marker's PDF provider, with ftfy run only on text it could change.

marker runs ftfy's `fix_text` on every span pdftext reads (mojibake, ligatures, curly quotes,
control characters...), most of them plain ASCII words that no step of ftfy alters: about a tenth
of a text-layer conversion. `fix_text` is the identity on printable ASCII without `&` (its HTML
unescaping) and on line feeds (tests/test_text_layer_trim.py checks it on random text and on
every span of a corpus paper), so those spans skip it; any other span goes through ftfy as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import marker.providers.pdf as marker_pdf
from ftfy import fix_text
from marker.providers.pdf import PdfProvider

# Text ftfy leaves as it is: printable ASCII but `&` (an HTML entity may start there), and "\n".
_UNCHANGED_BY_FTFY = re.compile(r"[\x20-\x25\x27-\x7e\n]*")


def fix_text_where_needed(text: str) -> str:
    """ftfy's `fix_text(text)`, without running it where it returns `text` unchanged."""
    if _UNCHANGED_BY_FTFY.fullmatch(text):
        return text
    return fix_text(text)


class TextLayerPdfProvider(PdfProvider):
    """marker's PdfProvider whose span text goes through ftfy only where ftfy could change it."""

    def pdftext_extraction(self, doc: Any) -> Any:
        with _fix_text_bound_to(fix_text_where_needed):
            return super().pdftext_extraction(doc)


@contextmanager
def _fix_text_bound_to(replacement: Any) -> Iterator[None]:
    # marker's provider calls the name `fix_text` of its own module inside one long method; the
    # name is rebound only while this provider extracts (a worker converts one document at a
    # time, in one thread), so full mode and other providers keep marker's own.
    original = marker_pdf.fix_text
    marker_pdf.fix_text = replacement
    try:
        yield
    finally:
        marker_pdf.fix_text = original
