"""The `paper-processor` command line: the only place that owns the terminal.

    paper-processor run PAPERS --out DIR     papers in, DIR/<paper>.md and DIR/manifest.jsonl out
    paper-processor doctor                   what this machine will do, and what is reachable

Errors a user can fix (an unreadable input file, bad JSON, a bad option or setting) end the
command with exit code 2 and one line on stderr, never a traceback. A run that finishes exits 0
even when some papers failed: each paper's failure is data in the manifest. Systemic failures
exit 1 and say how to resume.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import click
import httpx
from pydantic import ValidationError
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

from .context import Context
from .conversion.quality.report import POOR_BELOW
from .errors import ConfigurationError, PaperProcessorError
from .store import safe_stem

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

MANIFEST_NAME = "manifest.jsonl"
CHECKPOINTS_NAME = "checkpoints.sqlite"
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
# importing torch alone takes seconds; past this the doctor reports "no answer" and moves on
TORCH_PROBE_TIMEOUT_S = 30.0
SOURCE_PROBE_TIMEOUT_S = 5.0


class UserError(click.ClickException):
    """Something the user can fix: bad input file, option or setting. Exit code 2."""

    exit_code = EXIT_USAGE


def _fail(message: str) -> NoReturn:
    raise UserError(message)


# --------------------------------------------------------------------------------------------
# The command group
# --------------------------------------------------------------------------------------------
class _CommandLine(click.Group):
    """Click group whose errors are one line on stderr (click's own are multi-line usage dumps).

    `main(args, standalone_mode=False)` returns the exit code instead of exiting, so the demo
    can run the command line in-process.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        code = self._exit_code(args, prog_name or "paper-processor", complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _exit_code(
        self, args: Sequence[str] | None, prog_name: str, complete_var: str | None, **extra: Any
    ) -> int:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # `paper-processor` alone: the help
            click.echo(exc.format_message(), err=True)
            return EXIT_USAGE
        except click.ClickException as exc:
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            _print_error(f"{exc.format_message()}{hint}")
            return exc.exit_code
        except click.Abort:
            _print_error("interrupted")
            return EXIT_INTERRUPTED
        return result if isinstance(result, int) else EXIT_OK


def _print_error(message: str) -> None:
    # One line, whatever the message held (pydantic and JSON messages can span lines).
    click.echo(f"error: {' '.join(message.split())}", err=True)


def _notice(message: str) -> None:
    click.echo(message, err=True)


@click.group(cls=_CommandLine, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Turn academic papers into markdown full texts: open-access PDFs and retrieve-academic in,
    marker markdown out."""


def _check_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise click.BadParameter(f"{value!r} is not an http(s) URL")
    return value.rstrip("/")


_workspace_option = click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    help="Artifact store and checkpoints [default: PAPER_PROCESSOR_WORKSPACE or the user cache].",
)
_retrieve_option = click.option(
    "--retrieve-url",
    callback=_check_url,
    help="Base URL of retrieve-academic [default: PAPER_PROCESSOR_RETRIEVE_URL; unset: not used].",
)


# --------------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """What `paper-processor run` was asked to do. None means "not given": settings decide."""

    papers_file: Path | None
    out_dir: Path
    dois: tuple[str, ...] = ()
    workspace: Path | None = None
    retrieve_url: str | None = None
    json_events: bool = False
    resume: bool = False
    concurrency: int | None = None
    workers: int | None = None
    backend: str | None = None
    ray_address: str | None = None


@main.command("run")
@click.argument("papers_file", metavar="PAPERS", required=False, type=click.Path(path_type=Path))
@click.option(
    "--doi",
    "dois",
    multiple=True,
    help="A paper by DOI (repeatable), described through the configured OpenAlex.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for <paper>.md files and manifest.jsonl.",
)
@_workspace_option
@_retrieve_option
@click.option("--json", "json_events", is_flag=True, help="Print one JSON event per line.")
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the interrupted run of this input into this --out folder.",
)
@click.option("--concurrency", type=click.IntRange(min=1), help="Papers downloaded at once.")
@click.option(
    "--workers", type=click.IntRange(min=1), help="Converter workers (processes or actors)."
)
@click.option(
    "--backend",
    type=click.Choice(["local", "ray"]),
    help="Where conversions run: local worker processes, or Ray actors.",
)
@click.option("--ray-address", help="Ray cluster address for --backend ray (host:6379, auto).")
def run_command(**options: Any) -> int:
    """Convert the papers in PAPERS (a JSON list, {"papers": [...]}, or JSON lines) and --doi."""
    return run_papers(RunOptions(**options))


def run_papers(options: RunOptions) -> int:
    """Run the paper processor on a papers file; return the exit code. Raises UserError."""
    if options.papers_file is None and not options.dois:
        _fail("give a papers file (PAPERS) or at least one --doi")
    papers = read_papers(options.papers_file) if options.papers_file is not None else []
    ctx = _context(
        workspace=str(options.workspace) if options.workspace else None,
        retrieve_url=options.retrieve_url,
        download_concurrency=options.concurrency,
        conversion_workers=options.workers,
        conversion_backend=options.backend,
        ray_address=options.ray_address,
    )
    if options.dois:
        papers.extend(_papers_for_dois(options.dois, ctx))
    out_dir = _make_dir(options.out_dir, "output folder")
    workspace = _make_dir(Path(ctx.workspace).expanduser(), "workspace")
    reporter = _reporter(json_events=options.json_events, total=len(papers))
    try:
        with _terminate_as_interrupt():
            outcomes, summary = asyncio.run(
                _run_graph(
                    papers,
                    ctx,
                    workspace=workspace,
                    out_dir=out_dir,
                    resume=options.resume,
                    reporter=reporter,
                )
            )
    except KeyboardInterrupt:
        reporter.close()
        _notice("interrupted; run the same command with --resume to continue")
        return EXIT_INTERRUPTED
    except ConfigurationError as exc:
        reporter.close()
        _print_error(str(exc))
        return EXIT_USAGE
    except PaperProcessorError as exc:
        reporter.close()
        _print_error(f"run failed: {exc}; run the same command with --resume to retry it")
        return EXIT_FAILED
    finally:
        _stop_local_services()
    manifest = write_outputs(out_dir, outcomes)
    reporter.finish(outcomes, summary, out_dir=out_dir, manifest=manifest)
    return EXIT_OK


def _stop_local_services() -> None:
    """Stop what the run started that outlives it (a local Ray cluster), however it ended.

    Ctrl-C and SIGTERM are ignored meanwhile (a few seconds at most): a second one must not
    leave half of it running.
    """
    from .conversion.backend import stop_local_services

    with _interrupts_ignored():
        stop_local_services()


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (kill, timeout, a process manager) ends the run as Ctrl-C does: cancelled, its
    processes stopped, resumable. Python's default would end it at once, leaving them running."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, frame: Any) -> None:
        on_sigint = signal.getsignal(signal.SIGINT)  # asyncio.run's, while it runs
        if callable(on_sigint):
            on_sigint(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _interrupts_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change signal handlers
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _context(**explicit: Any) -> Context:
    """Settings: options given on the command line beat PAPER_PROCESSOR_* variables."""
    try:
        return Context(**{k: v for k, v in explicit.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        _fail(f"setting {field} (PAPER_PROCESSOR_{field.upper()}): {first.get('msg', 'invalid')}")


def _make_dir(path: Path, what: str) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"{path}: cannot create the {what} ({exc.strerror or exc})")
    return path.resolve()


# -- input -------------------------------------------------------------------------------------
def _papers_for_dois(raw_dois: tuple[str, ...], ctx: Context) -> list[dict[str, Any]]:
    from .acquisition.metadata import describe_dois
    from .models import normalize_doi

    dois = []
    for raw in raw_dois:
        try:
            dois.append(normalize_doi(raw))
        except ValueError as exc:
            _fail(f"--doi {raw!r}: {exc}")
    papers, notes = asyncio.run(describe_dois(dois, ctx))
    for note in notes:
        _notice(note)
    return papers


def read_papers(path: Path) -> list[dict[str, Any]]:
    """The papers in a JSON or JSON-lines file. Only the file's shape is checked here; each
    paper is validated by the graph, and an invalid one becomes that paper's failed outcome."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(f"{path}: no such file")
    except IsADirectoryError:
        _fail(f"{path}: is a folder, not a papers file")
    except UnicodeDecodeError as exc:
        _fail(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})")
    except OSError as exc:
        _fail(f"{path}: cannot read ({exc.strerror or exc})")
    if not text.strip():
        _fail(f"{path}: the file is empty (expected a JSON list of papers)")
    if path.suffix.lower() in JSONL_SUFFIXES:
        return _papers_from_json_lines(path, text)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and text.lstrip().startswith("{"):
            return _papers_from_json_lines(path, text)  # JSON lines under a .json name
        _fail(f"{path}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})")
    return _papers_from_document(path, document)


def _papers_from_json_lines(path: Path, text: str) -> list[dict[str, Any]]:
    papers = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            paper = json.loads(line)
        except json.JSONDecodeError as exc:
            _fail(f"{path}: line {number} is not valid JSON (column {exc.colno}: {exc.msg})")
        if not isinstance(paper, dict):
            _fail(f"{path}: line {number} is {_kind(paper)}, not a paper object")
        papers.append(paper)
    return papers


def _papers_from_document(path: Path, document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict):
        if "papers" not in document:
            _fail(
                f'{path}: expected a list of papers or an object with a "papers" list,'
                f" got an object with keys {', '.join(sorted(document)[:5]) or 'none'}"
            )
        document = document["papers"]
        where = '"papers"'
    else:
        where = "the file"
    if not isinstance(document, list):
        _fail(f"{path}: {where} must be a list of paper objects, not {_kind(document)}")
    for index, paper in enumerate(document):
        if not isinstance(paper, dict):
            _fail(f"{path}: paper #{index} is {_kind(paper)}, not an object")
    return document


def _kind(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


# -- the graph run -----------------------------------------------------------------------------
def run_fingerprint(papers: list[dict[str, Any]], out_dir: Path) -> str:
    """Identifies "this input into this folder", so --resume finds the run it continues."""
    canonical = json.dumps({"papers": papers, "out": str(out_dir)}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


async def _run_graph(
    papers: list[dict[str, Any]],
    ctx: Context,
    *,
    workspace: Path,
    out_dir: Path,
    resume: bool,
    reporter: Reporter,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    # Imported here so `--help`, input errors and `doctor` stay fast.
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from .graph import build_graph

    fingerprint = run_fingerprint(papers, out_dir)
    async with AsyncSqliteSaver.from_conn_string(str(workspace / CHECKPOINTS_NAME)) as saver:
        graph = build_graph().compile(checkpointer=saver, name="paper_processor")
        unfinished = await _unfinished_thread(graph, saver, fingerprint)
        graph_input: dict[str, Any] | None = {"papers": papers}
        if resume and unfinished is not None:
            thread_id, decided = unfinished
            graph_input = None  # None continues the thread from its last checkpoint
            reporter.seed(decided)
            _notice(f"resuming the interrupted run {thread_id}")
        else:
            if resume:
                _notice("nothing to resume for this input; starting a new run")
            elif unfinished is not None:
                # A new run supersedes it (--resume finds the latest run); what it finished
                # lives on in the artifact store, so its checkpoints only take up space.
                await saver.adelete_thread(unfinished[0])
                _notice(
                    "note: an earlier run of this input was interrupted; starting a new"
                    " run, which reuses the papers it finished"
                )
            thread_id = f"{fingerprint}-{uuid.uuid4().hex[:12]}"
        config = {
            "configurable": {"thread_id": thread_id},
            "metadata": {"run_fingerprint": fingerprint},
        }
        result: dict[str, Any] | None = None
        reporter.start()
        # durability="sync": the checkpoint after `prepare` must be on disk before the long
        # streaming step starts, or an interrupt there would leave nothing to resume.
        async for mode, chunk in graph.astream(
            graph_input,
            config=config,
            context=ctx,
            stream_mode=["custom", "updates"],
            durability="sync",
        ):
            if mode == "custom" and isinstance(chunk, dict):
                reporter.event(chunk)
            elif mode == "updates" and isinstance(chunk, dict) and "finalize" in chunk:
                result = chunk["finalize"]
        if result is None:
            raise PaperProcessorError("the run ended without a result")
        # A finished thread is never resumed, and its last checkpoint holds every markdown body.
        await saver.adelete_thread(thread_id)
        return result["outcomes"], dict(result["summary"])


async def _unfinished_thread(
    graph: Any, saver: Any, fingerprint: str
) -> tuple[str, dict[str, dict]] | None:
    """The latest thread of this input, if it stopped before the end, with the papers whose
    fate was already decided."""
    # Drain the listing before anything else: the saver holds its lock while the generator is
    # suspended, so the aget_state below would wait on it forever.
    latest = [c async for c in saver.alist(None, filter={"run_fingerprint": fingerprint}, limit=1)]
    if not latest:
        return None
    thread_id = latest[0].config["configurable"]["thread_id"]
    snapshot = await graph.aget_state({"configurable": {"thread_id": thread_id}})
    if not snapshot.next:
        return None
    return thread_id, dict(snapshot.values.get("results") or {})


# -- output ------------------------------------------------------------------------------------
def write_outputs(out_dir: Path, outcomes: list[dict[str, Any]]) -> Path:
    """Write DIR/<stem>.md for each converted paper and DIR/manifest.jsonl; return the manifest.

    Every file is written whole to a temporary name and renamed, so a reader never sees half.
    """
    lines = []
    for outcome in outcomes:
        markdown_file = None
        if outcome["status"] == "converted" and outcome.get("key"):
            markdown = outcome.get("markdown")
            if markdown is None and outcome.get("markdown_path"):
                markdown = Path(outcome["markdown_path"]).read_text(encoding="utf-8")
            markdown_file = f"{safe_stem(outcome['key'])}.md"
            _write_atomically(out_dir / markdown_file, markdown or "")
        record = {k: v for k, v in outcome.items() if k != "markdown"}
        record["markdown_file"] = markdown_file
        lines.append(json.dumps(record, ensure_ascii=False, default=str))
    manifest = out_dir / MANIFEST_NAME
    _write_atomically(manifest, "".join(f"{line}\n" for line in lines))
    return manifest


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------------
# Reporting a run: live display, plain lines, or JSON events
# --------------------------------------------------------------------------------------------
# Display buckets, in pipeline order; a paper sits in exactly one.
QUEUED = "queued"
DOWNLOADING = "downloading"
RETRIEVING = "retrieve-academic"
WAITING = "to convert"  # downloaded, waiting for a converter slot
CONVERTING = "converting"
DONE = "done"
FAILED = "failed"
BUCKETS = (QUEUED, DOWNLOADING, RETRIEVING, WAITING, CONVERTING, DONE, FAILED)
BUCKET_OF_STAGE = {
    "queued": QUEUED,
    "cached": DONE,
    "downloading": DOWNLOADING,
    "downloaded": WAITING,
    "retrieve_submitted": RETRIEVING,
    "retrieve_reattached": RETRIEVING,
    "retrieve_status": RETRIEVING,
    "converting": CONVERTING,
    "converted": DONE,
    "failed": FAILED,
}


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
        "queued": "queued",
        "cached": "already converted (reused)",
        "downloading": f"downloading {event.get('url', '')}".rstrip(),
        "downloaded": "downloaded" + (" (reused)" if event.get("cached") else ""),
        "retrieve_submitted": f"sent to retrieve-academic (job {event.get('job_id')})",
        "retrieve_reattached": f"back on retrieve-academic job {event.get('job_id')}",
        "retrieve_status": f"retrieve-academic: {event.get('status')}",
        "converting": "converting",
        "converted": "converted",
        "failed": f"failed: {event.get('reason', 'unknown')}",
    }
    text = details.get(stage, stage)
    measured = stage in {"downloaded", "converted"}
    extra = ", ".join(filter(None, [pages, seconds])) if measured else ""
    who = f"#{event.get('index')}" + (f" {event['key']}" if event.get("key") else "")
    return f"{who}: {text}" + (f" ({extra})" if extra else "")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class Reporter:
    """How a run shows itself. The base is silent; subclasses pick a presentation."""

    def __init__(self, total: int) -> None:
        self.board = StageBoard(total)
        self.started = time.time()

    def seed(self, decided: dict[str, dict]) -> None:
        self.board.seed(decided)

    def start(self) -> None:
        self.started = time.time()

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
                "seconds": round(time.time() - self.started, 3),
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

    def start(self) -> None:
        super().start()
        click.echo(f"{self.board.total} papers")

    def event(self, event: dict[str, Any]) -> None:
        super().event(event)
        if event.get("stage") == "retrieve_status":
            # Polls repeat the same status for a long time; a change is news.
            index = event.get("index", -1)
            if self._last_status.get(index) == event.get("status"):
                return
            self._last_status[index] = event.get("status", "")
        elapsed = time.time() - self.started
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

    def start(self) -> None:
        super().start()
        # reset, not update: papers a resumed run finished earlier must not count as speed
        self._progress.reset(self._task, completed=self.board.finished)
        self._progress.start()
        self._live = True

    def event(self, event: dict[str, Any]) -> None:
        super().event(event)
        if event.get("stage") in {"converted", "cached", "failed"}:
            style = "red" if event["stage"] == "failed" else "green"
            self._progress.console.print(Text(describe(event), style=style))
        self._progress.update(self._task, completed=self.board.finished)

    def close(self) -> None:
        if self._live:
            self._progress.stop()
            self._live = False


def _reporter(*, json_events: bool, total: int) -> Reporter:
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


# --------------------------------------------------------------------------------------------
# doctor
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    detail: str
    problem: bool = False


@dataclass(frozen=True)
class Source:
    """A place papers come from that the doctor can probe. Add sources here as they appear."""

    name: str
    url: str
    probe_path: str = ""
    describe_answer: Callable[[httpx.Response], tuple[str, bool]] | None = None


# The base URL each open-access route of `source_order` talks to (oa_urls has none of its own).
_ROUTE_BASES = {
    "arxiv": "arxiv_base",
    "pmc": "pmc_base",
    "doi_landing": "doi_resolver_base",
    "unpaywall": "unpaywall_base",
    "openalex": "openalex_base",
    "crossref": "crossref_base",
}


def configured_sources(ctx: Context) -> list[Source]:
    sources = [
        Source(route, getattr(ctx, _ROUTE_BASES[route]).rstrip("/"))
        for route in ctx.source_order
        if route in _ROUTE_BASES
    ]
    if ctx.retrieve_url:
        sources.append(
            Source(
                "retrieve-academic",
                ctx.retrieve_url.rstrip("/"),
                "/health",
                _describe_retrieve_health,
            )
        )
    return sources


def _describe_retrieve_health(response: httpx.Response) -> tuple[str, bool]:
    """Health in retrieve-academic's terms, judged as the run's gate judges it."""
    from .retrieve.client import Health

    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}, health is not JSON", True
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}, health is not a JSON object", True
    health = Health(status=str(body.get("status", "")), vpn_connected=body.get("vpn_connected"))
    vpn = {True: "VPN connected", False: "VPN NOT connected", None: "VPN unknown"}[
        health.vpn_connected if isinstance(health.vpn_connected, bool) else None
    ]
    healthy = health.ok and health.vpn_connected is not False
    return f"health {health.status or '?'!r}, {vpn}", not healthy


def probe_source(source: Source) -> Check:
    url = f"{source.url}{source.probe_path}"
    started = time.perf_counter()
    try:
        response = httpx.get(url, timeout=SOURCE_PROBE_TIMEOUT_S, follow_redirects=True)
    except httpx.HTTPError as exc:
        return Check(
            f"source {source.name}",
            f"{source.url} unreachable ({type(exc).__name__}: {exc})",
            problem=True,
        )
    took_ms = (time.perf_counter() - started) * 1000
    detail = (
        f"{source.url} reachable (GET {source.probe_path or '/'}:"
        f" HTTP {response.status_code}, {took_ms:.0f} ms)"
    )
    problem = response.status_code >= 500
    if source.describe_answer is not None:
        answer, problem = source.describe_answer(response)
        detail = f"{detail}; {answer}"
    return Check(f"source {source.name}", detail, problem=problem)


def check_backend(ctx: Context) -> Check:
    if ctx.conversion_backend == "local":
        return Check("conversion backend", f"local: {ctx.conversion_workers} worker process(es)")
    address = ctx.ray_address or os.environ.get("RAY_ADDRESS") or "a local cluster started per run"
    return Check(
        "conversion backend",
        f"ray: {ctx.conversion_workers} actor(s), {ctx.ray_num_gpus:g} GPU each, at {address}",
    )


def check_marker() -> Check:
    try:
        return Check("marker", f"marker-pdf {metadata.version('marker-pdf')}")
    except metadata.PackageNotFoundError:
        return Check("marker", "marker-pdf is not installed", problem=True)


def check_conversion_mode(ctx: Context) -> list[Check]:
    from .conversion.mode import decide_mode

    checks = []
    if ctx.converter != "marker":
        checks.append(
            Check("converter", f"{ctx.converter} (a stand-in for benchmarks: marker is not used)")
        )
    try:
        decision = decide_mode(ctx.marker_mode)
    except ConfigurationError as exc:
        return [*checks, Check("conversion mode", str(exc), problem=True)]
    return [*checks, Check("conversion mode", f"{decision.mode} — {decision.reason}")]


_TORCH_PROBE = (
    "import json, torch\n"
    "gpu = torch.cuda.is_available()\n"
    "name = torch.cuda.get_device_name(0) if gpu else None\n"
    "print(json.dumps({'version': torch.__version__, 'gpu': gpu, 'name': name}))\n"
)


def check_torch_gpu() -> Check:
    """torch.cuda.is_available(), asked in a child process: importing torch is slow, and a
    broken CUDA setup can hang it; the timeout keeps the doctor quick."""
    try:
        result = subprocess.run(
            [sys.executable, "-c", _TORCH_PROBE],
            capture_output=True,
            text=True,
            timeout=TORCH_PROBE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Check("torch", f"no answer within {TORCH_PROBE_TIMEOUT_S:g} s", problem=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return Check("torch", f"cannot be imported ({last})", problem=True)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    if answer["gpu"]:
        return Check("torch", f"{answer['version']}, GPU available ({answer['name']})")
    return Check("torch", f"{answer['version']}, no GPU (torch.cuda.is_available() is False)")


def check_font(ctx: Context) -> Check:
    font = ctx.resolved_font_path()
    if font is None:
        return Check(
            "font",
            "none found: install fonts-dejavu-core or set PAPER_PROCESSOR_FONT_PATH",
            problem=True,
        )
    if not Path(font).is_file():
        return Check("font", f"{font} does not exist", problem=True)
    return Check("font", font)


def check_ocr(ctx: Context) -> list[Check]:
    """The configured OCR (a problem if it cannot run), and each engine: installed or how to."""
    from .conversion.quality.ocr import AUTO_ORDER, engine_available

    installs = {
        "tesseract": "apt-get install tesseract-ocr tesseract-ocr-eng",
        "rapidocr": "pip install rapidocr-onnxruntime==1.4.4",
    }
    if ctx.ocr_engine == "off":
        checks = [Check("ocr", "off: pages without a usable text layer stay flagged")]
    elif engine_available(ctx.ocr_engine):
        used = [e for e in AUTO_ORDER if engine_available(e)] if ctx.ocr_engine == "auto" else []
        order = f" ({', then '.join(used)})" if used else ""
        checks = [Check("ocr", f"{ctx.ocr_engine}{order}, for pages without a usable text layer")]
    else:
        checks = [Check("ocr", f"{ctx.ocr_engine} cannot run: no engine installed", problem=True)]
    for engine in AUTO_ORDER:
        state = "installed" if engine_available(engine) else f"missing ({installs[engine]})"
        checks.append(Check(f"ocr {engine}", state))
    return checks


def check_workspace(ctx: Context) -> Check:
    root = Path(ctx.workspace).expanduser()
    if not root.exists():
        return Check("workspace", f"{root} (not created yet)")
    return Check("workspace", f"{root.resolve()} ({_human_size(_tree_size(root))})")


def _tree_size(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += (Path(dirpath) / name).lstat().st_size
            except OSError:
                pass  # removed while we walked (another run's temp file)
    return total


def _human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def doctor_checks(ctx: Context) -> list[Check]:
    """Every check, the slow ones (subprocesses, network) run side by side."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        mode = pool.submit(check_conversion_mode, ctx)
        torch_gpu = pool.submit(check_torch_gpu)
        sources = [pool.submit(probe_source, s) for s in configured_sources(ctx)]
        checks = [
            check_marker(),
            *mode.result(),
            torch_gpu.result(),
            check_font(ctx),
            *check_ocr(ctx),
            check_workspace(ctx),
            check_backend(ctx),
        ]
        if not ctx.retrieve_url:  # configured, it is one of the probed sources
            checks.append(
                Check(
                    "source retrieve-academic",
                    "not configured (set PAPER_PROCESSOR_RETRIEVE_URL or --retrieve-url)",
                )
            )
        checks.extend(s.result() for s in sources)
    return checks


@main.command("demo")
@click.option(
    "--out",
    "out_dir",
    default="demo-output",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the markdown and the manifest go.",
)
def demo_command(out_dir: Path) -> int:
    """Run on generated papers served by loopback fakes: offline, with the real converter."""
    from .demo import run_demo

    return run_demo(out_dir)


@main.command("config")
def config_command() -> int:
    """Show every setting with its environment variable and the value in effect here."""
    ctx = _context()
    for name in Context.model_fields:
        value = getattr(ctx, name)
        shown = "(set)" if name.endswith("api_key") and value is not None else value
        click.echo(f"{name} = {shown!r}    [PAPER_PROCESSOR_{name.upper()}]")
    return EXIT_OK


@main.command("doctor")
@_workspace_option
@_retrieve_option
def doctor_command(workspace: Path | None, retrieve_url: str | None) -> int:
    """Report marker's version, the conversion mode and why, GPU, font, workspace, sources."""
    ctx = _context(workspace=str(workspace) if workspace else None, retrieve_url=retrieve_url)
    checks = doctor_checks(ctx)
    for check in checks:
        click.echo(f"{'!! ' if check.problem else ''}{check.name}: {check.detail}")
    problems = sum(c.problem for c in checks)
    click.echo(f"{problems} problem(s) found" if problems else "all checks passed")
    return EXIT_FAILED if problems else EXIT_OK


if __name__ == "__main__":
    main()
