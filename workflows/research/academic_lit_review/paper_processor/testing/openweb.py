"""A configurable "open web" host: the open-access publisher in tests.

Each path maps to a Behaviour: a plain ASGI callable, so fault injection
(stalls, resets, lying lengths, endless bodies) is just another subclass.
"""

from __future__ import annotations

import asyncio
import html
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Behaviour(ABC):
    """How one route answers; subclass and implement the ASGI call."""

    @abstractmethod
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...


async def _start(send: Send, status: int, headers: dict[str, str]) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})


@dataclass
class Respond(Behaviour):
    """Serve a body (bytes, or a file streamed from disk in chunks)."""

    body: Path | bytes = b""
    content_type: str = "application/pdf"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # before the response headers
    chunk_delay_s: float = 0.0  # between body chunks
    chunk_size: int = 65536

    def _length(self) -> int:
        return self.body.stat().st_size if isinstance(self.body, Path) else len(self.body)

    def _chunks(self) -> Iterator[bytes]:
        if isinstance(self.body, Path):
            with self.body.open("rb") as fh:
                while chunk := fh.read(self.chunk_size):
                    yield chunk
        else:
            for i in range(0, len(self.body), self.chunk_size):
                yield self.body[i : i + self.chunk_size]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        disconnected = _DisconnectWatch(receive)
        try:
            if self.delay_s:
                await disconnected.sleep(self.delay_s)
            if disconnected.is_set():
                return
            headers = {"content-type": self.content_type, "content-length": str(self._length())}
            headers.update({k.lower(): v for k, v in self.headers.items()})
            await _start(send, self.status, headers)
            if scope.get("method") == "HEAD":
                await send({"type": "http.response.body", "body": b""})
                return
            first = True
            for chunk in self._chunks():
                if not first and self.chunk_delay_s:
                    await disconnected.sleep(self.chunk_delay_s)
                first = False
                if disconnected.is_set():
                    # The client gave up; stop rather than stream into the void.
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            disconnected.stop()


@dataclass
class Redirect(Behaviour):
    """Send a redirect to `location` (absolute or host-relative)."""

    location: str
    status: int = 302

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = html_page("Redirecting", f'<a href="{html.escape(self.location)}">moved</a>')
        await _start(
            send,
            self.status,
            {
                "location": self.location,
                "content-type": "text/html; charset=utf-8",
                "content-length": str(len(body)),
            },
        )
        await send({"type": "http.response.body", "body": body})


class _DisconnectWatch:
    """Notices http.disconnect in the background while a body streams."""

    def __init__(self, receive: Receive) -> None:
        self._event = asyncio.Event()
        self._task = asyncio.ensure_future(self._watch(receive))

    async def _watch(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self._event.set()
                return

    def is_set(self) -> bool:
        return self._event.is_set()

    async def sleep(self, seconds: float) -> None:
        """Sleep, but wake early if the client disconnects."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout=seconds)
        except TimeoutError:
            pass

    def stop(self) -> None:
        self._task.cancel()


def html_page(title: str, body_html: str) -> bytes:
    """A minimal but well-formed HTML document."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>{body_html}</body></html>\n"
    ).encode()


def challenge_page() -> bytes:
    """A Cloudflare-style "Just a moment..." interstitial (serve with 403)."""
    return b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta http-equiv="X-UA-Compatible" content="IE=Edge">
<meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15}</style>
<meta http-equiv="refresh" content="390"></head>
<body class="no-js"><div class="main-wrapper" role="main"><div class="main-content">
<noscript><div id="challenge-error-title"><div class="h2"><span class="icon-wrapper">
</span><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></div></noscript>
<h1 class="zone-name-title h1">publisher.example</h1>
<h2 class="h2" id="challenge-body-text">Verifying you are human. This may take a few seconds.</h2>
<div id="challenge-stage"></div></div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'publisher.example',cType: 'managed',
cRay: '8f1c2a3b4d5e6f70',cH: 'x',cUPMDTk: "\\/papers\\/a.pdf?__cf_chl_tk=abc",
cFPWv: 'b',cITimeS: '1700000000',md: 'x'};var cpo = document.createElement('script');
cpo.src = '/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8f1c2a3b4d5e6f70';
window._cf_chl_opt.cOgUHash = location.hash === '' && location.href.indexOf('#') !== -1 ? '#' : location.hash;
var a = document.getElementsByTagName('head')[0]; a.appendChild(cpo);}());</script>
<div class="footer" role="contentinfo"><div class="footer-inner"><div class="clearfix diagnostic-wrapper">
<div class="ray-id">Ray ID: <code>8f1c2a3b4d5e6f70</code></div></div>
<div class="text-center" id="footer-text">Performance &amp; security by Cloudflare</div></div></div>
</body></html>
"""


_NOT_FOUND = html_page("404 Not Found", "<h1>Not Found</h1><p>The requested URL was not found.</p>")


@dataclass
class RequestRecord:
    """One request as the host saw it; `finished`/`status` fill in at the end."""

    path: str
    method: str
    started: float  # time.monotonic()
    finished: float | None = None
    status: int | None = None
    concurrent_at_start: int = 1  # in-flight requests on this host, this one included
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class OpenWebHost:
    """Routes exact paths (optionally with `?query`) to behaviours; 404 otherwise."""

    def __init__(self) -> None:
        self._routes: dict[str, Behaviour] = {}
        self._lock = threading.Lock()
        self._in_flight = 0
        self.requests: list[RequestRecord] = []
        self.max_concurrency = 0
        self.app = Starlette(routes=[Route("/{path:path}", endpoint=_Dispatch(self))])

    def add(self, path: str, behaviour: Behaviour) -> None:
        """Register (or replace) the behaviour for `path`."""
        with self._lock:
            self._routes[path] = behaviour

    def remove(self, path: str) -> None:
        with self._lock:
            self._routes.pop(path, None)

    def records_for(self, path: str) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _lookup(self, path: str, query: str) -> Behaviour | None:
        with self._lock:
            if query and f"{path}?{query}" in self._routes:
                return self._routes[f"{path}?{query}"]
            return self._routes.get(path)

    def _begin(self, scope: Scope) -> RequestRecord:
        with self._lock:
            self._in_flight += 1
            self.max_concurrency = max(self.max_concurrency, self._in_flight)
            record = RequestRecord(
                path=scope["path"],
                method=scope["method"],
                started=time.monotonic(),
                concurrent_at_start=self._in_flight,
                query=scope.get("query_string", b"").decode("latin-1"),
                headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            )
            self.requests.append(record)
            return record

    def _end(self, record: RequestRecord) -> None:
        with self._lock:
            self._in_flight -= 1
            record.finished = time.monotonic()


class _Dispatch:
    """The catch-all ASGI endpoint: record, look up, delegate."""

    def __init__(self, host: OpenWebHost) -> None:
        self._host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = self._host._begin(scope)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        try:
            behaviour = self._host._lookup(scope["path"], record.query)
            if behaviour is None:
                behaviour = Respond(
                    body=_NOT_FOUND, content_type="text/html; charset=utf-8", status=404
                )
            await behaviour(scope, receive, recording_send)
        finally:
            self._host._end(record)
