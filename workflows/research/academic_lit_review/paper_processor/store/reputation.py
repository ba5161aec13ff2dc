"""Host reputation: what runs met at each host (host:port), so later runs order sources by it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import anyio
import anyio.to_thread

from .index import Index


@dataclass(frozen=True)
class HostRecord:
    """What runs have met at one host (host:port): documents, failures, walls, throttling."""

    host: str
    successes: int = 0
    failures: int = 0
    challenges: int = 0
    last_success_at: float | None = None
    last_challenge_at: float | None = None
    last_retry_after_at: float | None = None
    last_retry_after_s: float | None = None


class ReputationIndex(Index):
    async def host_records(self) -> dict[str, HostRecord]:
        return await anyio.to_thread.run_sync(self.host_records_sync)

    def host_records_sync(self) -> dict[str, HostRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT host, successes, failures, challenges, last_success_at, last_challenge_at,"
                " last_retry_after_at, last_retry_after_s FROM host_reputation"
            ).fetchall()
        return {row[0]: HostRecord(*row) for row in rows}

    async def record_host(
        self,
        host: str,
        *,
        ok: bool = False,
        failed: bool = False,
        challenge: bool = False,
        retry_after_s: float | None = None,
        at: float | None = None,
    ) -> None:
        """Add one fetch's result to the host's record (`at` defaults to now)."""
        now = time.time() if at is None else at
        await anyio.to_thread.run_sync(
            self._execute_many,
            [
                (
                    "INSERT INTO host_reputation (host, successes, failures, challenges, last_success_at,"
                    " last_challenge_at, last_retry_after_at, last_retry_after_s, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(host) DO UPDATE SET"
                    " successes = successes + excluded.successes,"
                    " failures = failures + excluded.failures,"
                    " challenges = challenges + excluded.challenges,"
                    " last_success_at = COALESCE(excluded.last_success_at, last_success_at),"
                    " last_challenge_at = COALESCE(excluded.last_challenge_at, last_challenge_at),"
                    " last_retry_after_at = COALESCE(excluded.last_retry_after_at, last_retry_after_at),"
                    " last_retry_after_s = COALESCE(excluded.last_retry_after_s, last_retry_after_s),"
                    " updated_at = excluded.updated_at",
                    (
                        host,
                        int(ok),
                        int(failed),
                        int(challenge),
                        now if ok else None,
                        now if challenge else None,
                        now if retry_after_s is not None else None,
                        retry_after_s,
                        now,
                    ),
                )
            ],
        )
