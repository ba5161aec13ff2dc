"""Try a paper's open-access sources in order until one yields a validated PDF."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import anyio.to_thread
import httpx

from ..errors import SourceFailed
from ..models import Attempt, Paper
from ..store import ArtifactStore
from .download import DownloadLimits, download
from .validate import PdfInfo, classify_head, inspect_pdf


@dataclass
class Acquisition:
    """What trying a paper's sources produced: a stored PDF, or only failed attempts."""

    pdf_path: str | None = None
    pages: int | None = None
    source_url: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    seconds: float = 0.0


def candidate_urls(paper: Paper) -> list[str]:
    """The paper's open-access URLs, best first, without repeats."""
    return list(dict.fromkeys(url for url in paper.oa_urls if url))


async def fetch_validated_pdf(
    client: httpx.AsyncClient, url: str, store: ArtifactStore, *, limits: DownloadLimits
) -> tuple[Path, PdfInfo, str]:
    """Download `url` into the store's tmp area and validate it; return (tmp path, info, final URL).

    The temporary file is removed on any failure.
    """
    tmp = store.temp_path(".download")
    try:
        downloaded = await download(client, url, tmp, limits=limits)
        classify_head(downloaded.head, downloaded.content_type)
        info = await anyio.to_thread.run_sync(inspect_pdf, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, info, downloaded.url


async def acquire_open_access(
    paper: Paper,
    key: str,
    client: httpx.AsyncClient,
    store: ArtifactStore,
    *,
    limits: DownloadLimits,
    on_try: Callable[[str], None] = lambda url: None,
) -> Acquisition:
    result = Acquisition()
    started = time.perf_counter()
    for url in candidate_urls(paper):
        on_try(url)
        try:
            tmp, info, final_url = await fetch_validated_pdf(client, url, store, limits=limits)
        except SourceFailed as failed:
            result.attempts.append(
                Attempt(source="open_access", url=url, reason=failed.reason, detail=failed.detail)
            )
            continue
        stored = await store.put_pdf(
            key, tmp_path=tmp, pages=info.pages, source="open_access", source_url=final_url
        )
        result.pdf_path, result.pages, result.source_url = str(stored), info.pages, final_url
        result.attempts.append(Attempt(source="open_access", url=url))
        break
    result.seconds = time.perf_counter() - started
    return result
