"""How a run shows itself on the terminal: a live display by stage (a terminal), one line per
paper event (logs and pipes), or one JSON event per line (`--json`); then the closing report,
a table of outcomes by reason and the count line scripts read.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from ..conversion.quality.report import POOR_BELOW
from ..events import PaperStage
from ..run import RunListener
from .errors import notice

# Display buckets, in pipeline order; a paper sits in exactly one.
QUEUED = "queued"
DOWNLOADING = "downloading"
RETRIEVING = "retrieve-academic"
WAITING = "to convert"  # downloaded, waiting for a converter slot
CONVERTING = "converting"
DONE = "done"
FAILED = "failed"
BUCKETS = (QUEUED, DOWNLOADING, RETRIEVING, WAITING, CONVERTING, DONE, FAILED)
BUCKET_OF_STAGE: dict[PaperStage, str] = {
    PaperStage.QUEUED: QUEUED,
    PaperStage.CACHED: DONE,
    PaperStage.DOWNLOADING: DOWNLOADING,
    PaperStage.DOWNLOADED: WAITING,
    PaperStage.RETRIEVE_SUBMITTED: RETRIEVING,
    PaperStage.RETRIEVE_REATTACHED: RETRIEVING,
    PaperStage.RETRIEVE_STATUS: RETRIEVING,
    PaperStage.WAITING_ON_OTHER_RUN: WAITING,  # downloaded; another run converts it
    PaperStage.CONVERTING: CONVERTING,
    PaperStage.CONVERTED: DONE,
    PaperStage.FAILED: FAILED,
}
FINISHED_STAGES = frozenset({PaperStage.CONVERTED, PaperStage.CACHED, PaperStage.FAILED})


class StageBoard:
    """Which bucket each paper is in, from the stream of paper events."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._bucket: dict[int, str] = dict.fromkeys(range(total), QUEUED)

    def seed(self, decided: dict[str, dict]) -> None:
        """Papers a resumed run already decided (no events come for them again)."""
        for index, outcome in decided.items():
            self._bucket[int(index)] = DONE if outcome.get("status") == "converted" else FAILED

    def move(self, event: dict[str, Any]) -> None:
        bucket = BUCKET_OF_STAGE.get(event.get("stage", ""))
        if bucket is not None and isinstance(event.get("index"), int):
            self._bucket[event["index"]] = bucket

    def counts(self) -> Counter[str]:
        return Counter(self._bucket.values())

    @property
    def finished(self) -> int:
        counts = self.counts()
        return counts[DONE] + counts[FAILED]

    def counts_grid(self) -> Table:
        """Buckets over their counts, one column each; rich narrows it to the terminal."""
        counts = self.counts()
        grid = Table.grid(padding=(0, 2))
        for _ in BUCKETS:
            grid.add_column(justify="right")
        grid.add_row(*(Text(bucket, style="dim") for bucket in BUCKETS))
        grid.add_row(*(Text(str(counts[b]), style="bold" if counts[b] else "dim") for b in BUCKETS))
        return grid


