"""Each paper's latest outcome, by paper key."""

from __future__ import annotations

import json
import time

import anyio
import anyio.to_thread

from .index import Index


class OutcomeIndex(Index):
    async def record_outcomes(self, outcomes: list[dict]) -> None:
        """Keep each paper's latest outcome, without its markdown (that is a file here already)."""
        await anyio.to_thread.run_sync(self._record_outcomes_sync, outcomes)

    def _record_outcomes_sync(self, outcomes: list[dict]) -> None:
        now = time.time()
        # One row encoded at a time: a big run's outcomes are never all in memory twice.
        rows = (
            (o["key"], json.dumps({k: v for k, v in o.items() if k != "markdown"}), now)
            for o in outcomes
            if o.get("key")
        )
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO outcomes (key, outcome, updated_at) VALUES (?, ?, ?)", rows
            )
