"""Converters that outlive a run: started once per process, shared by its runs, closed when idle.

Starting a marker converter costs seconds (importing marker, building its models); a LangGraph
server, `langgraph dev` or a program that invokes the graph more than once should pay that once.
So converters belong to the process, not to a run: a `ConverterStock` per kind of converter
(backend and spec) starts them, lends them to runs (`Lease`), replaces the ones that die, and
stops them after `idle_s` without a run, or at interpreter exit (`close_all`).

Runs may use different event loops (two `asyncio.run` calls) or share one (a server), so the
stock knows no event loop: its state sits behind a lock, converters start and stop in threads of
its own, and a run waiting for a converter is woken on its own loop
(`loop.call_soon_threadsafe`). What is bound to a run — places, deadlines, relevance order, the
crash policy — stays in the run's `ConverterPool` (pool.py).

Fair sharing: the stock holds at most `size` converters (the largest `workers` any open lease
asked for). A run waiting for one is served before runs that hold more, and a run that holds
more than a waiting run, which has a paper for it, hands one over when its current document
ends (`Lease.should_yield`); so one run's backlog never starves another's first paper.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError
from .converters import Converter, ConverterBackend
from .worker import WorkerSpec

# How long close() waits for converters being started or stopped to be gone.
_CLOSE_WAIT_S = 15.0


@dataclass(eq=False)
class _Request:
    lease: Lease
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Converter]


class ConverterStock:
    """The converters of one backend and spec in this process (thread-safe)."""

    def __init__(
        self,
        backend: ConverterBackend,
        spec: WorkerSpec,
        *,
        start_timeout_s: float = 180.0,
        idle_s: float | None = None,
    ) -> None:
        self.backend = backend
        self.spec = spec
        self.start_timeout_s = start_timeout_s
        self.idle_s = idle_s  # None: kept until close()
        self.starts = 0  # converters launched, over the stock's life
        self.infos: list[dict[str, Any]] = []  # what each converter said when ready
        self._lock = threading.Lock()
        self._size = 0
        self._idle: list[Converter] = []
        self._starting: dict[int, Any] = {}  # start number -> handle (None until launched)
        self._held: dict[Lease, int] = {}
        self._requests: list[_Request] = []
        self._failure: ConfigurationError | None = None
        self._closed = False
        self._idle_timer: threading.Timer | None = None
        self._threads: set[threading.Thread] = set()

    # -- what leases use --------------------------------------------------------------------------

    def lease(self, want: int, *, hungry: Callable[[], bool] = lambda: True) -> Lease:
        """A run's share of the stock; `hungry()` says whether the run has a paper waiting."""
        lease = Lease(self, want, hungry)
        with self._lock:
            if self._closed:
                raise RuntimeError("the converter stock is closed")
            self._held[lease] = 0
            self._failure = None  # a new run tries again
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            self._size = max(want for want in (lease.want for lease in self._held))
            self._fill()
        return lease

    def _ask(self, request: _Request) -> None:
        with self._lock:
            if self._failure is not None:
                request.future.set_exception(self._failure)
                return
            self._requests.append(request)
            grants = self._grant()
            self._fill()
            waiting = request in self._requests and self._live() >= self._size
            mine = self._held[request.lease]
            richer = [other for other, n in self._held.items() if n > mine] if waiting else []
        self._dispatch(grants)
        # No converter to start or grant: runs holding more may hold one that has no document
        # (they wait for papers, perhaps for the ones this run is converting). Ask them.
        for other in richer:
            other.wanted()

    def _withdraw(self, request: _Request) -> None:
        with self._lock:
            if request in self._requests:
                self._requests.remove(request)

    def _give(self, lease: Lease, converter: Converter) -> None:
        with self._lock:
            self._release(lease)
            if self._closed or self._live() >= self._size:  # surplus: a smaller stock now
                stop = True
            else:
                stop = False
                self._idle.append(converter)
            grants = self._grant()
        if stop:
            self._in_thread(self.backend.stop, converter.handle)
        self._dispatch(grants)

    def _replace(self, lease: Lease, converter: Converter, *, kill: bool) -> None:
        with self._lock:
            self._release(lease)
            self._fill()
        self._in_thread(self.backend.kill if kill else self.backend.stop, converter.handle)

    def _release(self, lease: Lease) -> None:
        # A converter granted as its run closed its lease comes back after the count went.
        if lease in self._held:
            self._held[lease] -= 1

    def _should_yield(self, lease: Lease) -> bool:
        with self._lock:
            mine = self._held.get(lease, 0)
            return any(
                r.lease is not lease and r.lease.hungry() and self._held[r.lease] < mine
                for r in self._requests
            )

    def _close_lease(self, lease: Lease) -> None:
        with self._lock:
            for request in [r for r in self._requests if r.lease is lease]:
                self._requests.remove(request)
            self._held.pop(lease, None)
            if self._held:
                self._size = max(other.want for other in self._held)
            if self._held or self._closed:
                return
            if self.idle_s is not None:
                self._idle_timer = threading.Timer(self.idle_s, self._expire)
                self._idle_timer.daemon = True
                self._idle_timer.start()

    # -- starting, granting, stopping (called with the lock held, except where said) -------------

    def _live(self) -> int:
        return len(self._idle) + sum(self._held.values()) + len(self._starting)

    def _fill(self) -> None:
        """Start converters up to the stock's size while runs use it."""
        if self._closed or self._failure is not None or not self._held:
            return
        for _ in range(self._size - self._live()):
            number = self.starts
            self.starts += 1
            self._starting[number] = None
            thread = threading.Thread(
                target=self._start, args=(number,), name=f"converter-start-{number}", daemon=True
            )
            self._threads.add(thread)
            thread.start()

    def _start(self, number: int) -> None:
        """In a thread of its own: launch a converter, wait until it is built, hand it out."""
        try:
            self._start_converter(number)
        finally:
            self._threads.discard(threading.current_thread())

    def _start_converter(self, number: int) -> None:
        handle = None
        try:
            handle = self.backend.launch(self.spec)
            with self._lock:
                closed = self._closed
                if not closed:
                    self._starting[number] = handle
            if closed:
                self.backend.kill(handle)
                return
            info = self.backend.wait_ready(handle, self.start_timeout_s)
        except BaseException as exc:
            if handle is not None:
                self.backend.kill(handle)
            failure = (
                exc
                if isinstance(exc, ConfigurationError)
                else ConfigurationError(f"converter {self.backend.noun} did not start: {exc!r}")
            )
            with self._lock:
                self._starting.pop(number, None)
                self._failure = failure
                failed, self._requests = self._requests, []
            for request in failed:
                _resolve_later(request, failure)
            return
        converter = Converter(handle, {**info, "ready_at": time.time()})
        with self._lock:
            self._starting.pop(number, None)
            if self._closed:
                stop = True
            else:
                stop = False
                self.infos.append(converter.info)
                self._idle.append(converter)
            grants = self._grant()
        if stop:
            self.backend.kill(handle)
        self._dispatch(grants)

    def _grant(self) -> list[tuple[_Request, Converter]]:
        """Idle converters to waiting runs: a run with a paper waiting, then the fewest held."""
        grants = []
        while self._idle and self._requests:
            order = sorted(
                range(len(self._requests)),
                key=lambda i: (
                    not self._requests[i].lease.hungry(),
                    self._held[self._requests[i].lease],
                    i,
                ),
            )
            request = self._requests.pop(order[0])
            if request.future.done():  # cancelled meanwhile
                continue
            self._held[request.lease] += 1
            grants.append((request, self._idle.pop()))
        return grants

    def _dispatch(self, grants: list[tuple[_Request, Converter]]) -> None:
        """Without the lock: wake each granted run on its own event loop."""
        for request, converter in grants:
            _resolve_later(request, converter)

    def _in_thread(self, blocking: Callable[[Any], None], handle: Any) -> None:
        """Stop or kill a converter off the caller's thread (callers include event loops)."""

        def run() -> None:
            try:
                blocking(handle)
            finally:
                self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, name="converter-stop", daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _expire(self) -> None:
        """The idle timeout: no run used the stock for `idle_s`; its converters stop."""
        with self._lock:
            if self._held or self._closed:
                return
            idle, self._idle = self._idle, []
            self._size = 0
        for converter in idle:
            self.backend.stop(converter.handle)

    def idle_converters(self) -> int:
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        """Blocking: stop every converter of the stock, the starting ones too. Idempotent."""
        with self._lock:
            self._closed = True
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            idle, self._idle = self._idle, []
            starting = [h for h in self._starting.values() if h is not None]
            failed, self._requests = self._requests, []
        for request in failed:
            _resolve_later(request, ConfigurationError("the converter stock closed"))
        for converter in idle:
            self.backend.stop(converter.handle)
        for handle in starting:
            self.backend.kill(handle)
        deadline = time.monotonic() + _CLOSE_WAIT_S
        for thread in list(self._threads):
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))


