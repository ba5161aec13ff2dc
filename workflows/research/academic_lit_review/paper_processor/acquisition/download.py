"""Stream one URL to a file: redirects checked hop by hop, size capped on the bytes received."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx

from ..errors import SourceFailed
from ..http_policy import httpx_errors_as_failures
from ..models import Reason
from .epub_package import ZIP_MAGIC
from .safety import check_url
from .validate import PDF_HEADER_WINDOW, SNIFF_BYTES, is_challenge_page

CHUNK_BYTES = 64 * 1024
# Once the first bytes show a body that is neither a PDF nor a zip (an EPUB), keep at most this
# much (landing pages can be mined).
MAX_HTML_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class DownloadLimits:
    max_bytes: int
    total_timeout_s: float
    max_redirects: int
    allow_private: bool


@dataclass(frozen=True)
class Downloaded:
    path: Path
    url: str
    content_type: str | None
    size: int
    head: bytes


async def download(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    limits: DownloadLimits,
    headers: dict[str, str] | None = None,
) -> Downloaded:
    """Download `url` into `dest`; raise `SourceFailed` with a reason for any failure.

    `headers` go to the first host only: a redirect elsewhere must not carry credentials.
    """
    try:
        with httpx_errors_as_failures(url), anyio.fail_after(limits.total_timeout_s):
            return await _follow(client, httpx.URL(url), dest, limits, headers or {})
    except TimeoutError as exc:
        raise SourceFailed(
            Reason.TIMEOUT, f"download took longer than {limits.total_timeout_s:g} s"
        ) from exc


async def _follow(
    client: httpx.AsyncClient,
    url: httpx.URL,
    dest: Path,
    limits: DownloadLimits,
    headers: dict[str, str],
) -> Downloaded:
    origin = url.netloc
    for _hop in range(limits.max_redirects + 1):
        await check_url(url, allow_private=limits.allow_private)
        hop_headers = headers if url.netloc == origin else {}
        async with client.stream("GET", url, headers=hop_headers) as response:
            if response.is_redirect:
                location = response.headers.get("location")
                if not location:
                    raise SourceFailed(
                        Reason.HTTP_ERROR, f"HTTP {response.status_code} without Location"
                    )
                url = url.join(location)
                continue
            if response.status_code >= 400:
                await _raise_for_error(response, url)
            return await _save_body(response, dest, limits.max_bytes)
    raise SourceFailed(Reason.HTTP_ERROR, f"more than {limits.max_redirects} redirects")


async def _raise_for_error(response: httpx.Response, url: httpx.URL) -> None:
    # Bot walls answer 403/503 with an HTML challenge; tell them apart from plain errors.
    head = b""
    async for chunk in _decoded(response):
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    if is_challenge_page(head[:SNIFF_BYTES]):
        raise SourceFailed(
            Reason.HTML_CHALLENGE, f"HTTP {response.status_code} bot-challenge page from {url}"
        )
    retry_after = response.headers.get("retry-after")
    hint = f", Retry-After {retry_after}" if retry_after else ""
    raise SourceFailed(
        Reason.HTTP_ERROR,
        f"HTTP {response.status_code} from {url}{hint}",
        status=response.status_code,
    )


async def _save_body(response: httpx.Response, dest: Path, max_bytes: int) -> Downloaded:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise SourceFailed(Reason.TOO_LARGE, f"Content-Length {declared} exceeds {max_bytes} bytes")
    content_type = response.headers.get("content-type")
    head = b""
    size = 0
    cap = max_bytes
    async with await anyio.open_file(dest, "wb") as out:
        # Decoded in bounded steps, so the cap applies to what is really stored (a gzip bomb
        # trips it) and memory stays near one chunk, whatever Content-Length said.
        async for chunk in _decoded(response):
            size += len(chunk)
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
                if (
                    len(head) >= PDF_HEADER_WINDOW
                    and b"%PDF-" not in head[:PDF_HEADER_WINDOW]
                    and not head.startswith(ZIP_MAGIC)
                ):
                    cap = min(cap, MAX_HTML_BYTES)
            if size > cap:
                raise SourceFailed(Reason.TOO_LARGE, f"body exceeds {cap} bytes")
            await out.write(chunk)
    return Downloaded(
        path=dest, url=str(response.url), content_type=content_type, size=size, head=head
    )


class _Inflater:
    """One Content-Encoding layer (gzip or deflate), inflated at most CHUNK_BYTES per step."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        # gzip; or zlib-wrapped deflate, with raw deflate as the fallback some servers need.
        self._z = zlib.decompressobj(zlib.MAX_WBITS | (32 if self._deflate else 16))
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self._z.eof:
            try:
                out = self._z.decompress(data, CHUNK_BYTES)
            except zlib.error as exc:
                if self._deflate and not self._started:
                    self._z, self._started = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise SourceFailed(Reason.NETWORK_ERROR, f"cannot decode the body: {exc}") from exc
            self._started = True
            data = self._z.unconsumed_tail
            if out:
                yield out

    def flush(self) -> Iterator[bytes]:
        if tail := self._z.flush():
            yield tail


def _through(layers: list[_Inflater], data: bytes) -> Iterator[bytes]:
    if not layers:
        yield data
        return
    for piece in layers[0].feed(data):
        yield from _through(layers[1:], piece)


async def _decoded(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body with its Content-Encoding undone, never more than CHUNK_BYTES at a time.

    httpx's own decoding (aiter_bytes) inflates each network read in one call, with no bound:
    64 KiB of gzip become ~64 MiB at once, and stacked encodings ("gzip, gzip") turn a few KB
    into any size before a cap can be checked. So read the raw bytes and inflate them here,
    layer by layer, in bounded steps.
    """
    encodings = [
        e.strip().lower() for e in response.headers.get_list("content-encoding", split_commas=True)
    ]
    encodings = [e for e in encodings if e and e != "identity"]
    unsupported = [e for e in encodings if e not in {"gzip", "x-gzip", "deflate"}]
    if unsupported or len(encodings) > 3:
        raise SourceFailed(Reason.NOT_PDF, f"unsupported Content-Encoding {', '.join(encodings)!r}")
    layers = [_Inflater(e) for e in reversed(encodings)]  # the last applied comes off first
    async for raw in response.aiter_raw(CHUNK_BYTES):
        for piece in _through(layers, raw):
            yield piece
    for i, layer in enumerate(layers):
        for tail in layer.flush():
            for piece in _through(layers[i + 1 :], tail):
                yield piece
