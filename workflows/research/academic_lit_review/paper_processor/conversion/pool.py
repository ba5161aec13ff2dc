"""A run's converter pool: places, per-document deadlines and one crash policy, for both backends.

The converters themselves belong to the process (`stock.py`: started once, shared by the runs,
replaced, closed when idle); a run leases `workers` of them for its life. What is the run's own
is here: the places the marker node reserves before it picks its most relevant waiting paper,
each document's deadline, and what happens to a document whose converter dies.

- **Deadline**: a document with no answer within `timeout_s` fails with `conversion_timeout`;
  its converter is killed and replaced. A timeout is not retried: the deadline is the deadline.
- **Crash policy (both backends)**: a converter that dies while it holds a document (a native
  crash, an OOM kill, `ray.kill`, a lost node) is replaced, and the document is tried ONCE more on
  another converter; if that one dies too, the document fails with `conversion_failed`. Why
  retry: most converter deaths here are not the document's doing (the OOM killer picks the
  largest process, a node goes away, an operator kills a stuck worker), and the second try costs
  one converter start; a document that really kills converters still fails alone, after two.
  A Python exception inside the converter is the document's own failure: not retried.
- **Pipelining (local)**: shortly before a worker is expected to finish its document (from the
  seconds per page seen so far) its place is offered again, so the next document waits in its
  pipe and it never idles through a round trip. A document's deadline starts when the one ahead
  of it is done; a document queued behind one that killed its worker never started, and goes to
  another worker without counting as a try.
- **Recycling**: converters are replaced after `max_docs_per_worker` documents (leaks).
- **Sharing**: when another run waits with fewer converters, a converter whose document ended
  with none queued behind it goes to that run (`Lease.should_yield`), and this run asks for one
  back; so does a converter with no document when that run starts waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup

from ..errors import ConfigurationError
from ..models import Reason
from .converters import Converter, ConverterBackend, ConverterGone
from .places import OnStart, PlacePool
from .stock import ConverterStock, Lease
from .worker import Done, Failed, Job, WorkerSpec

# How long before a document's expected end its converter's place is offered to the next one.
_HANDOFF_LEAD_S = 0.05
# Tries per document when its converter dies under it (see the crash policy above).
_TRIES_ON_CRASH = 2


class ConversionFailed(Exception):
    """One document could not be converted; the pool itself is fine."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class _Requeue(Exception):
    """The converter was retired for another document's sake before this one started."""


class _Crashed(Exception):
    """The converter died while it held this document."""


@dataclass(eq=False)
class _Held:
    """A converter while this run holds it."""

    converter: Converter
    retired: bool = False  # replaced, or handed to another run: takes no more of this run's
    # Set once the last document sent to it has its answer: answers come in send order.
    last_answered: anyio.Event | None = None


