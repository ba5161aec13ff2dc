"""The artifact store's concerns over its one SQLite index: a workspace made by an earlier
version keeps working, and a conversion claim is taken, waited for, and released."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import anyio

from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore, Claims

# The index as the first version of the store wrote it (before quality and structure).
FIRST_SCHEMA = """
CREATE TABLE artifacts (
    key TEXT PRIMARY KEY,
    pdf_sha TEXT, pages INTEGER, source TEXT, source_url TEXT,
    markdown_sha TEXT, converter TEXT, mode TEXT, mode_reason TEXT,
    updated_at REAL NOT NULL
);
CREATE TABLE jobs (
    key TEXT NOT NULL, service TEXT NOT NULL, job_id TEXT NOT NULL, submitted_at REAL NOT NULL,
    PRIMARY KEY (key, service)
);
CREATE TABLE outcomes (key TEXT PRIMARY KEY, outcome TEXT NOT NULL, updated_at REAL);
CREATE TABLE claims (
    key TEXT NOT NULL, kind TEXT NOT NULL, owner TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (key, kind)
);
CREATE TABLE work_log (key TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT, at REAL NOT NULL);
"""


def _old_workspace(root: Path) -> str:
    """A workspace with one converted paper and one job, as an earlier version left it."""
    markdown = b"# An old paper\n\nIts text.\n"
    sha = hashlib.sha256(markdown).hexdigest()
    (root / "md" / sha[:2]).mkdir(parents=True)
    (root / "md" / sha[:2] / f"{sha}.md").write_bytes(markdown)
    db = sqlite3.connect(root / "index.sqlite3")
    db.executescript(FIRST_SCHEMA)
    db.execute(
        "INSERT INTO artifacts (key, markdown_sha, converter, mode, updated_at)"
        " VALUES ('doi:10.1/old', ?, 'marker', 'text_layer', 1.0)",
        (sha,),
    )
    db.execute("INSERT INTO jobs VALUES ('doi:10.1/held', 'http://svc', 'job-7', 1.0)")
    db.commit()
    db.close()
    return sha


async def test_a_workspace_from_an_earlier_version_keeps_working(tmp_path: Path) -> None:
    sha = _old_workspace(tmp_path)
    async with await ArtifactStore.open(tmp_path) as store:
        stored = await store.lookup("doi:10.1/old")
        assert stored is not None and stored.markdown_path is not None
        assert stored.markdown_path.name == f"{sha}.md" and stored.quality is None
        assert await store.job_for("doi:10.1/held", "http://svc") == "job-7"
        # Writing what later versions add (quality, structure) works on the old table.
        new = store.temp_path(".md")
        new.write_text("# New\n", encoding="utf-8")
        await store.put_markdown(
            "doi:10.1/new",
            new,
            converter="marker",
            mode="text_layer",
            mode_reason="test",
            quality={"score": 1.0, "flags": [], "pages": []},
            structure={"headings": [{"level": 1, "text": "New"}]},
        )
        again = await store.lookup("doi:10.1/new")
    assert again is not None and again.quality == {"score": 1.0, "flags": [], "pages": []}
    assert again.structure == {"headings": [{"level": 1, "text": "New"}]}


async def test_a_claim_is_held_by_one_owner_until_released(tmp_path: Path) -> None:
    async with await ArtifactStore.open(tmp_path) as store:
        first, second = Claims(store, "run-a"), Claims(store, "run-b")
        waited: list[str] = []
        async with first.claim("doi:10.1/x") as held:
            assert await held.take()
            taken_by_second = anyio.Event()

            async def second_run() -> None:
                async with second.claim("doi:10.1/x") as claim:
                    assert await claim.take(on_wait=lambda: waited.append("b"))
                    taken_by_second.set()

            async with anyio.create_task_group() as tg:
                tg.start_soon(second_run)
                await anyio.sleep(0.7)  # the second run polls and waits meanwhile
                assert waited == ["b"] and not taken_by_second.is_set()
                await held.release()  # the first run gives it up: the second takes it
                with anyio.fail_after(5):
                    await taken_by_second.wait()
        # The second run's claim was released on leaving its block: the first takes it again.
        async with first.claim("doi:10.1/x") as claim:
            with anyio.fail_after(2):
                assert await claim.take()


async def test_no_claim_is_taken_for_a_paper_whose_markdown_is_stored(tmp_path: Path) -> None:
    async with await ArtifactStore.open(tmp_path) as store:
        markdown = store.temp_path(".md")
        markdown.write_text("# Done\n", encoding="utf-8")
        await store.put_markdown(
            "doi:10.1/done", markdown, converter="marker", mode=None, mode_reason=None
        )
        async with Claims(store, "run-a").claim("doi:10.1/done") as claim:
            assert not await claim.take()
