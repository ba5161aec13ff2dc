"""Converters as worker processes on this machine (conversion_backend=local).

Each worker is a fresh Python running `conversion.worker.serve_channel`, talking over a socket
pair: the parent sends `Job`s, the worker answers `Done` or `Failed` in send order. A fresh
interpreter (not multiprocessing's spawn) so the caller's `__main__` is never re-imported in the
worker, and marker's own prints cannot corrupt the channel. (concurrent.futures'
ProcessPoolExecutor cannot kill one overrunning task without breaking the whole pool, hence
processes of our own.)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import anyio.to_thread

from ..errors import ConfigurationError
from .converters import ConverterGone
from .worker import Done, Failed, Job, WorkerSpec

_WORKER_MODULE = "workflows.research.academic_lit_review.paper_processor.conversion.worker"
# Ctrl-C in a terminal goes to the whole foreground process group, and only the parent acts on
# it (it stops the workers). A worker starts with SIGINT blocked (the mask survives exec), so one
# still in Python's own startup cannot die of it with a traceback on the user's terminal; its
# first statement ignores SIGINT, which drops one pending, and unblocks it.
_WORKER_COMMAND = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); "
    f"from {_WORKER_MODULE} import serve_channel; serve_channel(int(sys.argv[1]))"
)
# The folder holding `workflows/`, so the worker imports this very copy of the package.
PROJECT_ROOT = str(Path(__file__).resolve().parents[5])


@dataclass(eq=False)
class Worker:
    process: subprocess.Popen
    conn: Connection

    def receive(self, timeout: float | None) -> object:
        """Blocking: the next message; TimeoutError, or ConverterGone if the process died first."""
        try:
            if not self.conn.poll(timeout):
                raise TimeoutError
            return self.conn.recv()
        except (EOFError, OSError) as exc:
            # EOF arrives as the process dies, a moment before it can be reaped.
            try:
                code: int | None = self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
            raise ConverterGone(f"exit code {code}") from exc

    def has_answer(self, timeout: float) -> bool:
        """Blocking: whether an answer (or EOF) is readable within `timeout` seconds."""
        try:
            return self.conn.poll(timeout)
        except (EOFError, OSError):
            return True  # `receive` says what happened


class LocalBackend:
    """Worker processes on this machine; see ConverterBackend."""

    kind = "local"
    noun = "worker"
    places_per_converter = 2

    def key(self) -> str:
        return "local"

    def connect(self) -> None:
        pass

    def launch(self, spec: WorkerSpec) -> Worker:
        parent_sock, child_sock = socket.socketpair()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [PROJECT_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
        }
        # Blocked in this thread only, for the fork: the child inherits the mask.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_COMMAND, str(child_sock.fileno())],
                pass_fds=[child_sock.fileno()],
                env=env,
                stdin=subprocess.DEVNULL,
            )
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        child_sock.close()
        conn = Connection(parent_sock.detach())
        conn.send(spec)
        return Worker(process=process, conn=conn)

    def wait_ready(self, handle: Worker, timeout_s: float) -> dict[str, Any]:
        try:
            message = handle.receive(timeout_s)
        except (TimeoutError, ConverterGone) as exc:
            raise ConfigurationError(f"converter worker did not start: {exc!r}") from exc
        if message != "ready":
            detail = message.detail if isinstance(message, Failed) else repr(message)
            raise ConfigurationError(f"converter worker did not start: {detail}")
        return {"pid": handle.process.pid}

    def send(self, handle: Worker, job: Job) -> None:
        try:
            handle.conn.send(job)
        except OSError as exc:
            raise ConverterGone("its channel is closed") from exc

    async def answered_within(self, handle: Worker, ticket: None, seconds: float) -> bool:
        return await anyio.to_thread.run_sync(handle.has_answer, seconds, abandon_on_cancel=True)

    async def receive(self, handle: Worker, ticket: None) -> Done | Failed:
        message = await anyio.to_thread.run_sync(handle.receive, None, abandon_on_cancel=True)
        assert isinstance(message, Done | Failed), message
        return message

    def stop(self, handle: Worker) -> None:
        """Ask the worker to finish (EOF on its channel), kill it if it lingers."""
        handle.conn.close()
        try:
            handle.process.wait(10)
        except subprocess.TimeoutExpired:
            handle.process.kill()
            handle.process.wait(10)

    def kill(self, handle: Worker) -> None:
        if handle.process.poll() is None:
            handle.process.kill()
        handle.process.wait(10)
        handle.conn.close()
