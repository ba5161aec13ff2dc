"""The artifact store: durable, content-addressed work that a resumed or repeated run reuses.

    WORKSPACE/
      index.sqlite3         paper key → artifacts, retrieve-academic jobs, latest outcome, work log;
                            per host: reputation (successes, failures, challenges, Retry-After)
      pdf/ab/<sha256>.pdf   validated downloads
      md/ab/<sha256>.md     converted markdown
      tmp/                  partial files; nothing outside tmp/ is ever partial

Files are written under tmp/ and renamed into place (atomic on one filesystem), and only then
indexed, so a reader never sees a half-written artifact. File names are hashes, never DOIs.
The index is SQLite in WAL mode so several processes can share one workspace.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import sqlite3
import threading
import time
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread

from .conversion.quality.report import improvable
from .models import Outcome, format_of_converter

_SCHEMA = """
CREATE TABLE IF NOT EXISTS artifacts (
    key TEXT PRIMARY KEY,
    pdf_sha TEXT, pages INTEGER, source TEXT, source_url TEXT,
    markdown_sha TEXT, converter TEXT, mode TEXT, mode_reason TEXT,
    updated_at REAL NOT NULL, quality TEXT, structure TEXT
);
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT NOT NULL, service TEXT NOT NULL, job_id TEXT NOT NULL, submitted_at REAL NOT NULL,
    PRIMARY KEY (key, service)
);
CREATE TABLE IF NOT EXISTS outcomes (key TEXT PRIMARY KEY, outcome TEXT NOT NULL, updated_at REAL);
CREATE TABLE IF NOT EXISTS claims (
    key TEXT NOT NULL, kind TEXT NOT NULL, owner TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (key, kind)
);
CREATE TABLE IF NOT EXISTS work_log (
    key TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS host_reputation (
    host TEXT PRIMARY KEY,
    successes INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
    challenges INTEGER NOT NULL DEFAULT 0,
    last_success_at REAL, last_challenge_at REAL, last_retry_after_at REAL, last_retry_after_s REAL,
    updated_at REAL NOT NULL
);
"""
_STALE_TMP_S = 24 * 3600
# Claims outlive a crashed owner by this much at most; a live one renews them well before.
CLAIM_TTL_S = 120.0


@dataclass(frozen=True)
class Artifacts:
    """What the store holds for one paper."""

    key: str
    pdf_path: Path | None
    pages: int | None
    source: str | None
    source_url: str | None
    markdown_path: Path | None
    converter: str | None
    mode: str | None
    mode_reason: str | None
    quality: dict | None = None  # the converted markdown's quality report (conversion/quality)
    structure: dict | None = None  # headings and fallback pages the converter reported

    def cached_outcome(self, index: int, *, doi: str | None, title: str | None) -> dict:
        """The converted outcome of a paper answered from this stored markdown."""
        assert self.markdown_path is not None
        return Outcome(
            index=index,
            key=self.key,
            doi=doi,
            title=title,
            status="converted",
            source=self.source,
            source_url=self.source_url,
            format=format_of_converter(self.converter),
            pages=self.pages,
            converter=self.converter,
            mode=self.mode,
            mode_reason=self.mode_reason,
            markdown_path=str(self.markdown_path),
            cached=True,
            quality=self.quality,
            **(self.structure or {}),
        ).model_dump(mode="json")


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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def safe_stem(key: str, *, max_len: int = 80) -> str:
    """A file-name stem derived from a paper key, safe on every filesystem.

    Keeps a readable ASCII slug and appends a short hash so distinct keys never collide.
    """
    ascii_text = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_text).strip("._-")[:max_len] or "paper"
    return f"{slug}-{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


class ArtifactStore:
    """Async front of the workspace; file and SQLite work runs in worker threads.

    `rungs` are the quality repairs this run has (conversion/quality/report.py): stored markdown
    with a flagged page that one of them could repair, but that was made without it, is not
    offered for reuse (lookups see the PDF only), so the paper is converted again.
    """

    def __init__(self, workspace: str | os.PathLike[str], *, rungs: Sequence[str] = ()) -> None:
        self._rungs = list(rungs)
        self.root = Path(workspace).expanduser().resolve()
        self.tmp_dir = self.root / "tmp"
        for sub in ("pdf", "md", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.root / "index.sqlite3", check_same_thread=False, timeout=30, isolation_level=None
        )
        self._use_wal()
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._add_missing_columns()
        self._remove_stale_tmp()

    # -- life cycle -------------------------------------------------------------------------------
    @classmethod
    async def open(
        cls, workspace: str | os.PathLike[str], *, rungs: Sequence[str] = ()
    ) -> ArtifactStore:
        """The store, opened from async code: folders and index are set up in a worker thread."""
        return await anyio.to_thread.run_sync(functools.partial(cls, workspace, rungs=rungs))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    async def aclose(self) -> None:
        """Close from async code: the last connection's close checkpoints the WAL to disk."""
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self.close)

    async def __aenter__(self) -> ArtifactStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _use_wal(self) -> None:
        """Switch a new index to WAL. The switch needs an exclusive lock that SQLite does not wait
        for through its busy timeout, so runs opening one fresh workspace at once retry here."""
        deadline = time.monotonic() + 30
        while True:
            try:
                if self._db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _add_missing_columns(self) -> None:
        """Workspaces made before a column existed gain it (SQLite has no ADD COLUMN IF NOT)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(artifacts)")}
        for column in ("quality", "structure"):
            if column not in columns:
                with contextlib.suppress(sqlite3.OperationalError):  # another process added it
                    self._db.execute(f"ALTER TABLE artifacts ADD COLUMN {column} TEXT")

    def _remove_stale_tmp(self) -> None:
        # Other processes may be writing here right now; only old leftovers of crashes go.
        cutoff = time.time() - _STALE_TMP_S
        for entry in self.tmp_dir.iterdir():
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
            except OSError:
                pass

    # -- temp files ---------------------------------------------------------------------------------
    def temp_path(self, suffix: str) -> Path:
        """A fresh path under tmp/, on the store's filesystem so it can be renamed into place.

        Only a name: no file is created, so async code may call it on the event loop.
        """
        return self.tmp_dir / f"{uuid.uuid4().hex}{suffix}"

    # -- reads ------------------------------------------------------------------------------------
    async def lookup(self, key: str) -> Artifacts | None:
        return await anyio.to_thread.run_sync(self.lookup_sync, key)

    def lookup_sync(self, key: str) -> Artifacts | None:
        with self._lock:
            return self._lookup_locked(key)

    def _lookup_locked(self, key: str) -> Artifacts | None:
        row = self._db.execute(
            "SELECT pdf_sha, pages, source, source_url, markdown_sha, converter, mode, mode_reason,"
            " quality, structure FROM artifacts WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        (
            pdf_sha,
            pages,
            source,
            source_url,
            md_sha,
            converter,
            mode,
            mode_reason,
            quality,
            structure,
        ) = row
        pdf_path = self._object_path("pdf", pdf_sha) if pdf_sha else None
        md_path = self._object_path("md", md_sha) if md_sha else None
        report = json.loads(quality) if quality else None
        if md_path is not None and improvable(report, self._rungs):
            md_path = None  # a better rung exists now: convert the stored PDF again
        return Artifacts(
            key=key,
            pdf_path=pdf_path if pdf_path and pdf_path.exists() else None,
            pages=pages,
            source=source,
            source_url=source_url,
            markdown_path=md_path if md_path and md_path.exists() else None,
            converter=converter,
            mode=mode,
            mode_reason=mode_reason,
            quality=report,
            structure=json.loads(structure) if structure else None,
        )

    async def job_for(self, key: str, service: str) -> str | None:
        row = await anyio.to_thread.run_sync(
            self._query_one, "SELECT job_id FROM jobs WHERE key = ? AND service = ?", (key, service)
        )
        return row[0] if row else None

    def count(self, kind: str, key: str | None = None) -> int:
        """How often work of a kind (download, conversion, retrieve_submit) was done."""
        if key is None:
            row = self._query_one("SELECT COUNT(*) FROM work_log WHERE kind = ?", (kind,))
        else:
            row = self._query_one(
                "SELECT COUNT(*) FROM work_log WHERE kind = ? AND key = ?", (kind, key)
            )
        return int(row[0]) if row else 0

    # -- writes -----------------------------------------------------------------------------------
    async def put_pdf(
        self, key: str, tmp_path: Path, *, pages: int, source: str, source_url: str | None
    ) -> Path:
        """Move a validated download into the store and index it."""
        return await anyio.to_thread.run_sync(
            self._put_pdf_sync, key, tmp_path, pages, source, source_url
        )

    def _put_pdf_sync(
        self, key: str, tmp_path: Path, pages: int, source: str, source_url: str | None
    ) -> Path:
        sha = sha256_file(tmp_path)
        final = self._install(tmp_path, "pdf", sha)
        self._execute_many(
            [
                (
                    "INSERT INTO artifacts (key, pdf_sha, pages, source, source_url, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET"
                    " pdf_sha = excluded.pdf_sha, pages = excluded.pages, source = excluded.source,"
                    " source_url = excluded.source_url, updated_at = excluded.updated_at",
                    (key, sha, pages, source, source_url, time.time()),
                ),
                (
                    "INSERT INTO work_log (key, kind, detail, at) VALUES (?, 'download', ?, ?)",
                    (key, source_url, time.time()),
                ),
            ]
        )
        return final

    async def put_markdown(
        self,
        key: str,
        tmp_path: Path,
        *,
        converter: str,
        mode: str | None,
        mode_reason: str | None,
        source: str | None = None,
        source_url: str | None = None,
        quality: dict | None = None,
        structure: dict | None = None,
    ) -> Path:
        """Move converted markdown into the store and index it (one conversion in the log).

        `structure`: the headings and fallback pages the converter reported, kept so a cached
        answer carries them too.
        """
        return await anyio.to_thread.run_sync(
            self._put_markdown_sync,
            key,
            tmp_path,
            converter,
            mode,
            mode_reason,
            source,
            source_url,
            quality,
            structure,
        )

    def _put_markdown_sync(
        self,
        key: str,
        tmp_path: Path,
        converter: str,
        mode: str | None,
        mode_reason: str | None,
        source: str | None,
        source_url: str | None,
        quality: dict | None,
        structure: dict | None = None,
    ) -> Path:
        sha = sha256_file(tmp_path)
        final = self._install(tmp_path, "md", sha)
        now = time.time()
        self._execute_many(
            [
                (
                    "INSERT INTO artifacts (key, markdown_sha, converter, mode, mode_reason, source,"
                    " source_url, updated_at, quality, structure)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET markdown_sha = excluded.markdown_sha,"
                    " converter = excluded.converter, mode = excluded.mode,"
                    " mode_reason = excluded.mode_reason, quality = excluded.quality,"
                    " structure = excluded.structure,"
                    " source = COALESCE(artifacts.source, excluded.source),"
                    " source_url = COALESCE(artifacts.source_url, excluded.source_url),"
                    " updated_at = excluded.updated_at",
                    (
                        key,
                        sha,
                        converter,
                        mode,
                        mode_reason,
                        source,
                        source_url,
                        now,
                        json.dumps(quality) if quality is not None else None,
                        json.dumps(structure) if structure else None,
                    ),
                ),
                (
                    "INSERT INTO work_log (key, kind, detail, at) VALUES (?, 'conversion', ?, ?)",
                    (key, converter, now),
                ),
            ]
        )
        return final

    async def record_job(self, key: str, service: str, job_id: str) -> None:
        now = time.time()
        await anyio.to_thread.run_sync(
            self._execute_many,
            [
                (
                    "INSERT OR REPLACE INTO jobs (key, service, job_id, submitted_at)"
                    " VALUES (?, ?, ?, ?)",
                    (key, service, job_id, now),
                ),
                (
                    "INSERT INTO work_log (key, kind, detail, at) VALUES (?, 'retrieve_submit', ?, ?)",
                    (key, job_id, now),
                ),
            ],
        )

    async def forget_job(self, key: str, service: str) -> None:
        await anyio.to_thread.run_sync(
            self._execute_many, [("DELETE FROM jobs WHERE key = ? AND service = ?", (key, service))]
        )

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

    # -- claims: one worker at a time per paper and kind of work, across runs and processes --------
    # A claim expires `ttl_s` after it was taken or last renewed, so a crashed owner blocks its
    # papers for that long at most; a live owner renews all its claims (`renew_claims`).
    async def claim(self, key: str, kind: str, owner: str, *, ttl_s: float) -> bool:
        """Take the claim on (key, kind) unless another live owner holds it."""
        return await anyio.to_thread.run_sync(self._claim_sync, key, kind, owner, ttl_s)

    def _claim_sync(self, key: str, kind: str, owner: str, ttl_s: float) -> bool:
        with self._transaction():
            return self._take_claim(key, kind, owner, ttl_s)

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
        await anyio.to_thread.run_sync(
            self._execute_many,
            [("UPDATE claims SET expires_at = ? WHERE owner = ?", (time.time() + ttl_s, owner))],
        )

    async def release(self, key: str, kind: str, owner: str) -> None:
        await anyio.to_thread.run_sync(
            self._execute_many,
            [("DELETE FROM claims WHERE key = ? AND kind = ? AND owner = ?", (key, kind, owner))],
        )

    async def release_all(self, owner: str) -> None:
        await anyio.to_thread.run_sync(
            self._execute_many, [("DELETE FROM claims WHERE owner = ?", (owner,))]
        )

    # -- host reputation: what runs met at each host, so later runs order sources by it ---------
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

    # -- internals --------------------------------------------------------------------------------
    def _object_path(self, kind: str, sha: str) -> Path:
        suffix = ".pdf" if kind == "pdf" else ".md"
        return self.root / kind / sha[:2] / f"{sha}{suffix}"

    def _install(self, tmp_path: Path, kind: str, sha: str) -> Path:
        final = self._object_path(kind, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_path, final)
        return final

    def _query_one(self, sql: str, params: tuple) -> tuple | None:
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def _execute_many(self, statements: list[tuple[str, tuple]]) -> None:
        if not statements:
            return
        with self._transaction():
            for sql, params in statements:
                self._db.execute(sql, params)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """Blocking: this connection, alone, in one write transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
