"""Places in a converter pool: the next document is chosen when a converter can take it.

The marker node reserves a place before it picks the most relevant waiting paper, so the choice
is made when a converter is free (or about to be), never earlier. Both pools hand out places
the same way; they differ in what a place is (a local worker process, a Ray actor).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .worker import Done, Job

C = TypeVar("C")
OnStart = Callable[[], None] | None


class Place:
    """One reserved converter place; `convert` uses it once."""

    def __init__(self, convert: Callable[[Job, OnStart], Awaitable[Done]]) -> None:
        self._convert = convert
        self.used = False

    async def convert(self, job: Job, *, on_start: OnStart = None) -> Done:
        """Convert in this place; `on_start` is called when the converter turns to the job."""
        assert not self.used, "a place takes one document"
        self.used = True
        return await self._convert(job, on_start)


class PlacePool(Generic[C]):
    """`place()` and `convert()` for a pool of converters of type C.

    A pool offers a converter's place by `_give_back(converter)`, and says how a document is
    converted on one (`_convert_on`).
    """

    def __init__(self) -> None:
        # One entry per place on offer.
        self._places_send: MemoryObjectSendStream[C]
        self._places_receive: MemoryObjectReceiveStream[C]
        self._places_send, self._places_receive = anyio.create_memory_object_stream(math.inf)
        self._reserved_unused = 0  # places reserved by a caller that has not converted yet

    def places_unused(self) -> int:
        """Places on offer or reserved, with no document yet: the run has no paper for them."""
        offered = self._places_send.statistics().current_buffer_used
        return offered + self._reserved_unused

    async def _take(self) -> C:
        return await self._places_receive.receive()

    def _give_back(self, converter: C) -> None:
        try:
            self._places_send.send_nowait(converter)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass  # the pool is closing

    def _close_places(self) -> None:
        self._places_send.close()
        self._places_receive.close()

    async def _convert_on(self, converter: C, job: Job, on_start: OnStart) -> Done:
        raise NotImplementedError

    @asynccontextmanager
    async def place(self) -> AsyncIterator[Place]:
        """Wait for a converter that can take a document; an unused place goes back."""
        converter = await self._take()
        self._reserved_unused += 1

        def convert(job: Job, on_start: OnStart) -> Awaitable[Done]:
            self._reserved_unused -= 1
            return self._convert_on(converter, job, on_start)

        place = Place(convert)
        try:
            yield place
        finally:
            if not place.used:
                self._reserved_unused -= 1
                self._give_back(converter)

    async def convert(self, job: Job, *, on_start: OnStart = None) -> Done:
        """Convert one document in the next free place; raise ConversionFailed for it."""
        async with self.place() as place:
            return await place.convert(job, on_start=on_start)
