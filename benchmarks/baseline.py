"""The seed's "before" pattern: gather every acquisition, then convert everything.

The baseline is the project's own graph with one node swapped: `prepare`, `acquire`,
`poll_retrieve` and `finalize` are the package's nodes, so downloads, validation, retrieve
polling, the store and the events are identical; the package's `marker` node (convert each
paper as it arrives, most relevant first) is replaced by `gather_then_convert`, which takes
every acquired paper off the channel first and only then converts them all, in input order, as
the seed's `for paper in gathered` loop did. It uses the same `ConverterPool`, started when the
node starts, just as `marker` starts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from workflows.research.academic_lit_review.paper_processor.channel import (
    Acquired,
    fate_shared,
    registry,
)
from workflows.research.academic_lit_review.paper_processor.context import (
    Context,
    context_or_default,
)
from workflows.research.academic_lit_review.paper_processor.conversion.backend import (
    open_converter_pool,
)
from workflows.research.academic_lit_review.paper_processor.conversion.mode import ModeDecision
from workflows.research.academic_lit_review.paper_processor.conversion.pool import (
    ConversionFailed,
    ConverterPool,
)
from workflows.research.academic_lit_review.paper_processor.conversion.worker import Job
from workflows.research.academic_lit_review.paper_processor.errors import RunAborted
from workflows.research.academic_lit_review.paper_processor.events import Emit, paper_events
from workflows.research.academic_lit_review.paper_processor.models import (
    Outcome,
    Reason,
    Stage,
    failure,
)
from workflows.research.academic_lit_review.paper_processor.nodes.acquire import acquire
from workflows.research.academic_lit_review.paper_processor.nodes.finalize import finalize
from workflows.research.academic_lit_review.paper_processor.nodes.poll_retrieve import (
    poll_retrieve,
)
from workflows.research.academic_lit_review.paper_processor.nodes.prepare import prepare
from workflows.research.academic_lit_review.paper_processor.state import (
    InputState,
    OutputState,
    State,
)
from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore


@dataclass
class _Converting:
    pool: ConverterPool
    decision: ModeDecision
    store: ArtifactStore
    emit: Emit
    results: dict[str, dict]


async def gather_then_convert(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The channel's consumer, blocking style; keeps the channel protocol `marker` keeps."""
    ctx = context_or_default(runtime.context)
    run_key = state["run_key"]
    results: dict[str, dict] = {}
    async with fate_shared(run_key, "gather_then_convert") as channel:
        store = await anyio.to_thread.run_sync(ArtifactStore, ctx.workspace)
        try:
            pool, decision = await open_converter_pool(ctx)
            async with pool:
                async with channel.marker_inbox as inbox:
                    gathered = [item async for item in inbox]  # every acquisition, first
                work = _Converting(
                    pool,
                    decision,
                    store,
                    paper_events(),
                    results,
                )
                in_input_order = iter(sorted(gathered, key=lambda item: item.index))
                async with anyio.create_task_group() as tg:
                    for _ in range(pool.slots):
                        tg.start_soon(_convert_each, in_input_order, work)
        finally:
            store.close()
        if channel.failure is not None:
            raise RunAborted(channel.failure)
        channel.consumer_finished()
        registry.discard(run_key, channel)
    return {"results": results}


async def _convert_each(items: Iterator[Acquired], work: _Converting) -> None:
    for item in items:  # shared iterator: each slot takes the next paper
        await _convert_one(item, work)


async def _convert_one(item: Acquired, work: _Converting) -> None:
    if item.kind != "pdf":  # benchmark workloads acquire PDFs only
        work.results[str(item.index)] = failure(
            item.index,
            item.key,
            stage=Stage.CONVERT,
            reason=Reason.CONVERSION_FAILED,
            message=f"the baseline converts PDFs only, not {item.kind!r}",
        )
        return
    work.emit("converting", index=item.index, key=item.key, pages=item.pages)
    out = work.store.temp_path(".md")
    try:
        done = await work.pool.convert(Job(pdf_path=item.path, out_path=str(out), pages=item.pages))
    except ConversionFailed as exc:
        out.unlink(missing_ok=True)
        work.results[str(item.index)] = failure(
            item.index,
            item.key,
            stage=Stage.CONVERT,
            reason=exc.reason,
            message=exc.detail,
            doi=item.doi,
            title=item.title,
        )
        work.emit("failed", index=item.index, key=item.key, reason=exc.reason.value)
        return
    stored = await work.store.put_markdown(
        item.key,
        out,
        converter=work.pool.spec.converter,
        mode=work.decision.mode,
        mode_reason=work.decision.reason,
        source=item.source,
        source_url=item.source_url,
    )
    work.results[str(item.index)] = Outcome(
        index=item.index,
        key=item.key,
        doi=item.doi,
        title=item.title,
        status="converted",
        source=item.source,
        source_url=item.source_url,
        pages=done.pages or item.pages,
        converter=work.pool.spec.converter,
        mode=work.decision.mode,
        mode_reason=work.decision.reason,
        markdown_path=str(stored),
    ).model_dump(mode="json")
    work.emit("converted", index=item.index, key=item.key, pages=done.pages)


def build_baseline_graph() -> CompiledStateGraph:
    """The package's graph wiring, with `gather_then_convert` in marker's place."""
    builder = StateGraph(
        State, context_schema=Context, input_schema=InputState, output_schema=OutputState
    )
    builder.add_node("prepare", prepare)
    builder.add_node("acquire", acquire)
    builder.add_node("poll_retrieve", poll_retrieve)
    builder.add_node("gather_then_convert", gather_then_convert)
    builder.add_node("finalize", finalize)
    builder.add_edge(START, "prepare")
    for streaming_node in ("acquire", "poll_retrieve", "gather_then_convert"):
        builder.add_edge("prepare", streaming_node)
    builder.add_edge(["acquire", "poll_retrieve", "gather_then_convert"], "finalize")
    builder.add_edge("finalize", END)
    return builder.compile(name="paper_processor_baseline")
