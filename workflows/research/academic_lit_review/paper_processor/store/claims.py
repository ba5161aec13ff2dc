"""Claims: one run at a time converts a paper, across the runs and processes sharing a workspace.

A claim is a row (key, kind, owner, expires_at). It expires `CLAIM_TTL_S` after it was taken or
last renewed, so a crashed owner blocks its papers for that long at most; a live owner renews all
of its claims together, well before they expire (`Claims.kept_alive`).

Code holds a claim as a `Claim`: taken once (waiting while another live run holds it), released
once, shielded, when the task that owns it leaves `async with claim`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Self

import anyio
import anyio.to_thread

from .artifacts import ArtifactFiles, Artifacts

# Claims outlive a crashed owner by this much at most; a live one renews them well before.
CLAIM_TTL_S = 120.0
CONVERT = "convert"  # the kind of work claimed: converting a paper's full text
# How often a paper whose claim another run holds asks again.
_TAKE_POLL_S = 0.5


class ClaimIndex(ArtifactFiles):
    async def lookup_and_claim(
        self, key: str, kind: str, owner: str, *, ttl_s: float
    ) -> tuple[Artifacts | None, bool]:
        """What the store holds for `key`, and whether `owner` now holds the (key, kind) claim.

        One transaction: no claim is taken for a paper whose markdown is stored already.
        """
        return await anyio.to_thread.run_sync(self._lookup_and_claim_sync, key, kind, owner, ttl_s)

    def _lookup_and_claim_sync(
        self, key: str, kind: str, owner: str, ttl_s: float
    ) -> tuple[Artifacts | None, bool]:
        with self._transaction():
            stored = self._lookup_locked(key)
            if stored is not None and stored.markdown_path is not None:
                return stored, False
            return stored, self._take_claim(key, kind, owner, ttl_s)

    def _take_claim(self, key: str, kind: str, owner: str, ttl_s: float) -> bool:
        now = time.time()
        row = self._db.execute(
            "SELECT owner, expires_at FROM claims WHERE key = ? AND kind = ?", (key, kind)
        ).fetchone()
        if row is not None and row[0] != owner and row[1] > now:
            return False
        self._db.execute(
            "INSERT OR REPLACE INTO claims (key, kind, owner, expires_at) VALUES (?, ?, ?, ?)",
            (key, kind, owner, now + ttl_s),
        )
        return True

    async def renew_claims(self, owner: str, *, ttl_s: float) -> None:
        await self._execute(
            ("UPDATE claims SET expires_at = ? WHERE owner = ?", (time.time() + ttl_s, owner))
        )

    async def release(self, key: str, kind: str, owner: str) -> None:
        await self._execute(
            ("DELETE FROM claims WHERE key = ? AND kind = ? AND owner = ?", (key, kind, owner))
        )


class Claim:
    """One owner's claim on converting one paper. `take` it, then hold it in `async with`:
    leaving the block releases it (shielded), however the block ended."""

    def __init__(self, index: ClaimIndex, key: str, owner: str, *, ttl_s: float) -> None:
        self._index = index
        self.key = key
        self.owner = owner
        self._ttl_s = ttl_s

    async def take(self, *, on_wait: Callable[[], None] | None = None) -> bool:
        """Take the claim; False when the paper's markdown is stored (nothing to convert).

        While another live owner holds the claim, wait for it to store the markdown or give the
        claim up; `on_wait` is called once, when the waiting starts.
        """
        waited = False
        while True:
            stored, taken = await self._index.lookup_and_claim(
                self.key, CONVERT, self.owner, ttl_s=self._ttl_s
            )
            if stored is not None and stored.markdown_path is not None:
                return False
            if taken:
                return True
            if not waited and on_wait is not None:
                on_wait()
            waited = True
            await anyio.sleep(_TAKE_POLL_S)

    async def release(self) -> None:
        """Give the claim up (whether or not it was taken): other runs may convert the paper.

        Shielded: it runs on the way out of cancelled tasks too.
        """
        with anyio.CancelScope(shield=True):
            await self._index.release(self.key, CONVERT, self.owner)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.release()


class Claims:
    """The claims of one owner (a run): made here, and renewed together while the run lasts."""

    def __init__(self, index: ClaimIndex, owner: str, *, ttl_s: float = CLAIM_TTL_S) -> None:
        self._index = index
        self.owner = owner
        self._ttl_s = ttl_s

    def claim(self, key: str) -> Claim:
        return Claim(self._index, key, self.owner, ttl_s=self._ttl_s)

    @asynccontextmanager
    async def kept_alive(self) -> AsyncIterator[Claims]:
        """Renew every claim of this owner (one statement) while the block runs."""
        async with anyio.create_task_group() as renewing:
            renewing.start_soon(self._renew_forever)
            try:
                yield self
            finally:
                renewing.cancel_scope.cancel()

    async def _renew_forever(self) -> None:
        while True:
            await anyio.sleep(self._ttl_s / 4)
            await self._index.renew_claims(self.owner, ttl_s=self._ttl_s)