class Lease:
    """One run's use of a stock: `await take()`, then `give()` or `replace()` each converter."""

    def __init__(self, stock: ConverterStock, want: int, hungry: Callable[[], bool]) -> None:
        self.stock = stock
        self.want = want
        self.hungry = hungry
        self._on_wanted: tuple[asyncio.AbstractEventLoop, Callable[[], None]] | None = None

    def when_wanted(self, callback: Callable[[], None]) -> None:
        """Call `callback` on this (the running) event loop when another run waits for a
        converter and this run holds more: it may hand over one that has no document."""
        self._on_wanted = (asyncio.get_running_loop(), callback)

    def wanted(self) -> None:
        """From any thread: another run waits for a converter (see when_wanted)."""
        if self._on_wanted is not None:
            loop, callback = self._on_wanted
            try:
                loop.call_soon_threadsafe(callback)
            except RuntimeError:  # that loop is closed: the run is gone
                pass

    async def take(self) -> Converter:
        """The next converter for this run, once the stock has one for it."""
        loop = asyncio.get_running_loop()
        request = _Request(self, loop, loop.create_future())
        self.stock._ask(request)
        try:
            return await request.future
        except BaseException:
            self.stock._withdraw(request)
            future = request.future
            if future.done() and not future.cancelled() and future.exception() is None:
                self.give(future.result())  # granted as the run was cancelled
            raise

    def give(self, converter: Converter) -> None:
        """Back to the stock, healthy: another run (or this one's next lease) takes it warm."""
        self.stock._give(self, converter)

    def replace(self, converter: Converter, *, kill: bool) -> None:
        """The converter is done for (crashed, overran, recycled): stop it, start another."""
        self.stock._replace(self, converter, kill=kill)

    def should_yield(self) -> bool:
        """Whether a waiting run that holds fewer converters should have one of this run's."""
        return self.stock._should_yield(self)

    def close(self) -> None:
        self.stock._close_lease(self)


