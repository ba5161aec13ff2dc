"""A pool of converter worker processes with per-document deadlines and crash isolation.

Each worker builds its converter once and then serves many documents. A document that crashes
its worker or overruns its deadline fails alone: the worker is killed and replaced, and the
other documents go on. Workers are recycled after `max_docs_per_worker` documents to bound
leaks. (concurrent.futures' ProcessPoolExecutor cannot kill one overrunning task without
breaking the whole pool, hence this small pool.)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..errors import ConfigurationError
from ..models import Reason
from .worker import Done, Failed, Job, WorkerSpec

_WORKER_MODULE = "workflows.research.academic_lit_review.paper_processor.conversion.worker"
# The folder holding `workflows/`, so the worker imports this very copy of the package.
_PROJECT_ROOT = str(Path(__file__).resolve().parents[5])


class ConversionFailed(Exception):
    """One document could not be converted; the pool itself is fine."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class _WorkerGone(Exception):
    """The worker process exited (crashed) while it held a document."""


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    conn: Connection
    documents: int = 0

    @classmethod
    def spawn(cls, spec: WorkerSpec) -> _Worker:
        """Start `python -m ...conversion.worker FD` and hand it the spec.

        A fresh interpreter (not multiprocessing's spawn) so the caller's `__main__` is never
        re-imported in the worker, and marker's own prints cannot corrupt the channel.
        """
        parent_sock, child_sock = socket.socketpair()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [_PROJECT_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", _WORKER_MODULE, str(child_sock.fileno())],
            pass_fds=[child_sock.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
        )
        child_sock.close()
        conn = Connection(parent_sock.detach())
        conn.send(spec)
        return cls(process=process, conn=conn)

    def receive(self, timeout: float | None) -> object:
        """Blocking: the next message, or _WorkerGone if the process died first."""
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
            raise _WorkerGone(f"exit code {code}") from exc

    def kill(self) -> None:
        """Blocking: stop the process now and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.conn.close()

    def stop(self) -> None:
        """Blocking: ask the worker to finish (EOF on its channel), kill it if it lingers."""
        self.conn.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


class ConverterPool:
    """`async with ConverterPool(spec, workers=k, ...) as pool: await pool.convert(job)`."""

    def __init__(
        self,
        spec: WorkerSpec,
        *,
        workers: int,
        timeout_s: float,
        max_docs_per_worker: int | None = None,
        start_timeout_s: float = 180.0,
    ) -> None:
        self.spec = spec
        self.slots = workers
        self._timeout_s = timeout_s
        self._max_docs = max_docs_per_worker
        self._start_timeout_s = start_timeout_s
        self._idle_send: MemoryObjectSendStream[_Worker]
        self._idle_receive: MemoryObjectReceiveStream[_Worker]
        self._idle_send, self._idle_receive = anyio.create_memory_object_stream[_Worker](workers)
        self._workers: set[_Worker] = set()
        self._task_group: TaskGroup | None = None
        self.worker_starts = 0

    async def __aenter__(self) -> ConverterPool:
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        # Workers start in the background so model loading overlaps the first downloads.
        for _ in range(self.slots):
            self._task_group.start_soon(self._start_worker)
        return self

    async def __aexit__(self, *exc_info: object) -> bool | None:
        assert self._task_group is not None
        self._task_group.cancel_scope.cancel()
        try:
            return await self._task_group.__aexit__(*exc_info)
        except BaseExceptionGroup as group:
            # A worker that cannot start is a configuration problem: say so plainly.
            config_errors = group.subgroup(ConfigurationError)
            if config_errors is not None:
                raise config_errors.exceptions[0] from None
            raise
        finally:
            # Only now: a worker started while the pool was closing is registered by then.
            with anyio.CancelScope(shield=True):
                for worker in list(self._workers):
                    await anyio.to_thread.run_sync(worker.stop)
                self._workers.clear()
                self._idle_send.close()
                self._idle_receive.close()

    async def _start_worker(self) -> None:
        with anyio.CancelScope(shield=True):  # a spawned process is always registered
            worker = await anyio.to_thread.run_sync(_Worker.spawn, self.spec)
            self._workers.add(worker)
        self.worker_starts += 1
        try:
            message = await anyio.to_thread.run_sync(
                worker.receive, self._start_timeout_s, abandon_on_cancel=True
            )
        except (TimeoutError, _WorkerGone) as exc:
            await self._discard(worker)
            raise ConfigurationError(f"converter worker did not start: {exc!r}") from exc
        if message != "ready":
            await self._discard(worker)
            detail = message.detail if isinstance(message, Failed) else repr(message)
            raise ConfigurationError(f"converter worker did not start: {detail}")
        await self._idle_send.send(worker)

    async def _discard(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(worker.kill)

    def _replace(self, worker: _Worker, *, recycle: bool = False) -> None:
        """Retire a worker (killed, or stopped gracefully when recycled) and start another."""
        assert self._task_group is not None
        self._task_group.start_soon(self._retire if recycle else self._discard, worker)
        self._task_group.start_soon(self._start_worker)

    async def _retire(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(worker.stop)

    async def convert(self, job: Job) -> Done:
        """Convert one document in the next free worker; raise ConversionFailed for this document."""
        worker = await self._idle_receive.receive()
        try:
            worker.conn.send(job)
            with anyio.fail_after(self._timeout_s):
                message = await anyio.to_thread.run_sync(
                    worker.receive, None, abandon_on_cancel=True
                )
        except TimeoutError as exc:
            self._replace(worker)
            raise ConversionFailed(
                Reason.CONVERSION_TIMEOUT, f"no result within {self._timeout_s:g} s; worker killed"
            ) from exc
        except _WorkerGone as exc:
            self._replace(worker)
            raise ConversionFailed(
                Reason.CONVERSION_FAILED, f"converter worker crashed ({exc})"
            ) from exc
        except BaseException:
            self._replace(worker)
            raise
        worker.documents += 1
        if self._max_docs is not None and worker.documents >= self._max_docs:
            self._replace(worker, recycle=True)
        else:
            self._idle_send.send_nowait(worker)
        if isinstance(message, Failed):
            raise ConversionFailed(Reason.CONVERSION_FAILED, f"{message.error}: {message.detail}")
        assert isinstance(message, Done)
        return message
