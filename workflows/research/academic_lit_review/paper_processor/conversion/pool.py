"""A pool of converter worker processes with per-document deadlines and crash isolation.

Each worker builds its converter once and then serves many documents. A document that crashes
its worker or overruns its deadline fails alone: the worker is killed and replaced, and the
other documents go on. Workers are recycled after `max_docs_per_worker` documents to bound
leaks. (concurrent.futures' ProcessPoolExecutor cannot kill one overrunning task without
breaking the whole pool, hence this small pool.)

Shortly before a worker is expected to finish its document (from the seconds per page seen so
far), its place is offered again: the next document is chosen then and waits in the worker's
pipe, so the worker starts it the moment it finishes instead of idling through a round trip to
the event loop. A document's deadline starts when the one ahead of it is done; a document queued
behind one that killed its worker never started, and goes to another worker.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import anyio
import anyio.lowlevel
import anyio.to_thread
from anyio.abc import TaskGroup

from ..errors import ConfigurationError
from ..models import Reason
from .places import PlacePool
from .worker import Done, Failed, Job, WorkerSpec

_WORKER_MODULE = "workflows.research.academic_lit_review.paper_processor.conversion.worker"
# The worker's first statement ignores Ctrl-C, before the package is imported: a terminal sends
# it to the whole process group, only the parent acts on it (it stops the workers), and a worker
# still importing would die of it with a KeyboardInterrupt traceback on the user's terminal.
_WORKER_COMMAND = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    f"from {_WORKER_MODULE} import serve_channel; serve_channel(int(sys.argv[1]))"
)
# The folder holding `workflows/`, so the worker imports this very copy of the package.
_PROJECT_ROOT = str(Path(__file__).resolve().parents[5])
# How long before a document's expected end its worker's place is offered to the next one.
_HANDOFF_LEAD_S = 0.05


class ConversionFailed(Exception):
    """One document could not be converted; the pool itself is fine."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class _WorkerGone(Exception):
    """The worker process exited (crashed) while it held a document."""


