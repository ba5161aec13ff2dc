"""Per-host politeness under every request of a run: concurrency, spacing, Retry-After, breaker.

A `HostBook` holds one `HostGate` per host (host:port, so two loopback servers are two hosts).
`PoliteTransport` sits under the run's one httpx client, so every request passes its host's gate,
redirect hops and API calls included:

    enter   breaker closed? → a concurrency slot → wait for the host's turn (spacing, Retry-After;
            a paper waiting out a Retry-After lends its `PaperSlots` slot to another paper)
    send    the request; a 429/503 with Retry-After holds the whole host, not only this URL
    leave   when the response body is closed, not when its headers arrive

Retrying and deciding what counts as a host failure belong to `web.py`; this module only keeps
the gates and reports what each request met (`watch_contacts`).
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
import httpx

from ..context import Context
from ..http_policy import RETRY_AFTER_STATUSES


@dataclass(frozen=True, kw_only=True)
class Politeness:
    """How a run treats each host."""

    concurrency: int = 2
    min_interval_s: float = 0.5
    retry_after_cap_s: float = 60.0
    breaker_failures: int = 5
    breaker_cooldown_s: float = 120.0

    @classmethod
    def from_context(cls, ctx: Context) -> Politeness:
        return cls(
            concurrency=ctx.host_concurrency,
            min_interval_s=ctx.host_min_interval_s,
            retry_after_cap_s=ctx.retry_after_cap_s,
            breaker_failures=ctx.breaker_failures,
            breaker_cooldown_s=ctx.breaker_cooldown_s,
        )


class CircuitOpen(httpx.TransportError):
    """The host's breaker is open (too many failures, or a Retry-After beyond the cap): not sent."""


def host_key(url: httpx.URL | str) -> str:
    """The unit of politeness: host and port, default ports filled in."""
    url = httpx.URL(url)
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.host}:{port}"


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or HTTP-date); None if absent or junk."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HostGate:
    """One host's slots, turn-taking and breaker. Not thread-safe: one event loop per run."""

    def __init__(
        self, host: str, policy: Politeness, *, clock: Callable[[], float] = time.monotonic
    ):
        self.host = host
        self._policy = policy
        self._clock = clock
        self._slots = anyio.Semaphore(policy.concurrency)
        self._turn = anyio.Lock()
        self._last_start = -math.inf
        self._not_before = -math.inf
        self._failures = 0
        self._open_until = -math.inf
        self._open_because = ""

    @property
    def breaker_open(self) -> bool:
        return self._clock() < self._open_until

    async def enter(self) -> None:
        """Wait until a request to this host may start; raise CircuitOpen if it may not."""
        self._refuse_if_open()
        await self._wait_out_hold()
        await self._slots.acquire()
        try:
            await self._wait_for_turn()
            # The breaker may have opened while this request waited for its turn.
            self._refuse_if_open()
        except BaseException:
            self._slots.release()
            raise

    def leave(self) -> None:
        self._slots.release()

    def hold(self, seconds: float) -> None:
        """Start no request to this host for `seconds` (a Retry-After)."""
        self._not_before = max(self._not_before, self._clock() + seconds)

    def trip(self, seconds: float, because: str) -> None:
        """Open the breaker for `seconds`: requests fail at once instead of queueing."""
        if self._clock() + seconds > self._open_until:
            self._open_until = self._clock() + seconds
            self._open_because = because

    def answered(self) -> None:
        """The host answered (whatever the status): consecutive failures start over."""
        self._failures = 0

    def failed(self) -> None:
        """A failure the host is to blame for; enough in a row open the breaker."""
        self._failures += 1
        # Past the threshold every further failure (the probe after a cooldown) reopens it.
        if self._failures >= self._policy.breaker_failures:
            self.trip(self._policy.breaker_cooldown_s, f"{self._failures} failures in a row")

    def _refuse_if_open(self) -> None:
        if self.breaker_open:
            wait = self._open_until - self._clock()
            raise CircuitOpen(f"{self.host} is paused for {wait:.0f} s ({self._open_because})")

    async def _wait_out_hold(self) -> None:
        # Before queueing for one of the host's slots, so that papers queued behind a held
        # host lend their paper slots too.
        while (wait := self._not_before - self._clock()) > 0:
            async with lend_paper_slot():
                await anyio.sleep(wait)

    async def _wait_for_turn(self) -> None:
        # Spacing is measured between request starts; a Retry-After that arrives while a
        # request sleeps here pushes it back, hence the loop.
        while True:
            async with self._turn:
                now = self._clock()
                start = max(self._last_start + self._policy.min_interval_s, self._not_before)
                if start <= now:
                    self._last_start = now
                    return
            if self._not_before > now:
                async with lend_paper_slot():  # waiting out a Retry-After: let another paper run
                    await anyio.sleep(start - now)
            else:
                await anyio.sleep(start - now)


