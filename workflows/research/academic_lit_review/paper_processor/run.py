"""The library entry point: `run_papers(papers, out_dir, context)` converts papers into a folder.

    result = await run_papers(papers, Path("out"), Context(workspace="ws"))
    result.outcomes, result.summary, result.manifest

The command line, the demo and the benchmarks run the graph through here. A run is resumable:
its checkpoints live in the workspace (`checkpoints.sqlite`), one thread per run, found again
by a fingerprint of "this input into this folder". What the run shows as it goes is reported to
a `RunListener` the caller passes (the CLI's live display is one); the default shows nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from .context import Context
from .errors import PaperProcessorError
from .manifest import write_outputs

CHECKPOINTS_NAME = "checkpoints.sqlite"


class RunListener:
    """What a run tells its caller as it goes. Every method does nothing here; override some."""

    def note(self, message: str) -> None:
        """A sentence for the user about how the run starts (resumed, superseded, ...)."""

    def resuming(self, thread_id: str, decided: dict[str, dict]) -> None:
        """A resumed run: the outcomes (by input index) it decided before it was interrupted,
        for which no events come again."""

    def started(self) -> None:
        """The graph starts streaming; paper events follow."""

    def event(self, event: dict[str, Any]) -> None:
        """One paper event (see events.py)."""


@dataclass(frozen=True)
class RunResult:
    outcomes: list[dict[str, Any]]  # one per input paper, in input order
    summary: dict[str, Any]  # converted, failed, by_reason, ...
    manifest: Path  # OUT/manifest.jsonl


def run_fingerprint(papers: list[dict[str, Any]], out_dir: Path) -> str:
    """Identifies "this input into this folder", so a resumed run finds the run it continues."""
    canonical = json.dumps({"papers": papers, "out": str(out_dir)}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


async def run_papers(
    papers: list[dict[str, Any]],
    out_dir: Path,
    context: Context,
    *,
    listener: RunListener | None = None,
    resume: bool = False,
    checkpoints: bool = True,
) -> RunResult:
    """Convert `papers` (input dicts; each is validated by the graph) into `out_dir`.

    `resume=True` continues the interrupted run of this input into this folder, if there is one.
    `checkpoints=False` runs without a checkpointer (nothing to resume; benchmarks measure the
    graph alone that way). Raises PaperProcessorError for systemic failures; each paper's own
    failure is its outcome.
    """
    listener = listener or RunListener()
    out_dir = Path(await anyio.Path(out_dir).resolve())
    await anyio.Path(out_dir).mkdir(parents=True, exist_ok=True)
    workspace = await anyio.Path(context.workspace).expanduser()
    await workspace.mkdir(parents=True, exist_ok=True)
    if checkpoints:
        outcomes, summary = await _run_checkpointed(
            papers,
            context,
            checkpoints_file=Path(workspace / CHECKPOINTS_NAME),
            fingerprint=run_fingerprint(papers, out_dir),
            resume=resume,
            listener=listener,
        )
    else:
        from .graph import graph

        outcomes, summary = await _stream(graph, {"papers": papers}, context, {}, listener)
    manifest = await anyio.to_thread.run_sync(write_outputs, out_dir, outcomes)
    return RunResult(outcomes, summary, manifest)


async def _run_checkpointed(
    papers: list[dict[str, Any]],
    context: Context,
    *,
    checkpoints_file: Path,
    fingerprint: str,
    resume: bool,
    listener: RunListener,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    # Imported here so that importing this module (the CLI's --help, doctor) stays fast.
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from .graph import build_graph

    async with AsyncSqliteSaver.from_conn_string(str(checkpoints_file)) as saver:
        graph = build_graph().compile(checkpointer=saver, name="paper_processor")
        unfinished = await _unfinished_thread(graph, saver, fingerprint)
        graph_input: dict[str, Any] | None = {"papers": papers}
        if resume and unfinished is not None:
            thread_id, decided = unfinished
            graph_input = None  # None continues the thread from its last checkpoint
            listener.resuming(thread_id, decided)
            listener.note(f"resuming the interrupted run {thread_id}")
        else:
            if resume:
                listener.note("nothing to resume for this input; starting a new run")
            elif unfinished is not None:
                # A new run supersedes it (a resume finds the latest run); what it finished
                # lives on in the artifact store, so its checkpoints only take up space.
                await saver.adelete_thread(unfinished[0])
                listener.note(
                    "note: an earlier run of this input was interrupted; starting a new"
                    " run, which reuses the papers it finished"
                )
            thread_id = f"{fingerprint}-{uuid.uuid4().hex[:12]}"
        config = {
            "configurable": {"thread_id": thread_id},
            "metadata": {"run_fingerprint": fingerprint},
        }
        # durability="sync": the checkpoint after `prepare` must be on disk before the long
        # streaming step starts, or an interrupt there would leave nothing to resume.
        result = await _stream(graph, graph_input, context, config, listener, durability="sync")
        # A finished thread is never resumed, and its last checkpoint holds every markdown body.
        await saver.adelete_thread(thread_id)
        return result


async def _stream(
    graph: Any,
    graph_input: dict[str, Any] | None,
    context: Context,
    config: dict[str, Any],
    listener: RunListener,
    **options: Any,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Stream one run: paper events to the listener; the outcomes and summary at the end."""
    result: dict[str, Any] | None = None
    listener.started()
    async for mode, chunk in graph.astream(
        graph_input,
        config=config,
        context=context,
        stream_mode=["custom", "updates"],
        **options,
    ):
        if mode == "custom" and isinstance(chunk, dict):
            listener.event(chunk)
        elif mode == "updates" and isinstance(chunk, dict) and "finalize" in chunk:
            result = chunk["finalize"]
    if result is None:
        raise PaperProcessorError("the run ended without a result")
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
