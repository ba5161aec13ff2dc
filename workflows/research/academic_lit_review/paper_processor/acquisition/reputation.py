"""Host reputation across runs: which hosts serve documents, and which answer with walls.

The artifact store keeps per host the successes, failures, challenge pages and the latest
Retry-After (table `host_reputation`). A run reads them once, updates its copy as it goes and
writes every event through, so the next run starts from what this one learnt. A host in bad
standing is not skipped, only tried after every other candidate of the paper: a host that
served challenge pages yesterday is tried last today.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from ..store import ArtifactStore, HostRecord

# Below this many requests a success rate says nothing.
_MIN_REQUESTS_FOR_RATE = 5
_POOR_SUCCESS_RATE = 0.2


class HostEvent(StrEnum):
    """What one fetch met at a host."""

    OK = "ok"
    FAILED = "failed"
    CHALLENGE = "challenge"


@dataclass(frozen=True)
class HostStanding:
    """A host's record, judged."""

    record: HostRecord

    def shunned(self, now: float, window_s: float) -> bool:
        """Bad standing: a recent wall or throttle not followed by a success, or mostly failures."""
        r = self.record
        trouble = max(r.last_challenge_at or 0.0, r.last_retry_after_at or 0.0)
        if trouble and now - trouble < window_s and (r.last_success_at or 0.0) < trouble:
            return True
        total = r.successes + r.failures + r.challenges
        return total >= _MIN_REQUESTS_FOR_RATE and r.successes / total < _POOR_SUCCESS_RATE


class Reputation:
    """The run's view of host standings, written through to the store."""

    def __init__(
        self,
        store: ArtifactStore | None,
        records: dict[str, HostRecord],
        *,
        window_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._records = dict(records)
        self._window_s = window_s
        self._clock = clock

    @classmethod
    async def load(cls, store: ArtifactStore, *, window_s: float) -> Reputation:
        return cls(store, await store.host_records(), window_s=window_s)

    def shunned(self, host: str) -> bool:
        record = self._records.get(host)
        return record is not None and HostStanding(record).shunned(self._clock(), self._window_s)

    def record(self, host: str) -> HostRecord | None:
        return self._records.get(host)

    async def note(
        self, host: str, event: HostEvent, *, retry_after_s: float | None = None
    ) -> None:
        now = self._clock()
        old = self._records.get(host) or HostRecord(host=host)
        new = replace(
            old,
            successes=old.successes + (event is HostEvent.OK),
            failures=old.failures + (event is HostEvent.FAILED),
            challenges=old.challenges + (event is HostEvent.CHALLENGE),
            last_success_at=now if event is HostEvent.OK else old.last_success_at,
            last_challenge_at=now if event is HostEvent.CHALLENGE else old.last_challenge_at,
            last_retry_after_at=now if retry_after_s is not None else old.last_retry_after_at,
            last_retry_after_s=retry_after_s
            if retry_after_s is not None
            else old.last_retry_after_s,
        )
        self._records[host] = new
        if self._store is not None:
            await self._store.record_host(
                host,
                ok=event is HostEvent.OK,
                failed=event is HostEvent.FAILED,
                challenge=event is HostEvent.CHALLENGE,
                retry_after_s=retry_after_s,
                at=now,
            )