class ConverterPool(PlacePool[_Held]):
    """`async with ConverterPool(backend, spec, workers=k, ...) as pool: await pool.convert(job)`.

    Without `stock` the pool has converters of its own, stopped when it closes.
    """

    def __init__(
        self,
        backend: ConverterBackend,
        spec: WorkerSpec,
        *,
        workers: int,
        timeout_s: float,
        max_docs_per_worker: int | None = None,
        start_timeout_s: float = 180.0,
        stock: ConverterStock | None = None,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.workers = workers
        self.slots = backend.places_per_converter * workers
        self._timeout_s = timeout_s
        self._max_docs = max_docs_per_worker
        self._own_stock = stock is None
        self._stock = stock or ConverterStock(backend, spec, start_timeout_s=start_timeout_s)
        self.backend = self._stock.backend  # the one its converters were launched by
        self._starts_before = self._stock.starts
        self._lease: Lease | None = None
        self._held: set[_Held] = set()
        self._task_group: TaskGroup | None = None
        self._wanted: anyio.Event | None = None  # set when another run waits for a converter
        self._seconds_per_page: float | None = None  # moving average over finished documents
        self.requeued = 0  # documents handed to a converter retired before they started
        self.retried = 0  # documents tried again after their converter died
        self.in_flight = 0  # documents sent to a converter and not yet answered
        self.peak_in_flight = 0

    @property
    def worker_starts(self) -> int:
        """Converters started since this pool opened (by the stock, for any run using it)."""
        return self._stock.starts - self._starts_before

    @property
    def converter_info(self) -> list[dict]:
        """What each converter of the stock said when it was ready (pid, Ray actor name...)."""
        return list(self._stock.infos)

    async def __aenter__(self) -> ConverterPool:
        # Connecting (Ray) blocks: never on the event loop.
        await anyio.to_thread.run_sync(self.backend.connect)
        self._lease = self._stock.lease(self.workers, hungry=self._hungry)
        self._wanted = anyio.Event()
        self._lease.when_wanted(lambda: self._wanted.set())  # on this loop, outside any task
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        self._task_group.start_soon(self._hand_over_when_wanted)
        # Converters are asked for now (started, when the stock has none warm, in the
        # background), so their start overlaps the run's first downloads.
        for _ in range(self.workers):
            self._task_group.start_soon(self._acquire)
        return self

    async def __aexit__(self, *exc_info: object) -> bool | None:
        assert self._task_group is not None and self._lease is not None
        self._task_group.cancel_scope.cancel()
        try:
            return await self._task_group.__aexit__(*exc_info)
        except BaseExceptionGroup as group:
            # A converter that cannot start is a configuration problem: say so plainly.
            config_errors = group.subgroup(ConfigurationError)
            if config_errors is not None:
                raise config_errors.exceptions[0] from None
            raise
        finally:
            # Every document of this run has its answer by now (a cancelled one retired its
            # converter): the converters this run still holds are healthy and go back warm.
            for held in self._held:
                self._lease.give(held.converter)
            self._held.clear()
            self._lease.close()
            self._close_places()
            if self._own_stock:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._stock.close)

    def _hungry(self) -> bool:
        """Whether this run could use another converter now: no place of its waits for a paper."""
        return self.places_unused() == 0

    async def _acquire(self) -> None:
        assert self._lease is not None
        held = _Held(await self._lease.take())
        self._held.add(held)
        self._offer(held)

    def _offer(self, held: _Held) -> None:
        if self._takes_more(held):
            self._give_back(held)

    def _takes_more(self, held: _Held) -> bool:
        converter = held.converter
        return not held.retired and (self._max_docs is None or converter.sent < self._max_docs)

    def _retire(self, held: _Held, *, kill: bool) -> None:
        """This run is done with the converter: replaced (killed or stopped gracefully)."""
        if held.retired:
            return
        held.retired = True
        self._held.discard(held)
        assert self._lease is not None and self._task_group is not None
        self._lease.replace(held.converter, kill=kill)
        self._task_group.start_soon(self._acquire)

    def _hand_over(self, held: _Held) -> None:
        """To a run that waits with fewer converters; this run asks for one back."""
        held.retired = True
        self._held.discard(held)
        assert self._lease is not None and self._task_group is not None
        self._lease.give(held.converter)
        self._task_group.start_soon(self._acquire)

    async def _hand_over_when_wanted(self) -> None:
        """When another run waits for a converter, hand it one of ours that has no document.

        Handing over only as a document ends is not enough: this run may wait for papers that
        the waiting run holds the leases of, with its converter idle meanwhile.
        """
        assert self._lease is not None
        while True:
            await self._wanted.wait()
            self._wanted = anyio.Event()
            for held in list(self._held):
                idle = held.last_answered is None or held.last_answered.is_set()
                if idle and not held.retired and self._lease.should_yield():
                    self._hand_over(held)
                    break

    async def _take(self) -> _Held:
        while True:
            held = await super()._take()
            if self._takes_more(held):  # else a stale place: that converter takes no more
                return held

    async def _convert_on(self, held: _Held, job: Job, on_start: OnStart) -> Done:
        tries = 0
        started = False

        def start_once() -> None:
            nonlocal started
            if not started and on_start is not None:
                on_start()
            started = True

        while True:
            if held.retired:  # its place was reserved before it left this run
                held = await self._take()
                continue
            try:
                return await self._convert_in(held, job, start_once)
            except _Requeue:
                self.requeued += 1
            except _Crashed as exc:
                tries += 1
                if tries >= _TRIES_ON_CRASH:
                    raise ConversionFailed(
                        Reason.CONVERSION_FAILED,
                        f"converter {self.backend.noun} crashed twice on this document ({exc})",
                    ) from exc
                self.retried += 1
            held = await self._take()

    def _offer_at(self, job: Job) -> float | None:
        """Seconds into `job` at which to offer its converter's place again; None: at its end."""
        if self.backend.places_per_converter < 2 or self._seconds_per_page is None:
            return None
        if not job.pages:
            return None
        # Enough ahead of the expected end for the next document to reach the worker's pipe.
        return self._seconds_per_page * job.pages - _HANDOFF_LEAD_S

    def _learn(self, done: Done) -> None:
        if done.pages > 0:
            rate = done.seconds / done.pages
            previous = self._seconds_per_page
            self._seconds_per_page = rate if previous is None else 0.8 * previous + 0.2 * rate

    async def _convert_in(self, held: _Held, job: Job, on_start: Callable[[], None]) -> Done:
        converter = held.converter
        ahead, answered = held.last_answered, anyio.Event()
        held.last_answered = answered
        converter.sent += 1
        offered = False
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            try:
                ticket = self.backend.send(converter.handle, job)
                sent = True
            except ConverterGone:
                ticket, sent = None, False  # the document ahead, if any, learns why
            if ahead is not None and not ahead.is_set():
                # (Not even a checkpoint when it is set: the document chosen for this place
                # starts in the same event-loop turn, before any later arrival is seen.)
                await ahead.wait()
            if not sent:
                self._retire(held, kill=True)
            if held.retired:  # never started: not a try
                raise _Requeue
            on_start()
            # Offered early unless another run waits for a converter: then this one leaves
            # the run with nothing queued behind the document (see _hand_over below).
            assert self._lease is not None
            offer_at = None if self._lease.should_yield() else self._offer_at(job)
            with anyio.fail_after(self._timeout_s):
                if offer_at is not None and (
                    offer_at <= 0
                    or not await self.backend.answered_within(converter.handle, ticket, offer_at)
                ):
                    self._offer(held)
                    offered = True
                message = await self.backend.receive(converter.handle, ticket)
        except (_Requeue, _Crashed):
            raise
        except TimeoutError as exc:
            self._retire(held, kill=True)
            raise ConversionFailed(
                Reason.CONVERSION_TIMEOUT,
                f"no result within {self._timeout_s:g} s; {self.backend.noun} killed",
            ) from exc
        except ConverterGone as exc:
            if held.retired:  # killed for another document's sake (a cancelled one)
                raise _Requeue from exc
            self._retire(held, kill=True)
            raise _Crashed(str(exc)) from exc
        except BaseException:
            self._retire(held, kill=True)  # cancelled: the converter may still be busy with it
            raise
        finally:
            answered.set()
            self.in_flight -= 1
        converter.documents += 1
        if self._max_docs is not None and converter.documents >= self._max_docs:
            self._retire(held, kill=False)
        elif held.last_answered is answered and self._lease.should_yield():
            self._hand_over(held)  # nothing queued behind it: another run's turn
        elif not offered:
            self._offer(held)
        if isinstance(message, Failed):
            raise ConversionFailed(Reason.CONVERSION_FAILED, f"{message.error}: {message.detail}")
        self._learn(message)
        return message
