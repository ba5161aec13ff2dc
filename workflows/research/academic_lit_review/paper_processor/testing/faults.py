"""Fault behaviours for the loopback fakes: the ways real hosts and services misbehave.

Open-access host (`OpenWebHost.add(path, behaviour)`), each a raw ASGI `Behaviour`:

    Delay            wait before answering at all (then delegate)
    StallMidBody     declare the full length, send part of the body, then go silent
    ResetMidBody     send part of the body, then abort the TCP connection (RST)
    TruncatedBody    declare the full length, send part of the body, then close (FIN)
    DeclaredLength   a Content-Length that lies (smaller than the body, or beyond any cap)
    RedirectLoop     redirect to itself forever (a new query each hop, so no URL repeats)
    ErrorStatus      403/404/429/500/503..., with or without Retry-After
    FailFirst        fail the first N requests, then answer normally (retry probes)
    GzipBomb         Content-Encoding gzip (or gzip, gzip) inflating far beyond the cap
    EndlessBody      stream forever until the client hangs up (fast, or a slow drip)

plus `pdf_as_html` / `html_as_pdf` / `challenge` (lying Content-Type, bot walls).

retrieve-academic: `refused_url()` (a port where nothing listens), and the fault modes of
`RetrieveService` itself (`flap`, `throttle`, `stall`, `hold(..., serve=Behaviour)`).
`epub_bytes()` builds a real, minimal EPUB 3 (the other format a full-text service returns).

Every endless or hanging behaviour stops when the client disconnects and has a hard upper
bound, so a test that goes wrong cannot pin a CPU or keep the server from shutting down.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .openweb import (
    Behaviour,
    Receive,
    Respond,
    Scope,
    Send,
    _DisconnectWatch,
    _start,
    challenge_page,
    html_page,
)

# A hanging response gives up after this long even if the client never disconnects.
MAX_HANG_S = 120.0
PDF_PREFIX = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def _body_bytes(body: Path | bytes) -> bytes:
    return body.read_bytes() if isinstance(body, Path) else body


def _split_at(body: bytes, sent: float) -> int:
    """`sent` is a byte count, or a fraction of the body when it is a float in (0, 1)."""
    if isinstance(sent, float) and 0 < sent < 1:
        return int(len(body) * sent)
    return min(int(sent), len(body))


def find_transport(send: Send, depth: int = 12) -> asyncio.Transport | None:
    """The server transport behind an ASGI `send` (uvicorn's cycle), through any wrappers.

    Starlette and the host wrap `send` in closures; uvicorn's own `send` is a bound method of
    an object holding `.transport`. Walk closures and bound methods to find it. None if not
    found (another server), in which case behaviours fall back to pure-ASGI approximations.
    """
    seen: set[int] = set()
    todo: list[tuple[Any, int]] = [(send, 0)]
    while todo:
        obj, level = todo.pop()
        if id(obj) in seen or level > depth:
            continue
        seen.add(id(obj))
        owner = getattr(obj, "__self__", None)
        transport = getattr(owner, "transport", None)
        if isinstance(transport, asyncio.BaseTransport):
            return transport  # type: ignore[return-value]
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if callable(value):
                todo.append((value, level + 1))
    return None


class _Abort(Exception):
    """Raised by a behaviour to make the server drop the connection mid-response."""


async def _wait_for_disconnect(watch: _DisconnectWatch, limit_s: float = MAX_HANG_S) -> None:
    await watch.sleep(limit_s)


@dataclass
class Delay(Behaviour):
    """Say nothing for `seconds` (no status line, no headers), then let `then` answer."""

    seconds: float
    then: Behaviour

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watch = _DisconnectWatch(receive)
        try:
            await watch.sleep(self.seconds)
            if watch.is_set():
                return
        finally:
            watch.stop()
        await self.then(scope, receive, send)


@dataclass
class StallMidBody(Behaviour):
    """Declare the whole body's length, send the first `sent` bytes (or fraction), then hang."""

    body: Path | bytes
    sent: int | float = 0.5
    content_type: str = "application/pdf"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = _body_bytes(self.body)
        watch = _DisconnectWatch(receive)
        try:
            await _start(
                send, 200, {"content-type": self.content_type, "content-length": str(len(body))}
            )
            await send(
                {
                    "type": "http.response.body",
                    "body": body[: _split_at(body, self.sent)],
                    "more_body": True,
                }
            )
            await _wait_for_disconnect(watch)
        finally:
            watch.stop()


@dataclass
class ResetMidBody(Behaviour):
    """Send part of the body, then abort the connection with a TCP RST (SO_LINGER 0).

    Without access to the transport (not uvicorn), raise instead: the server then closes the
    connection mid-body, which a client sees as an incomplete message as well.
    """

    body: Path | bytes
    sent: int | float = 0.5
    content_type: str = "application/pdf"
    resets: int = 0  # how many times this behaviour reset a connection

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = _body_bytes(self.body)
        await _start(
            send, 200, {"content-type": self.content_type, "content-length": str(len(body))}
        )
        await send(
            {
                "type": "http.response.body",
                "body": body[: _split_at(body, self.sent)],
                "more_body": True,
            }
        )
        await asyncio.sleep(0.05)  # let the partial body reach the client first
        self.resets += 1
        transport = find_transport(send)
        if transport is None:
            raise _Abort("connection reset by fault injection")
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        await asyncio.sleep(
            0.01
        )  # let the server notice, so it does not log an unfinished response


@dataclass
class TruncatedBody(Behaviour):
    """Declare the whole body's length, send `sent` bytes (or fraction), then close cleanly (FIN)."""

    body: Path | bytes
    sent: int | float = 0.5
    content_type: str = "application/pdf"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = _body_bytes(self.body)
        await _start(
            send, 200, {"content-type": self.content_type, "content-length": str(len(body))}
        )
        await send(
            {
                "type": "http.response.body",
                "body": body[: _split_at(body, self.sent)],
                "more_body": True,
            }
        )
        await asyncio.sleep(0.05)
        transport = find_transport(send)
        if transport is not None:
            transport.close()
            await asyncio.sleep(0.01)
        # Returning without finishing the body makes uvicorn close the connection anyway.


@dataclass
class DeclaredLength(Behaviour):
    """A Content-Length that lies about `body`.

    - `declared < len(body)`: HTTP framing ends the message after `declared` bytes, so the
      client receives only that prefix as a complete response (the rest never counts). The
      server sends exactly the prefix; on the wire that is what a client would keep.
    - `declared > len(body)`: send the body, then hang until the client gives up (`then="hang"`)
      or close the connection (`then="close"`). Use a `declared` beyond the size cap to test
      that a declared length alone refuses the download.
    """

    body: Path | bytes
    declared: int
    content_type: str = "application/pdf"
    then: str = "hang"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = _body_bytes(self.body)
        watch = _DisconnectWatch(receive)
        try:
            await _start(
                send, 200, {"content-type": self.content_type, "content-length": str(self.declared)}
            )
            if self.declared <= len(body):
                await send({"type": "http.response.body", "body": body[: self.declared]})
                return
            await send({"type": "http.response.body", "body": body, "more_body": True})
            if self.then == "hang":
                await _wait_for_disconnect(watch)
            else:
                transport = find_transport(send)
                if transport is not None:
                    transport.close()
        finally:
            watch.stop()


@dataclass
class RedirectLoop(Behaviour):
    """Redirect to the same path with `?hop=N+1`: an endless chain where no URL repeats."""

    status: int = 302

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        hop = 0
        for part in query.split("&"):
            if part.startswith("hop=") and part[4:].isdigit():
                hop = int(part[4:])
        location = f"{scope['path']}?hop={hop + 1}"
        body = html_page("Moved", f'<a href="{location}">moved</a>')
        await _start(
            send,
            self.status,
            {"location": location, "content-type": "text/html", "content-length": str(len(body))},
        )
        await send({"type": "http.response.body", "body": body})


def ErrorStatus(
    status: int,
    *,
    retry_after: str | None = None,
    body: bytes | None = None,
    content_type: str = "text/html; charset=utf-8",
) -> Respond:
    """An error answer (plain HTML error page unless `body` is given), optionally with Retry-After."""
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    if body is None:
        body = html_page(
            f"{status} Error", f"<h1>Error {status}</h1><p>Please try again later.</p>"
        )
    return Respond(body=body, status=status, content_type=content_type, headers=headers)


def challenge(status: int = 403) -> Respond:
    """A Cloudflare-style bot wall ("Just a moment..."), 403 by default; 200 and 503 occur too."""
    return Respond(body=challenge_page(), status=status, content_type="text/html; charset=utf-8")


def pdf_as_html(pdf: Path | bytes) -> Respond:
    """A real PDF served with a lying `Content-Type: text/html`."""
    return Respond(body=pdf, content_type="text/html; charset=utf-8")


def html_as_pdf(title: str = "Article") -> Respond:
    """A landing page served with a lying `Content-Type: application/pdf`."""
    return Respond(
        body=html_page(title, "<p>Read the full text online.</p>"), content_type="application/pdf"
    )


@dataclass
class FailFirst(Behaviour):
    """Answer with `failing` for the first `times` requests, then with `then`."""

    times: int
    failing: Behaviour
    then: Behaviour
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self._lock:
            self.calls += 1
            call = self.calls
        behaviour = self.failing if call <= self.times else self.then
        await behaviour(scope, receive, send)


def _zeros_gzip(
    layers: int, block: int = 1 << 20
) -> tuple[Callable[[bytes], bytes], Callable[[], bytes]]:
    """Compressors stacked `layers` deep: (feed, finish) producing the outermost stream."""
    compressors = [zlib.compressobj(9, zlib.DEFLATED, 31) for _ in range(layers)]

    def feed(data: bytes) -> bytes:
        for compressor in compressors:
            data = compressor.compress(data)
        return data

    def finish() -> bytes:
        data = b""
        for compressor in compressors:
            data = compressor.compress(data) + compressor.flush()
        return data

    return feed, finish


def gzip_bomb_bytes(inflated_bytes: int, *, layers: int = 1, prefix: bytes = PDF_PREFIX) -> bytes:
    """A gzip stream (`layers` deep) of `prefix` + zeros, `inflated_bytes` long once decoded.

    Built block by block, so memory stays at the compressed size (a 1 GiB single-layer bomb
    is about 1 MB; two layers make it about 2 KB).
    """
    feed, finish = _zeros_gzip(layers)
    out = io.BytesIO()
    out.write(feed(prefix))
    remaining = inflated_bytes - len(prefix)
    zeros = bytes(1 << 20)
    while remaining > 0:
        piece = zeros if remaining >= len(zeros) else bytes(remaining)
        out.write(feed(piece))
        remaining -= len(piece)
    out.write(finish())
    return out.getvalue()


@dataclass
class GzipBomb(Behaviour):
    """`Content-Encoding: gzip` (`gzip, gzip` with layers=2): a small body inflating to a PDF
    header followed by zeros.

    Finite (`inflated_bytes` set): the compressed body is built once and served with an honest
    Content-Length, well under any cap, which shows the cap must apply to decoded bytes.
    Endless (`inflated_bytes=None`): compressed blocks are generated on the fly, chunked,
    until the client hangs up.
    """

    inflated_bytes: int | None = 256 << 20
    layers: int = 1
    content_type: str = "application/pdf"
    _cache: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Built up front (about 2.5 ms per inflated MiB), so serving never lags the request.
        if self.inflated_bytes is not None:
            self._cache = gzip_bomb_bytes(self.inflated_bytes, layers=self.layers)

    @property
    def encoding(self) -> str:
        return ", ".join(["gzip"] * self.layers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watch = _DisconnectWatch(receive)
        try:
            headers = {"content-type": self.content_type, "content-encoding": self.encoding}
            if self._cache is not None:
                body = self._cache
                await _start(send, 200, {**headers, "content-length": str(len(body))})
                for i in range(0, len(body), 65536):
                    if watch.is_set():
                        return
                    await send(
                        {
                            "type": "http.response.body",
                            "body": body[i : i + 65536],
                            "more_body": True,
                        }
                    )
                await send({"type": "http.response.body", "body": b""})
                return
            await _start(send, 200, headers)
            feed, _finish = _zeros_gzip(self.layers)
            zeros = bytes(1 << 20)
            await send({"type": "http.response.body", "body": feed(PDF_PREFIX), "more_body": True})
            loop = asyncio.get_running_loop()
            deadline = loop.time() + MAX_HANG_S
            while not watch.is_set() and loop.time() < deadline:
                chunk = feed(zeros)
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                else:
                    await asyncio.sleep(0)
        finally:
            watch.stop()


@dataclass
class EndlessBody(Behaviour):
    """Stream `prefix` then filler forever (chunked, no Content-Length) until the client leaves.

    Fast by default (runs into a size cap); with `chunk_delay_s` a slow drip that never goes
    silent long enough for a read timeout (runs into the total download deadline).
    """

    prefix: bytes = PDF_PREFIX
    chunk: bytes = b"%" + b"0" * 65535
    chunk_delay_s: float = 0.0
    content_type: str = "application/pdf"
    bytes_sent: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watch = _DisconnectWatch(receive)
        try:
            await _start(send, 200, {"content-type": self.content_type})
            await send({"type": "http.response.body", "body": self.prefix, "more_body": True})
            self.bytes_sent = len(self.prefix)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + MAX_HANG_S
            while not watch.is_set() and loop.time() < deadline:
                if self.chunk_delay_s:
                    await watch.sleep(self.chunk_delay_s)
                else:
                    await asyncio.sleep(0)
                if watch.is_set():
                    return
                await send({"type": "http.response.body", "body": self.chunk, "more_body": True})
                self.bytes_sent += len(self.chunk)
        finally:
            watch.stop()


@contextlib.contextmanager
def refused_url() -> Iterator[str]:
    """A loopback URL where nothing listens (connection refused), for "service is down".

    The port stays bound, but not listening, for the whole block, so no other server can take
    it meanwhile and every connection attempt is refused at once.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def epub_bytes(title: str = "A Book, Not a PDF") -> bytes:
    """A minimal valid EPUB 3: a zip whose first entry is the stored `mimetype`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED
        )
        z.writestr(
            "META-INF/container.xml",
            (
                '<?xml version="1.0"?><container version="1.0" '
                'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
                "</rootfiles></container>"
            ),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        z.writestr(
            "OEBPS/content.opf",
            (
                '<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" '
                'version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f'<dc:identifier id="id">urn:uuid:0</dc:identifier><dc:title>{title}</dc:title>'
                "<dc:language>en</dc:language></metadata><manifest>"
                '<item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/></manifest>'
                '<spine><itemref idref="c1"/></spine></package>'
            ),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        z.writestr(
            "OEBPS/c1.xhtml",
            (
                '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
                f"<head><title>{title}</title></head><body><h1>{title}</h1><p>Chapter one.</p>"
                "</body></html>"
            ),
            compress_type=zipfile.ZIP_DEFLATED,
        )
    return out.getvalue()
