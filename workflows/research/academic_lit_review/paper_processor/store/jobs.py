"""retrieve-academic job ids by paper and service, so a resumed run re-attaches to its jobs
instead of submitting again."""

from __future__ import annotations

import time

import anyio
import anyio.to_thread

from .index import Index


class JobIndex(Index):
    async def job_for(self, key: str, service: str) -> str | None:
        row = await anyio.to_thread.run_sync(
            self._query_one, "SELECT job_id FROM jobs WHERE key = ? AND service = ?", (key, service)
        )
        return row[0] if row else None

    async def record_job(self, key: str, service: str, job_id: str) -> None:
        """Keep the job id (the latest per paper and service) and log one submission."""
        now = time.time()
        await self._execute(
            (
                "INSERT OR REPLACE INTO jobs (key, service, job_id, submitted_at)"
                " VALUES (?, ?, ?, ?)",
                (key, service, job_id, now),
            ),
            (
                "INSERT INTO work_log (key, kind, detail, at) VALUES (?, 'retrieve_submit', ?, ?)",
                (key, job_id, now),
            ),
        )

    async def forget_job(self, key: str, service: str) -> None:
        await self._execute(("DELETE FROM jobs WHERE key = ? AND service = ?", (key, service)))
