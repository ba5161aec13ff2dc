"""Artifacts: content-addressed validated PDFs and converted markdown, and the work log.

    pdf/ab/<sha256>.pdf   validated downloads
    md/ab/<sha256>.md     converted markdown

Files are written under tmp/ and renamed into place (atomic on one filesystem), and only then
indexed, so a reader never sees a half-written artifact. File names are hashes, never DOIs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread

from ..conversion.quality.report import improvable
from ..models import Outcome, format_of_converter
from .index import Index


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


class ArtifactFiles(Index):
    """PDFs and markdown by paper key, and the log of work done (downloads, conversions).

    `rungs` are the quality repairs this run has (conversion/quality/report.py): stored markdown
    with a flagged page that one of them could repair, but that was made without it, is not
    offered for reuse (lookups see the PDF only), so the paper is converted again.
    """

    def __init__(self, workspace: str | os.PathLike[str], *, rungs: Sequence[str] = ()) -> None:
        super().__init__(workspace)
        self._rungs = list(rungs)

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

    def _object_path(self, kind: str, sha: str) -> Path:
        suffix = ".pdf" if kind == "pdf" else ".md"
        return self.root / kind / sha[:2] / f"{sha}{suffix}"

    def _install(self, tmp_path: Path, kind: str, sha: str) -> Path:
        final = self._object_path(kind, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_path, final)
        return final
