"""The artifact store: durable, content-addressed work that a resumed or repeated run reuses.

    WORKSPACE/
      index.sqlite3         one SQLite index (index.py) for every concern below
      pdf/ab/<sha256>.pdf   validated downloads                      (artifacts.py)
      md/ab/<sha256>.md     converted markdown                       (artifacts.py)
      tmp/                  partial files; nothing outside tmp/ is ever partial

    artifacts.py   paper key -> PDF and markdown, and the log of work done
    jobs.py        retrieve-academic job ids, so a resumed run re-attaches
    outcomes.py    each paper's latest outcome
    claims.py      one run at a time converts a paper: claims, taken, renewed and released
    reputation.py  per host: successes, failures, challenges, Retry-After

`ArtifactStore` is all of them over one connection. The index is SQLite in WAL mode so several
processes can share one workspace; every method async code calls does its SQLite and file work in
a worker thread.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence

import anyio
import anyio.to_thread

from .artifacts import Artifacts, safe_stem, sha256_file
from .claims import CLAIM_TTL_S, Claim, ClaimIndex, Claims
from .jobs import JobIndex
from .outcomes import OutcomeIndex
from .reputation import HostRecord, ReputationIndex

__all__ = [
    "CLAIM_TTL_S",
    "ArtifactStore",
    "Artifacts",
    "HostRecord",
    "Claim",
    "Claims",
    "safe_stem",
    "sha256_file",
]


class ArtifactStore(ClaimIndex, JobIndex, OutcomeIndex, ReputationIndex):
    """The workspace: artifacts, jobs, outcomes, claims and host reputation over one index."""

    @classmethod
    async def open(
        cls, workspace: str | os.PathLike[str], *, rungs: Sequence[str] = ()
    ) -> ArtifactStore:
        """The store, opened from async code: folders and index are set up in a worker thread."""
        return await anyio.to_thread.run_sync(functools.partial(cls, workspace, rungs=rungs))
