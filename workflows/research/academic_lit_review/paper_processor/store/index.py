"""The workspace's one SQLite index, which every concern of the store shares.

`Index` opens the workspace (folders, the index in WAL mode so several processes can share
it, the schema, columns later versions added), and gives the concerns built on it one
connection behind a lock: a write transaction, single reads, and worker-thread helpers so
async code never touches SQLite or the disk on the event loop.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import anyio
import anyio.to_thread

# The on-disk schema: existing workspaces keep working, so tables and columns are only added.
SCHEMA = """
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
# Columns added to `artifacts` after its first version.
_LATER_ARTIFACT_COLUMNS = ("quality", "structure")
INDEX_NAME = "index.sqlite3"
_STALE_TMP_S = 24 * 3600


class Index:
    """The workspace folder and its SQLite index; the base of every concern of the store."""

    def __init__(self, workspace: str | os.PathLike[str]) -> None:
        self.root = Path(workspace).expanduser().resolve()
        self.tmp_dir = self.root / "tmp"
        for sub in ("pdf", "md", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.root / INDEX_NAME, check_same_thread=False, timeout=30, isolation_level=None
        )
        self._use_wal()
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._add_missing_columns()
        self._remove_stale_tmp()

    # -- life cycle -------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._db.close()

    async def aclose(self) -> None:
        """Close from async code: the last connection's close checkpoints the WAL to disk."""
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self.close)

    async def __aenter__(self) -> Self:
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
        for column in _LATER_ARTIFACT_COLUMNS:
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

    # -- temp files -------------------------------------------------------------------------------
    def temp_path(self, suffix: str) -> Path:
        """A fresh path under tmp/, on the store's filesystem so it can be renamed into place.

        Only a name: no file is created, so async code may call it on the event loop.
        """
        return self.tmp_dir / f"{uuid.uuid4().hex}{suffix}"

    # -- SQL ----------------------------------------------------------------------------------------
    def _query_one(self, sql: str, params: tuple) -> tuple | None:
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def _execute_many(self, statements: list[tuple[str, tuple]]) -> None:
        if not statements:
            return
        with self._transaction():
            for sql, params in statements:
                self._db.execute(sql, params)

    async def _execute(self, *statements: tuple[str, tuple]) -> None:
        """The statements in one write transaction, in a worker thread."""
        await anyio.to_thread.run_sync(self._execute_many, list(statements))

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
