"""The per-run side channel where acquire, poll_retrieve and marker meet.

LangGraph applies state updates only when a superstep ends, so the three nodes of the streaming
superstep hand papers to each other through memory streams instead of state. Every stream end is
created up front, so each node owns its endpoints from the start:

    acquire ──to_marker──────────────────┐
       └──to_poll──▶ poll_retrieve ──────┼──▶ marker (inbox)
                                         │
Producers close their send ends when done; marker's `async for` ends when both are closed.

Fate sharing: a producer returns only after marker has finished (`wait_for_consumer`), and any
abnormal exit aborts the channel, so either all three nodes commit or none does (a resumed run
reruns all three together).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .errors import RunAborted


@dataclass(frozen=True)
class Acquired:
    """A paper whose full text is on disk and validated, ready for conversion."""

    index: int
    key: str
    path: str
    kind: str  # "pdf" to convert; "markdown" (HTML or EPUB full text, converted already) to
    # store as it is; "stored" when the store already holds its markdown
    source: str
    source_url: str | None
    pages: int | None
    relevance: float | None
    doi: str | None = None
    title: str | None = None
    format: str = "pdf"  # what the full text arrived as: pdf, epub, html
    converter: str | None = None  # for markdown: the converter that made it (html, epub-xhtml)
    attempts: tuple[dict[str, Any], ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SubmittedJob:
    """A retrieve-academic job that poll_retrieve must see through."""

    index: int
    key: str
    job_id: str
    relevance: float | None
    doi: str | None = None
    title: str | None = None
    attempts: tuple[dict[str, Any], ...] = ()
    reattached: bool = False


class RunChannel:
    """Stream endpoints of one run, plus the consumer's completion signal."""

    def __init__(self) -> None:
        to_marker, self.marker_inbox = anyio.create_memory_object_stream[Acquired](0)
        self.acquire_to_marker: MemoryObjectSendStream[Acquired] = to_marker.clone()
        self.poll_to_marker: MemoryObjectSendStream[Acquired] = to_marker.clone()
        to_marker.close()
        self.acquire_to_poll: MemoryObjectSendStream[SubmittedJob]
        self.poll_inbox: MemoryObjectReceiveStream[SubmittedJob]
        self.acquire_to_poll, self.poll_inbox = anyio.create_memory_object_stream[SubmittedJob](0)
        self._finished = anyio.Event()
        self._failure: str | None = None

    @property
    def failure(self) -> str | None:
        return self._failure

    def abort(self, reason: str) -> None:
        """Mark the run as failed: the other nodes raise instead of committing."""
        if self._failure is None:
            self._failure = reason
        # Closing the receive ends wakes producers blocked in send() with BrokenResourceError.
        self.marker_inbox.close()
        self.poll_inbox.close()
        self._finished.set()

    def consumer_finished(self) -> None:
        self._finished.set()

    async def wait_for_consumer(self) -> None:
        """Return once marker has finished; raise if any node of the run failed."""
        await self._finished.wait()
        if self._failure is not None:
            raise RunAborted(self._failure)


class ChannelRegistry:
    """Process-local map of run_key to channel.

    Entries are created on first lookup, with no await between lookup and insert, so a run
    resumed in a fresh process finds a fresh channel although `prepare` does not run again.
    """

    def __init__(self) -> None:
        self._channels: dict[str, RunChannel] = {}

    def get(self, run_key: str) -> RunChannel:
        channel = self._channels.get(run_key)
        if channel is None:
            channel = self._channels[run_key] = RunChannel()
        return channel

    def discard(self, run_key: str, channel: RunChannel) -> None:
        """Drop the entry if it is still this channel (a newer attempt may have replaced it)."""
        if self._channels.get(run_key) is channel:
            del self._channels[run_key]

    def __len__(self) -> int:
        return len(self._channels)


registry = ChannelRegistry()

# How long a node that learns of a sibling's failure waits for that failure to reach LangGraph
# (which then cancels this node) before raising RunAborted itself.
SIBLING_FAILURE_GRACE_S = 5.0


@asynccontextmanager
async def fate_shared(run_key: str, node: str) -> AsyncIterator[RunChannel]:
    """Run one streaming node on the run's channel; any abnormal exit aborts the whole run.

    The first failure is the one the caller should see, so a node that fails only because a
    sibling failed first waits for LangGraph to cancel it instead of racing its own error up.
    """
    channel = registry.get(run_key)
    try:
        yield channel
    except BaseException as exc:
        first = channel.failure is None
        channel.abort(f"{node} failed: {type(exc).__name__}: {exc}")
        registry.discard(run_key, channel)
        if first or isinstance(exc, anyio.get_cancelled_exc_class()):
            raise
        with anyio.move_on_after(SIBLING_FAILURE_GRACE_S):
            await anyio.sleep_forever()
        raise RunAborted(channel.failure or node) from exc