class _Requeue(Exception):
    """The worker was retired for another document's sake before this one started."""


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    conn: Connection
    sent: int = 0
    documents: int = 0  # finished
    retired: bool = False
    # Set once the last document sent to this worker has its answer: answers come in send order.
    last_answered: anyio.Event | None = None

    @classmethod
    def spawn(cls, spec: WorkerSpec) -> _Worker:
        """Start a Python running `conversion.worker.serve_channel(FD)` and hand it the spec.

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
            [sys.executable, "-c", _WORKER_COMMAND, str(child_sock.fileno())],
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

    def has_answer(self, timeout: float) -> bool:
        """Blocking: whether an answer (or EOF) is readable within `timeout` seconds."""
        try:
            return self.conn.poll(timeout)
        except (EOFError, OSError):
            return True  # `receive` says what happened

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


class ConverterPool(PlacePool[_Worker]):
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
        super().__init__()
        self.spec = spec
        self.workers = workers
        # A worker holds at most its current document and the next: two places each.
        self.slots = 2 * workers
        self._timeout_s = timeout_s
        self._max_docs = max_docs_per_worker
        self._start_timeout_s = start_timeout_s
        # A worker's place is offered once when it starts and once per document it begins.
        self._workers: set[_Worker] = set()
        self._task_group: TaskGroup | None = None
        self._seconds_per_page: float | None = None  # moving average over finished documents
        self.worker_starts = 0
        self.requeued = 0  # documents handed to a worker that was retired before they started

    async def __aenter__(self) -> ConverterPool:
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        # Workers start in the background so model loading overlaps the first downloads.
        for _ in range(self.workers):
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
                async with anyio.create_task_group() as stopping:
                    for worker in self._workers:
                        stopping.start_soon(anyio.to_thread.run_sync, worker.stop)
                self._workers.clear()
                self._close_places()

    async def _start_worker(self) -> None:
        await anyio.lowlevel.checkpoint()  # a closing pool starts no more workers
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
        self._give_back(worker)

    async def _discard(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(worker.kill)

    def _replace(self, worker: _Worker, *, recycle: bool = False) -> None:
        """Retire a worker (killed, or stopped gracefully when recycled) and start another."""
        if worker.retired:
            return
        worker.retired = True
        assert self._task_group is not None
        self._task_group.start_soon(self._retire if recycle else self._discard, worker)
        self._task_group.start_soon(self._start_worker)

    async def _retire(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(worker.stop)

    def _takes_more(self, worker: _Worker) -> bool:
        return not worker.retired and (self._max_docs is None or worker.sent < self._max_docs)

    async def _take(self) -> _Worker:
        while True:
            worker = await super()._take()
            if self._takes_more(worker):  # else a stale place: that worker takes no more
                return worker

    async def _convert_on(
        self, worker: _Worker, job: Job, on_start: Callable[[], None] | None
    ) -> Done:
        while True:
            try:
                return await self._convert_in(worker, job, on_start)
            except _Requeue:
                self.requeued += 1
                worker = await self._take()

    def _offer_at(self, job: Job) -> float | None:
        """Seconds into `job` at which to offer its worker's place again; None: when it ends."""
        if self._seconds_per_page is None or not job.pages:
            return None
        # Enough ahead of the expected end for the next document to reach the worker's pipe.
        return self._seconds_per_page * job.pages - _HANDOFF_LEAD_S

    def _learn(self, done: Done) -> None:
        if done.pages > 0:
            rate = done.seconds / done.pages
            previous = self._seconds_per_page
            self._seconds_per_page = rate if previous is None else 0.8 * previous + 0.2 * rate

    async def _convert_in(
        self, worker: _Worker, job: Job, on_start: Callable[[], None] | None
    ) -> Done:
        ahead, answered = worker.last_answered, anyio.Event()
        worker.last_answered = answered
        worker.sent += 1
        offered = False
        try:
            try:
                worker.conn.send(job)
                sent = True
            except OSError:
                sent = False  # the worker died: the document ahead, if any, learns why
            if ahead is not None and not ahead.is_set():
                # (Not even a checkpoint when it is set: the document chosen for this place
                # starts in the same event-loop turn, before any later arrival is seen.)
                await ahead.wait()
            if not sent:
                self._replace(worker)
            if worker.retired:
                raise _Requeue
            if on_start is not None:
                on_start()
            offer_at = self._offer_at(job)
            with anyio.fail_after(self._timeout_s):
                if offer_at is not None and (
                    offer_at <= 0
                    or not await anyio.to_thread.run_sync(
                        worker.has_answer, offer_at, abandon_on_cancel=True
                    )
                ):
                    self._give_back(worker)
                    offered = True
                message = await anyio.to_thread.run_sync(
                    worker.receive, None, abandon_on_cancel=True
                )
        except _Requeue:
            raise
        except TimeoutError as exc:
            self._replace(worker)
            raise ConversionFailed(
                Reason.CONVERSION_TIMEOUT, f"no result within {self._timeout_s:g} s; worker killed"
            ) from exc
        except _WorkerGone as exc:
            if worker.retired:  # killed for another document's sake (a cancelled one)
                raise _Requeue from exc
            self._replace(worker)
            raise ConversionFailed(
                Reason.CONVERSION_FAILED, f"converter worker crashed ({exc})"
            ) from exc
        except BaseException:
            self._replace(worker)
            raise
        finally:
            answered.set()
        worker.documents += 1
        if self._max_docs is not None and worker.documents >= self._max_docs:
            self._replace(worker, recycle=True)
        elif not offered:
            self._give_back(worker)
        if isinstance(message, Failed):
            raise ConversionFailed(Reason.CONVERSION_FAILED, f"{message.error}: {message.detail}")
        assert isinstance(message, Done)
        self._learn(message)
        return message
