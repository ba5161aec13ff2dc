"""A downloaded EPUB becomes the paper's full text: converted off the event loop, checked to be
the paper asked for, and written as markdown for marker to store.

The conversion (conversion/epub.py) reads the XHTML directly, in a worker thread: it needs no
model and takes milliseconds to a few seconds, so the converter workers stay free for PDFs.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread

from ..conversion.epub import EpubText, convert_epub
from ..files import discard
from ..store import ArtifactStore
from .right_paper import check_identity


@dataclass(frozen=True)
class EpubFullText:
    markdown_path: Path  # a temp file in the store until marker stores it
    book: EpubText  # metadata and per-spine-document markdown (a per-page measure's unit)
    seconds: float  # conversion time
    flag: str | None  # why the right-paper check passed it unverified, if it did

    @property
    def documents(self) -> int:
        """Spine documents: an EPUB's "pages"."""
        return len(self.book.documents)


async def read_epub_fulltext(
    path: Path,
    store: ArtifactStore,
    *,
    max_unpacked_bytes: int,
    title: str | None,
    doi: str | None,
    check_right_paper: bool,
) -> EpubFullText:
    """Convert the EPUB at `path` and check it; SourceFailed says why it cannot be used."""
    started = time.perf_counter()
    book: EpubText = await anyio.to_thread.run_sync(
        functools.partial(convert_epub, path, max_unpacked_bytes=max_unpacked_bytes)
    )
    seconds = time.perf_counter() - started
    flag = None
    if check_right_paper:
        # The package's title and identifiers, then the first chapter: the EPUB's "first page".
        flag = check_identity(book.identity_text(), title=title, doi=doi).flag
    out = store.temp_path(".md")
    try:
        await anyio.Path(out).write_text(book.markdown, encoding="utf-8")
    except BaseException:
        await discard(out)
        raise
    return EpubFullText(out, book, seconds, flag)