def describe(event: dict[str, Any]) -> str:
    """One human line for one paper event."""
    stage = event.get("stage", "?")
    pages = _plural(event["pages"], "page") if event.get("pages") else None
    seconds = f"{event['seconds']:.2f} s" if event.get("seconds") is not None else None
    details = {
        PaperStage.QUEUED: "queued",
        PaperStage.CACHED: "already converted (reused)",
        PaperStage.DOWNLOADING: f"downloading {event.get('url', '')}".rstrip(),
        PaperStage.DOWNLOADED: "downloaded" + (" (reused)" if event.get("cached") else ""),
        PaperStage.RETRIEVE_SUBMITTED: f"sent to retrieve-academic (job {event.get('job_id')})",
        PaperStage.RETRIEVE_REATTACHED: f"back on retrieve-academic job {event.get('job_id')}",
        PaperStage.RETRIEVE_STATUS: f"retrieve-academic: {event.get('status')}",
        PaperStage.WAITING_ON_OTHER_RUN: "waiting: another run sharing the workspace converts it",
        PaperStage.CONVERTING: "converting",
        PaperStage.CONVERTED: "converted",
        PaperStage.FAILED: f"failed: {event.get('reason', 'unknown')}",
    }
    text = details.get(stage, stage)
    measured = stage in {PaperStage.DOWNLOADED, PaperStage.CONVERTED}
    extra = ", ".join(filter(None, [pages, seconds])) if measured else ""
    who = f"#{event.get('index')}" + (f" {event['key']}" if event.get("key") else "")
    return f"{who}: {text}" + (f" ({extra})" if extra else "")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class Reporter(RunListener):
    """How a run shows itself. The base shows only notes; subclasses pick a presentation."""

    def __init__(self, total: int) -> None:
        self.board = StageBoard(total)
        self.started_at = time.time()

    def note(self, message: str) -> None:
        notice(message)

    def resuming(self, thread_id: str, decided: dict[str, dict]) -> None:
        self.board.seed(decided)

    def started(self) -> None:
        self.started_at = time.time()

    def event(self, event: dict[str, Any]) -> None:
        self.board.move(event)

    def close(self) -> None:
        """Stop any live display (on error paths too)."""

    def finish(
        self, outcomes: list[dict], summary: dict[str, Any], *, out_dir: Path, manifest: Path
    ) -> None:
        self.close()


class JsonReporter(Reporter):
    """One JSON object per line: every paper event, then one summary event."""

    def event(self, event: dict[str, Any]) -> None:
        super().event(event)
        _echo_json(event)

    def finish(
        self, outcomes: list[dict], summary: dict[str, Any], *, out_dir: Path, manifest: Path
    ) -> None:
        _echo_json(
            {
                "event": "summary",
                **summary,
                "out_dir": str(out_dir),
                "manifest": str(manifest),
                "seconds": round(time.time() - self.started_at, 3),
            }
        )


def _echo_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


class _HumanReporter(Reporter):
    """Shared end of the two human presentations: a table by reason, then the count line."""

    def __init__(self, total: int, console: Console) -> None:
        super().__init__(total)
        self.console = console

    def finish(
        self, outcomes: list[dict], summary: dict[str, Any], *, out_dir: Path, manifest: Path
    ) -> None:
        self.close()
        self.console.print(outcome_table(outcomes))
        self.console.print(f"markdown: {out_dir}", highlight=False, soft_wrap=True)
        self.console.print(f"manifest: {manifest}", highlight=False, soft_wrap=True)
        # The last line, exactly; scripts and people read it.
        click.echo(f"{summary['converted']} converted, {summary['failed']} failed")


class PlainReporter(_HumanReporter):
    """One line per paper event, for logs and pipes."""

    def __init__(self, total: int, console: Console) -> None:
        super().__init__(total, console)
        self._last_status: dict[int, str] = {}

    def started(self) -> None:
        super().started()
        click.echo(f"{self.board.total} papers")

    def event(self, event: dict[str, Any]) -> None:
        super().event(event)
        if event.get("stage") == PaperStage.RETRIEVE_STATUS:
            # Polls repeat the same status for a long time; a change is news.
            index = event.get("index", -1)
            if self._last_status.get(index) == event.get("status"):
                return
            self._last_status[index] = event.get("status", "")
        elapsed = time.time() - self.started_at
        click.echo(f"[{elapsed:7.2f}s] {describe(event)}")


class _StageProgress(Progress):
    """One bar for finished papers, with the count of papers in each bucket under it."""

    def __init__(self, board: StageBoard, **kwargs: Any) -> None:
        self._board = board  # before super().__init__, which renders once
        super().__init__(*self._columns(), **kwargs)

    @staticmethod
    def _columns() -> Iterable[Any]:
        return (
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
        )

    def get_renderables(self) -> Iterable[RenderableType]:
        yield self.make_tasks_table(self.tasks)
        yield self._board.counts_grid()


