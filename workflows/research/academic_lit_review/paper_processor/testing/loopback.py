"""Run an ASGI app on 127.0.0.1 with uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn

_POLL_S = 0.01


class _Running:
    """A started uvicorn server, its thread and its listening socket."""

    def __init__(self, app: Any) -> None:
        # Binding port 0 ourselves lets the OS pick a free port with no race
        # between "find a free port" and "listen on it".
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            loop="asyncio",
            # Keeps shutdown prompt when a client left a slow response behind.
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.error: BaseException | None = None
        # uvicorn runs its own event loop in this thread, so the caller's
        # thread may have a running loop of its own (pytest-asyncio).
        self.thread = threading.Thread(target=self._run, name=f"loopback-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as exc:  # SystemExit on startup failure included
            self.error = exc

    def start(self) -> None:
        self.thread.start()

    def startup_state(self) -> bool:
        """True once serving; raises if the server thread died first."""
        if self.server.started:
            return True
        if not self.thread.is_alive():
            self.sock.close()
            raise RuntimeError(f"loopback server failed to start: {self.error!r}")
        return False

    def request_stop(self) -> None:
        self.server.should_exit = True

    def force_stop(self) -> None:
        self.server.force_exit = True

    def close_socket(self) -> None:
        self.sock.close()


def _stop(running: _Running, timeout_s: float) -> None:
    running.request_stop()
    running.thread.join(timeout_s)
    if running.thread.is_alive():
        running.force_stop()
        running.thread.join(timeout_s)
    running.close_socket()


@contextlib.contextmanager
def serve_loopback(
    app: Any, *, startup_timeout_s: float = 10.0, shutdown_timeout_s: float = 3.0
) -> Iterator[str]:
    """Serve `app` on a free loopback port; yield its base URL."""
    running = _Running(app)
    running.start()
    deadline = time.monotonic() + startup_timeout_s
    try:
        while not running.startup_state():
            if time.monotonic() > deadline:
                raise TimeoutError("loopback server did not start in time")
            time.sleep(_POLL_S)
        yield running.url
    finally:
        _stop(running, shutdown_timeout_s)


@contextlib.asynccontextmanager
async def aserve_loopback(
    app: Any, *, startup_timeout_s: float = 10.0, shutdown_timeout_s: float = 3.0
) -> AsyncIterator[str]:
    """Like `serve_loopback`, but never blocks the caller's event loop."""
    running = _Running(app)
    running.start()
    deadline = time.monotonic() + startup_timeout_s
    try:
        while not running.startup_state():
            if time.monotonic() > deadline:
                raise TimeoutError("loopback server did not start in time")
            await asyncio.sleep(_POLL_S)
        yield running.url
    finally:
        await asyncio.to_thread(_stop, running, shutdown_timeout_s)
