"""`paper-processor run`: papers in, DIR/<paper>.md and DIR/manifest.jsonl out, shown live."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import click

from ..context import Context
from ..errors import ConfigurationError, PaperProcessorError
from ..run import run_papers
from .config import WorkerCount, context_from, retrieve_option, workspace_option
from .errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    fail,
    notice,
    print_error,
)
from .papers import papers_for_dois, read_papers
from .report import choose_reporter
from .signals import interrupts_ignored, terminate_as_interrupt


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
    workers: int | Literal["auto"] | None = None
    backend: str | None = None
    ray_address: str | None = None


@click.command("run")
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
@workspace_option
@retrieve_option
@click.option("--json", "json_events", is_flag=True, help="Print one JSON event per line.")
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the interrupted run of this input into this --out folder.",
)
@click.option("--concurrency", type=click.IntRange(min=1), help="Papers downloaded at once.")
@click.option(
    "--workers",
    type=WorkerCount(),
    help="Converter workers (processes or actors), or auto: as many as cores and memory carry.",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "ray"]),
    help="Where conversions run: local worker processes, or Ray actors.",
)
@click.option("--ray-address", help="Ray cluster address for --backend ray (host:6379, auto).")
def run_command(**options: Any) -> int:
    """Convert the papers in PAPERS (a JSON list, {"papers": [...]}, or JSON lines) and --doi."""
    return run_from_options(RunOptions(**options))


def run_from_options(options: RunOptions) -> int:
    """Read the input papers and settings, then run; the exit code. Raises UserError."""
    if options.papers_file is None and not options.dois:
        fail("give a papers file (PAPERS) or at least one --doi")
    papers = read_papers(options.papers_file) if options.papers_file is not None else []
    ctx = context_from(
        workspace=str(options.workspace) if options.workspace else None,
        retrieve_url=options.retrieve_url,
        download_concurrency=options.concurrency,
        conversion_workers=options.workers,
        conversion_backend=options.backend,
        ray_address=options.ray_address,
    )
    if options.dois:
        papers.extend(papers_for_dois(options.dois, ctx))
    return convert_and_report(
        papers, ctx, options.out_dir, resume=options.resume, json_events=options.json_events
    )


def convert_and_report(
    papers: list[dict[str, Any]],
    ctx: Context,
    out_dir: Path,
    *,
    resume: bool = False,
    json_events: bool = False,
) -> int:
    """Run the papers into `out_dir` with a live display and a closing report; the exit code.

    Shared by `run` and `demo`.
    """
    out_dir = make_dir(out_dir, "output folder")
    make_dir(Path(ctx.workspace).expanduser(), "workspace")
    reporter = choose_reporter(json_events=json_events, total=len(papers))
    try:
        with terminate_as_interrupt():
            result = asyncio.run(run_papers(papers, out_dir, ctx, listener=reporter, resume=resume))
    except KeyboardInterrupt:
        reporter.close()
        notice("interrupted; run the same command with --resume to continue")
        return EXIT_INTERRUPTED
    except ConfigurationError as exc:
        reporter.close()
        print_error(str(exc))
        return EXIT_USAGE
    except PaperProcessorError as exc:
        reporter.close()
        print_error(f"run failed: {exc}; run the same command with --resume to retry it")
        return EXIT_FAILED
    finally:
        _stop_local_services()
    reporter.finish(result.outcomes, result.summary, out_dir=out_dir, manifest=result.manifest)
    return EXIT_OK


def _stop_local_services() -> None:
    """Stop what the run started that outlives it (a local Ray cluster), however it ended.

    Ctrl-C and SIGTERM are ignored meanwhile (a few seconds at most): a second one must not
    leave half of it running.
    """
    from ..conversion.backend import stop_local_services

    with interrupts_ignored():
        stop_local_services()


def make_dir(path: Path, what: str) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{path}: cannot create the {what} ({exc.strerror or exc})")
    return path.resolve()