class LiveReporter(_HumanReporter):
    """A live display by stage on a terminal; each finished paper is logged above it."""

    def __init__(self, total: int, console: Console) -> None:
        super().__init__(total, console)
        self._progress = _StageProgress(self.board, console=console, transient=False)
        self._task = self._progress.add_task("papers", total=total)
        self._live = False

    def started(self) -> None:
        super().started()
        # reset, not update: papers a resumed run finished earlier must not count as speed
        self._progress.reset(self._task, completed=self.board.finished)
        self._progress.start()
        self._live = True

    def event(self, event: dict[str, Any]) -> None:
        super().event(event)
        if event.get("stage") in FINISHED_STAGES:
            style = "red" if event["stage"] == PaperStage.FAILED else "green"
            self._progress.console.print(Text(describe(event), style=style))
        self._progress.update(self._task, completed=self.board.finished)

    def close(self) -> None:
        if self._live:
            self._progress.stop()
            self._live = False


def choose_reporter(*, json_events: bool, total: int) -> Reporter:
    if json_events:
        return JsonReporter(total)
    console = Console()
    if console.is_terminal:
        return LiveReporter(total, console)
    return PlainReporter(total, console)


def outcome_table(outcomes: list[dict[str, Any]]) -> Table:
    """Papers by outcome: converted (and how many were reused), then each failure reason."""
    table = Table(title="Outcomes", title_justify="left")
    table.add_column("outcome")
    table.add_column("papers", justify="right")
    table.add_column("example")
    converted = [o for o in outcomes if o["status"] == "converted"]
    if converted:
        reused = sum(bool(o.get("cached")) for o in converted)
        formats = Counter(o.get("format") or "pdf" for o in converted)
        notes = [", ".join(f"{n} {fmt}" for fmt, n in formats.most_common())]
        if reused:
            notes.append(f"{reused} reused from the workspace")
        table.add_row("converted", str(len(converted)), "; ".join(notes), style="green")
        _add_quality_rows(table, converted)
    failed_by_reason: dict[str, list[dict]] = {}
    for outcome in outcomes:
        if outcome["status"] == "failed":
            failed_by_reason.setdefault(outcome.get("reason") or "unknown", []).append(outcome)
    for reason, group in sorted(failed_by_reason.items(), key=lambda item: -len(item[1])):
        table.add_row(f"failed: {reason}", str(len(group)), _failure_example(group[0]), style="red")
    return table


def _add_quality_rows(table: Table, converted: list[dict[str, Any]]) -> None:
    """Converted papers whose pages were repaired, and those still poor after the repairs."""
    checked = [o for o in converted if o.get("quality")]
    repaired = [o for o in checked if any(p["repaired_by"] for p in o["quality"]["pages"])]
    poor = [o for o in checked if o["quality"]["score"] < POOR_BELOW]
    if repaired:
        table.add_row("  repaired", str(len(repaired)), _repair_example(repaired[0]))
    if poor:
        worst = min(poor, key=lambda o: o["quality"]["score"])
        table.add_row(
            f"  still poor (score < {POOR_BELOW:g})",
            str(len(poor)),
            f"{_who(worst)}: score {worst['quality']['score']:.2f}"
            f" ({', '.join(worst['quality']['flags']) or 'no flags'})",
            style="yellow",
        )


def _repair_example(outcome: dict[str, Any]) -> str:
    by_rung: dict[str, list[str]] = {}
    for page in outcome["quality"]["pages"]:
        if page["repaired_by"]:
            by_rung.setdefault(page["repaired_by"], []).append(str(page["page"] + 1))
    rungs = "; ".join(f"page(s) {', '.join(pages)} by {rung}" for rung, pages in by_rung.items())
    return f"{_who(outcome)}: {rungs}"


def _who(outcome: dict[str, Any]) -> str:
    return f"#{outcome['index']}" + (f" {outcome['key']}" if outcome.get("key") else "")


def _failure_example(outcome: dict[str, Any]) -> str:
    """`#3 doi:…: <message> (tried: html_page, job_failed)`: the path that led to the failure."""
    who = _who(outcome)
    tried = [a.get("reason") for a in outcome.get("tried") or [] if a.get("reason")]
    path = f" (tried: {', '.join(tried)})" if len(tried) > 1 else ""
    return f"{who}: {outcome.get('message') or ''}{path}"