class PaperSlots:
    """How many papers are acquired at once, and the lending that keeps a throttled host local.

    A paper waiting out one host's Retry-After lends its slot to the next paper, so a held host
    delays only the papers that need it, not the run. `waiting` bounds the papers that may be
    parked on held hosts at one time (run that many workers, each taking a slot per paper).
    """

    def __init__(self, slots: int, *, waiting: int | None = None) -> None:
        self.slots = slots
        self.workers = slots + (waiting if waiting is not None else 3 * slots)
        self._semaphore = anyio.Semaphore(slots)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for one paper (in the task that acquires it)."""
        await self._semaphore.acquire()
        held = _HeldSlot(self._semaphore)
        token = _paper_slot.set(held)
        try:
            yield
        finally:
            _paper_slot.reset(token)
            if held.held:
                self._semaphore.release()


@dataclass
class _HeldSlot:
    semaphore: anyio.Semaphore
    held: bool = True


_paper_slot: ContextVar[_HeldSlot | None] = ContextVar("paper_processor_paper_slot", default=None)


@contextlib.asynccontextmanager
async def lend_paper_slot() -> AsyncIterator[None]:
    """Give the current paper's slot to another paper for the duration (no-op outside one)."""
    slot = _paper_slot.get()
    if slot is None or not slot.held:
        yield
        return
    slot.held = False
    slot.semaphore.release()
    try:
        yield
    finally:
        await slot.semaphore.acquire()  # if cancelled here, the slot stays given back
        slot.held = True


class HostBook:
    """The gates of one run, created on first use; `exempt` hosts (our own services) pass freely."""

    def __init__(self, policy: Politeness, *, exempt: frozenset[str] = frozenset()) -> None:
        self.policy = policy
        self._exempt = exempt
        self._gates: dict[str, HostGate] = {}

    def gate(self, host: str) -> HostGate | None:
        if host in self._exempt:
            return None
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = HostGate(host, self.policy)
        return gate


@dataclass
class Contact:
    """One request as the transport saw it: the host, and the status and Retry-After it met."""

    host: str
    url: str
    status: int | None = None
    retry_after_s: float | None = None


_contacts: ContextVar[list[Contact] | None] = ContextVar("paper_processor_contacts", default=None)


@contextlib.contextmanager
def watch_contacts() -> Iterator[list[Contact]]:
    """Collect the requests the current task sends (redirect hops included), in order."""
    seen: list[Contact] = []
    token = _contacts.set(seen)
    try:
        yield seen
    finally:
        _contacts.reset(token)


class PoliteTransport(httpx.AsyncBaseTransport):
    """Wraps the connection pool so that every request passes its host's gate."""

    def __init__(self, inner: httpx.AsyncBaseTransport, book: HostBook) -> None:
        self._inner = inner
        self._book = book

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = host_key(request.url)
        contact = Contact(host=host, url=str(request.url))
        if (seen := _contacts.get()) is not None:
            seen.append(contact)
        gate = self._book.gate(host)
        if gate is None:
            return await self._inner.handle_async_request(request)
        await gate.enter()
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            gate.leave()
            raise
        contact.status = response.status_code
        if response.status_code in RETRY_AFTER_STATUSES:
            wait = retry_after_seconds(response.headers.get("retry-after"))
            if wait is not None:
                contact.retry_after_s = wait
                if wait <= self._book.policy.retry_after_cap_s:
                    gate.hold(wait)
                else:
                    # Longer than we wait: other papers skip the host instead of queueing.
                    gate.trip(wait, f"it asked for Retry-After {wait:.0f} s")
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_ReleaseOnClose(response.stream, gate.leave),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class _ReleaseOnClose(httpx.AsyncByteStream):
    """A response body that gives the host's slot back when it is closed (once)."""

    def __init__(
        self, inner: httpx.AsyncByteStream | httpx.SyncByteStream, release: Callable[[], None]
    ):
        self._inner = inner
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._inner, httpx.AsyncByteStream)
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            if isinstance(self._inner, httpx.AsyncByteStream):
                await self._inner.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()
