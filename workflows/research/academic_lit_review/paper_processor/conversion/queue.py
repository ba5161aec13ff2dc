"""The waiting room before the converters: most relevant paper first, arrival order on ties."""

from __future__ import annotations

import heapq
import itertools
from typing import Generic, TypeVar

import anyio

T = TypeVar("T")


class RelevanceQueue(Generic[T]):
    """Unbounded (it holds small records of papers already on disk) and closed by its feeder."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, T]] = []
        self._arrivals = itertools.count()
        self._closed = False
        self._changed = anyio.Event()

    def __len__(self) -> int:
        return len(self._heap)

    def put(self, item: T, relevance: float | None) -> None:
        heapq.heappush(self._heap, (-(relevance or 0.0), next(self._arrivals), item))
        self._wake()

    def close(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def get(self) -> T:
        """The most relevant item, once there is one; anyio.EndOfStream once closed and empty."""
        while not self._heap:
            if self._closed:
                raise anyio.EndOfStream
            await self._changed.wait()
        return heapq.heappop(self._heap)[2]

    def __aiter__(self) -> RelevanceQueue[T]:
        return self

    async def __anext__(self) -> T:
        try:
            return await self.get()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None