def _resolve_later(request: _Request, outcome: Converter | BaseException) -> None:
    """Hand a run its converter (or its failure) on the run's own event loop, from any thread."""

    def resolve() -> None:
        if request.future.done():  # the run stopped waiting: the converter goes back
            if isinstance(outcome, Converter):
                request.lease.give(outcome)
        elif isinstance(outcome, BaseException):
            request.future.set_exception(outcome)
        else:
            request.future.set_result(outcome)

    try:
        request.loop.call_soon_threadsafe(resolve)
    except RuntimeError:  # that loop is closed: the run is long gone
        if isinstance(outcome, Converter):
            request.lease.give(outcome)


# -- the process's stocks -----------------------------------------------------------------------

_stocks: dict[Hashable, ConverterStock] = {}
_stocks_lock = threading.Lock()
_atexit_registered = False


def shared_stock(
    backend: ConverterBackend,
    spec: WorkerSpec,
    *,
    idle_s: float,
    start_timeout_s: float = 180.0,
) -> ConverterStock:
    """This process's stock for `backend` and `spec`, made on first use; closed at exit."""
    global _atexit_registered
    key = (backend.key(), spec)
    with _stocks_lock:
        stock = _stocks.get(key)
        if stock is None or stock._closed:
            stock = _stocks[key] = ConverterStock(
                backend, spec, start_timeout_s=start_timeout_s, idle_s=idle_s
            )
        stock.idle_s = idle_s  # the latest run's setting
        if not _atexit_registered:
            atexit.register(close_all)
            _atexit_registered = True
    return stock


def shared_stocks() -> list[ConverterStock]:
    with _stocks_lock:
        return list(_stocks.values())


def close_all() -> None:
    """Blocking: stop every converter this process started for its runs (at exit, and when the
    CLI's run ends). Later runs start new ones."""
    with _stocks_lock:
        stocks = list(_stocks.values())
        _stocks.clear()
    for stock in stocks:
        stock.close()
