"""The run's polite view of the web: one client, gated hosts, bounded retries, host records.

`PoliteWeb.download` is `download.download` made polite: the client's transport passes every
request through its host's gate (politeness.py), and here each URL is retried the bounded way:

    429/503 with Retry-After ≤ cap   the same URL again once the host's hold has passed
    connect errors, resets, 5xx      exponential backoff with full jitter (tenacity)
    anything else                    no retry: the next source is a better use of the time

Every try tells the host's breaker whether the host was at fault, and every URL's result goes
into the host reputation. Failures leave as `FetchFailed`, a `SourceFailed` that also names the
host that failed and the status it answered, so the caller can stop trying that host.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from ..context import Context
from ..errors import SourceFailed
from ..files import discard
from ..http_policy import (
    TRANSIENT_HTTPX_ERRORS,
    TRANSIENT_STATUSES,
    httpx_errors_as_failures,
    is_transient_status,
)
from ..models import Reason
from ..store import ArtifactStore
from .download import Downloaded, DownloadLimits, download
from .http import download_limits, open_client
from .politeness import (
    CircuitOpen,
    Contact,
    HostBook,
    Politeness,
    PoliteTransport,
    host_key,
    watch_contacts,
)
from .reputation import HostEvent, Reputation
from .safety import check_url
from .validate import PDF_HEADER_WINDOW, is_challenge_page

T = TypeVar("T")
# Statuses that say "the host will not serve us", as opposed to "no such document here".
HOST_REFUSALS = frozenset({401, 403, 429}) | TRANSIENT_STATUSES


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    attempts: int = 3
    backoff_base_s: float = 0.5
    backoff_max_s: float = 10.0
    retry_after_cap_s: float = 60.0

    @classmethod
    def from_context(cls, ctx: Context) -> RetryPolicy:
        return cls(
            attempts=ctx.retry_attempts,
            backoff_base_s=ctx.backoff_base_s,
            backoff_max_s=ctx.backoff_max_s,
            retry_after_cap_s=ctx.retry_after_cap_s,
        )


class FetchFailed(SourceFailed):
    """A URL failed after its retries; says which host answered last, and with what."""

    def __init__(
        self,
        reason: Reason,
        detail: str,
        *,
        host: str,
        status: int | None,
        retry_after_s: float | None,
        transient: bool,
        refused: bool,
        paused: bool = False,
    ) -> None:
        super().__init__(reason, detail)
        self.host = host
        self.status = status
        self.retry_after_s = retry_after_s
        self.transient = transient
        self.refused = refused  # the host would not serve us: not worth another route to it
        self.paused = paused  # the host's breaker was open: nothing was sent

    @classmethod
    def classify(cls, failed: SourceFailed, url: str, contacts: list[Contact]) -> FetchFailed:
        last = contacts[-1] if contacts else None
        status = last.status if last else None
        paused = isinstance(failed.__cause__, CircuitOpen)
        transient = (not paused and isinstance(failed.__cause__, TRANSIENT_HTTPX_ERRORS)) or (
            failed.reason is Reason.HTTP_ERROR and is_transient_status(status)
        )
        refused = (
            transient
            or paused
            or failed.reason in (Reason.HTML_CHALLENGE, Reason.NETWORK_ERROR, Reason.TIMEOUT)
            or (failed.reason is Reason.HTTP_ERROR and status in HOST_REFUSALS)
        )
        return cls(
            failed.reason,
            failed.detail,
            host=last.host if last else host_key(url),
            status=status,
            retry_after_s=last.retry_after_s if last else None,
            transient=transient,
            refused=refused,
            paused=paused,
        )


class PoliteWeb:
    """Downloads and API calls for one run, through one polite client."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        book: HostBook,
        reputation: Reputation,
        *,
        limits: DownloadLimits,
        retry: RetryPolicy,
        temp_path: Callable[[str], Path],
    ) -> None:
        self.client = client
        self.book = book
        self.reputation = reputation
        self.limits = limits
        self.retry = retry
        self._temp_path = temp_path

    async def download(self, url: str, dest: Path) -> Downloaded:
        """Download `url` into `dest` politely; raise `FetchFailed`. A bot wall is a failure."""
        return await self._retrying(url, lambda: self._download_once(url, dest))

    async def get_json(self, url: str) -> Any | None:
        """GET a JSON document (an index's answer); None when the index answers 404."""
        tmp = self._temp_path(".json")
        try:
            try:
                downloaded = await self.download(url, tmp)
            except FetchFailed as failed:
                if failed.status == 404:
                    return None
                raise
            raw = await anyio.Path(downloaded.path).read_bytes()
        finally:
            await discard(tmp)
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise SourceFailed(Reason.HTTP_ERROR, f"not JSON from {url}: {exc}") from exc

    async def locate(self, url: str) -> str | None:
        """Where `url` redirects to (one hop), itself if it answers directly, None on a 404."""
        return await self._retrying(url, lambda: self._locate_once(url))

    async def _locate_once(self, url: str) -> str | None:
        target = httpx.URL(url)
        with _as_source_failure(url, self.limits.total_timeout_s):
            await check_url(target, allow_private=self.limits.allow_private)
            async with self.client.stream("GET", target) as response:
                if response.is_redirect and (location := response.headers.get("location")):
                    return str(target.join(location))
                if response.status_code == 404:
                    return None
                if response.status_code >= 400:
                    raise SourceFailed(Reason.HTTP_ERROR, f"HTTP {response.status_code} from {url}")
                return url

    async def _download_once(self, url: str, dest: Path) -> Downloaded:
        downloaded = await download(self.client, url, dest, limits=self.limits)
        head = downloaded.head
        # Walls also arrive with status 200; a PDF never counts as one, whatever it contains.
        if b"%PDF-" not in head[:PDF_HEADER_WINDOW] and is_challenge_page(head):
            raise SourceFailed(Reason.HTML_CHALLENGE, f"bot-challenge page from {downloaded.url}")
        return downloaded

    async def _retrying(self, url: str, attempt_once: Callable[[], Awaitable[T]]) -> T:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            retry=retry_if_exception(self._worth_retrying),
            wait=self._wait,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._try(url, attempt_once)
        raise AssertionError("unreachable: tenacity reraises the last failure")

    async def _try(self, url: str, attempt_once: Callable[[], Awaitable[T]]) -> T:
        with watch_contacts() as contacts:
            try:
                result = await attempt_once()
            except SourceFailed as failed:
                error = FetchFailed.classify(failed, url, contacts)
                await self._note_failure(error, contacts)
                raise error from failed
        await self._note_success(contacts)
        return result

    def _worth_retrying(self, exc: BaseException) -> bool:
        if not isinstance(exc, FetchFailed) or exc.reason is Reason.HTML_CHALLENGE:
            return False  # a wall does not come down by asking again
        if exc.retry_after_s is not None:
            return exc.retry_after_s <= self.retry.retry_after_cap_s
        return exc.transient

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, FetchFailed) and exc.retry_after_s is not None:
            return 0.0  # the host's gate holds every request to it until Retry-After has passed
        return wait_random_exponential(
            multiplier=self.retry.backoff_base_s, max=self.retry.backoff_max_s
        )(state)

    async def _note_failure(self, error: FetchFailed, contacts: list[Contact]) -> None:
        gate = self.book.gate(error.host)
        if gate is None or error.paused:
            return  # our own service, or nothing was sent
        if error.refused:
            gate.failed()
        else:
            gate.answered()  # it answered, only not with what we wanted (404, not a PDF, ...)
        # Intermediate hops (doi.org, a publisher's redirector) did their job.
        for contact in contacts[:-1]:
            if self.book.gate(contact.host) is not None:
                await self.reputation.note(contact.host, HostEvent.OK)
        if error.reason is Reason.HTML_CHALLENGE:
            event = HostEvent.CHALLENGE
        else:
            event = HostEvent.FAILED if error.refused else HostEvent.OK
        await self.reputation.note(error.host, event, retry_after_s=error.retry_after_s)

    async def _note_success(self, contacts: list[Contact]) -> None:
        for contact in contacts:
            gate = self.book.gate(contact.host)
            if gate is None:
                continue
            gate.answered()
            await self.reputation.note(contact.host, HostEvent.OK)


@contextmanager
def _as_source_failure(url: str, deadline_s: float) -> Iterator[None]:
    """Within a deadline; httpx's exceptions become SourceFailed, as `download` makes them."""
    try:
        with httpx_errors_as_failures(url), anyio.fail_after(deadline_s):
            yield
    except TimeoutError as exc:
        raise SourceFailed(Reason.TIMEOUT, f"no answer within {deadline_s:g} s from {url}") from exc


@asynccontextmanager
async def open_web(
    ctx: Context, store: ArtifactStore, *, exempt_urls: tuple[str | None, ...] = ()
) -> AsyncIterator[PoliteWeb]:
    """The run's polite web; `exempt_urls` are our own services (retrieve-academic), never gated."""
    book = HostBook(
        Politeness.from_context(ctx),
        exempt=frozenset(host_key(url) for url in exempt_urls if url),
    )
    reputation = await Reputation.load(store, window_s=ctx.reputation_window_s)
    async with open_client(
        ctx, wrap_transport=lambda inner: PoliteTransport(inner, book)
    ) as client:
        yield PoliteWeb(
            client,
            book,
            reputation,
            limits=download_limits(ctx),
            retry=RetryPolicy.from_context(ctx),
            temp_path=store.temp_path,
        )
