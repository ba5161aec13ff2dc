"""marker: convert papers to markdown while acquire and poll_retrieve are still producing them.

Arrivals are drained into a relevance-ordered waiting room at once, so producers never wait on
conversion. Whenever the pool has a converter place (a free converter, or one about to finish its
document), the most relevant waiting paper takes it. Full text that arrives as markdown already
(HTML articles, EPUBs converted from their XHTML) takes no place: it is stored on arrival.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream
from langgraph.runtime import Runtime

from ..channel import Acquired, fate_shared, registry
from ..context import Context, context_or_default
from ..conversion.backend import ConversionPool, open_converter_pool
from ..conversion.mode import ModeDecision
from ..conversion.places import Place
from ..conversion.pool import ConversionFailed
from ..conversion.quality.report import merge_reports, quality_below
from ..conversion.queue import RelevanceQueue
from ..conversion.worker import Done, Job
from ..errors import RunAborted
from ..events import Emit, paper_events
from ..files import discard
from ..models import Attempt, Outcome, Reason, Stage, failure
from ..state import State
from ..store import CLAIM_TTL_S, ArtifactStore


@dataclass
class _Waiting:
    item: Acquired
    since: float


_CLAIM_POLL_S = 0.5


@dataclass
class _Converting:
    owner: str
    ctx: Context
    pool: ConversionPool
    decision: ModeDecision
    store: ArtifactStore
    emit: Emit
    results: dict[str, dict]


async def marker(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = context_or_default(runtime.context)
    run_key = state["run_key"]
    results: dict[str, dict] = {}
    async with fate_shared(run_key, "marker") as channel:
        store = await ArtifactStore.open(ctx.workspace, rungs=ctx.quality_rungs())
        try:
            pool, decision = await open_converter_pool(ctx)
            async with pool, channel.marker_inbox as inbox:
                work = _Converting(run_key, ctx, pool, decision, store, paper_events(), results)
                waiting: RelevanceQueue[_Waiting] = RelevanceQueue()
                async with anyio.create_task_group() as renewing:
                    renewing.start_soon(_renew_claims, store, run_key)
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(_admit, inbox, waiting, work)
                        for _ in range(pool.slots):
                            tg.start_soon(_convert_each, waiting, work, tg)
                    renewing.cancel_scope.cancel()
        finally:
            # Claims of papers the run never finished (it stopped early, or they never arrived).
            with anyio.CancelScope(shield=True):
                await store.release_all(run_key)
            await store.aclose()
        if channel.failure is not None:
            raise RunAborted(channel.failure)
        channel.consumer_finished()
        registry.discard(run_key, channel)
    return {"results": results}


async def _renew_claims(store: ArtifactStore, owner: str) -> None:
    """Keep this run's conversion claims alive while it runs; they lapse soon after a crash."""
    while True:
        await anyio.sleep(CLAIM_TTL_S / 4)
        await store.renew_claims(owner, ttl_s=CLAIM_TTL_S)


async def _admit(
    inbox: MemoryObjectReceiveStream[Acquired], waiting: RelevanceQueue[_Waiting], work: _Converting
) -> None:
    # Papers whose claim another run holds wait for it beside the others, never in their way.
    # Full text that is markdown already (HTML, EPUB) needs no converter: stored on arrival.
    async with anyio.create_task_group() as claiming:
        async for item in inbox:
            if item.kind == "markdown":
                claiming.start_soon(_store_on_arrival, item, work)
            elif item.claimed:
                waiting.put(_Waiting(item, time.perf_counter()), item.relevance)
            else:
                claiming.start_soon(_claim_then_wait, item, waiting, work)
    waiting.close()


async def _store_on_arrival(item: Acquired, work: _Converting) -> None:
    """Store markdown that needs no conversion, without waiting for a converter place."""
    if not item.claimed and not await _claim_conversion(item, work):
        await discard(item.path)  # another run stored this paper meanwhile
        await _answer_from_store(item, work)
        return
    try:
        await _store_markdown(_Waiting(item, time.perf_counter()), work)
    except BaseException:
        await discard(item.path)  # a temp file until it is stored
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await work.store.release(item.key, "convert", work.owner)


async def _claim_then_wait(
    item: Acquired, waiting: RelevanceQueue[_Waiting], work: _Converting
) -> None:
    if item.kind == "stored" or not await _claim_conversion(item, work):
        await _answer_from_store(item, work)
        return
    waiting.put(_Waiting(item, time.perf_counter()), item.relevance)


async def _convert_each(
    waiting: RelevanceQueue[_Waiting], work: _Converting, finishing: TaskGroup
) -> None:
    while True:
        # A converter place first, then the choice: the most relevant paper waiting by then.
        async with work.pool.place() as place:
            try:
                entry = await waiting.get()
            except anyio.EndOfStream:
                return
            await _convert_one(entry, place, work, finishing)


async def _convert_one(
    entry: _Waiting, place: Place, work: _Converting, finishing: TaskGroup
) -> None:
    """Convert a claimed paper; its claim goes once its fate is recorded."""
    item = entry.item
    handed_off = False
    try:
        handed_off = await _convert_claimed(entry, place, work, finishing)
    finally:
        if not handed_off:
            with anyio.CancelScope(shield=True):
                await work.store.release(item.key, "convert", work.owner)


async def _claim_conversion(item: Acquired, work: _Converting) -> bool:
    """Claim the paper's conversion; False if another run converted it meanwhile.

    Runs sharing a workspace convert each paper once: while another live run holds the claim,
    wait for its markdown instead of converting a second time.
    """
    announced = False
    while True:
        stored, claimed = await work.store.lookup_and_claim(
            item.key, "convert", work.owner, ttl_s=CLAIM_TTL_S
        )
        if stored is not None and stored.markdown_path is not None:
            return False
        if claimed:
            return True
        if not announced:
            work.emit("waiting_on_other_run", index=item.index, key=item.key)
            announced = True
        await anyio.sleep(_CLAIM_POLL_S)


async def _convert_claimed(
    entry: _Waiting, place: Place, work: _Converting, finishing: TaskGroup
) -> bool:
    """Convert; True once the result is handed to a finishing task, which releases the claim."""
    item = entry.item
    timings = dict(item.timings)

    def started() -> None:
        timings["queue_wait_s"] = time.perf_counter() - entry.since
        work.emit("converting", index=item.index, key=item.key, pages=item.pages)

    out = work.store.temp_path(".md")
    try:
        done = await _convert_pdf(item, out, place, work, started)
    except ConversionFailed as exc:
        await _record_failed(item, out, exc, work)
        return False
    except BaseException:
        await discard(out)
        raise
    timings["convert_s"] = done.seconds
    if done.quality is not None:
        timings["quality_s"] = done.quality_seconds
    # Checking, storing and reporting run beside the next conversion: this slot's converter
    # takes the next paper now instead of idling through store round trips.
    finishing.start_soon(_finish_converted, item, out, done, timings, work)
    return True


async def _finish_converted(
    item: Acquired, out: Path, done: Done, timings: dict[str, float], work: _Converting
) -> None:
    pages = done.pages
    try:
        if not await anyio.to_thread.run_sync(_has_words, out):
            # Blank markdown is no conversion: say why, and keep it out of the store, so a
            # later run that can OCR (full mode) converts the paper instead of reusing nothing.
            if "ocr" in _rungs(done):
                ocr = " (and OCR read none from its pages)"
            elif work.decision.mode == "text_layer":
                ocr = " (text-layer mode does not OCR here: ocr_engine is off)"
            else:
                ocr = ""
            await _record_failed(
                item,
                out,
                ConversionFailed(
                    Reason.CONVERSION_FAILED,
                    f"no text found in {pages} page(s): the PDF has no text layer, e.g. a scan{ocr}",
                ),
                work,
            )
            return
        if too_poor := quality_below(done.quality, work.ctx.min_quality):
            await _record_failed(item, out, ConversionFailed(Reason.LOW_QUALITY, too_poor), work)
            return
        await _record_converted(item, out, done, timings, work)
    finally:
        with anyio.CancelScope(shield=True):
            await work.store.release(item.key, "convert", work.owner)


async def _record_failed(
    item: Acquired, out: Path, exc: ConversionFailed, work: _Converting
) -> None:
    await discard(out)
    work.results[str(item.index)] = failure(
        item.index,
        item.key,
        stage=Stage.CONVERT,
        reason=exc.reason,
        message=exc.detail,
        doi=item.doi,
        title=item.title,
        tried=[*item.attempts, Attempt(source=item.source, url=item.source_url)],
        format=item.format,
    )
    work.emit("failed", index=item.index, key=item.key, reason=exc.reason.value)


def _rungs(done: Done) -> list[str]:
    return list((done.quality or {}).get("rungs", []))


async def _record_converted(
    item: Acquired, out: Path, done: Done, timings: dict[str, float], work: _Converting
) -> None:
    await _store_converted(
        item,
        out,
        work,
        timings=timings,
        pages=done.pages,
        converter=work.pool.spec.converter,
        mode=work.decision.mode,
        mode_reason=work.decision.reason,
        quality=done.quality,
        structure={
            "headings": list(done.headings),
            "fallback_pages": list(done.fallback_pages),
        },
    )


async def _store_converted(
    item: Acquired,
    markdown: Path,
    work: _Converting,
    *,
    timings: dict[str, float],
    pages: int | None,
    converter: str,
    mode: str | None,
    mode_reason: str | None,
    quality: dict | None = None,
    structure: dict[str, list] | None = None,
) -> None:
    """Move the markdown into the store and record the paper's converted outcome."""
    stored = await work.store.put_markdown(
        item.key,
        markdown,
        converter=converter,
        mode=mode,
        mode_reason=mode_reason,
        source=item.source,
        source_url=item.source_url,
        quality=quality,
        structure=structure,
    )
    outcome = Outcome(
        index=item.index,
        key=item.key,
        doi=item.doi,
        title=item.title,
        status="converted",
        source=item.source,
        source_url=item.source_url,
        format=item.format,
        pages=pages,
        converter=converter,
        mode=mode,
        mode_reason=mode_reason,
        markdown_path=str(stored),
        quality=quality,
        **(structure or {}),
        timings={k: round(v, 4) for k, v in timings.items()},
        tried=[Attempt.model_validate(a) for a in item.attempts],
    )
    work.results[str(item.index)] = outcome.model_dump(mode="json")
    seconds = timings.get("convert_s")
    work.emit(
        "converted",
        index=item.index,
        key=item.key,
        pages=pages,
        format=item.format,
        converter=converter,
        seconds=round(seconds, 4) if seconds is not None else None,
        quality=quality,
    )


def _has_words(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as fh:
        while block := fh.read(1 << 16):
            if any(ch.isalnum() for ch in block):
                return True
    return False


async def _store_markdown(entry: _Waiting, work: _Converting) -> None:
    """Full text that arrived as HTML or EPUB is markdown already (acquisition converted it, in
    a worker thread, with no model): stored as it is."""
    item = entry.item
    timings = {**item.timings, "queue_wait_s": time.perf_counter() - entry.since}
    await _store_converted(
        item,
        Path(item.path),
        work,
        timings=timings,
        pages=item.pages,  # EPUB: its spine documents, the unit a per-page measure uses
        converter=item.converter or "html",
        mode=None,
        mode_reason=None,
    )


async def _convert_pdf(
    item: Acquired, out: Path, place: Place, work: _Converting, on_start: Callable[[], None]
) -> Done:
    """Convert one PDF into `out`: pages, converter seconds, quality and structure (headings,
    pages the layout stage left as page text) of the whole document.

    Documents longer than a chunk go in page ranges, the first in `place`, and are joined.
    """
    pages = item.pages or 0
    if pages > work.ctx.max_pages:
        raise ConversionFailed(
            Reason.TOO_LARGE, f"{pages} pages; the limit is {work.ctx.max_pages}"
        )
    chunk = work.ctx.pages_per_chunk
    if pages <= chunk:
        done = await place.convert(
            Job(pdf_path=item.path, out_path=str(out), pages=pages), on_start=on_start
        )
        return replace(done, pages=done.pages or pages)
    parts: list[Path] = []
    results: list[Done] = []
    try:
        for first in range(0, pages, chunk):
            last = min(first + chunk, pages) - 1
            part = work.store.temp_path(f".p{first}.md")
            parts.append(part)
            job = Job(
                pdf_path=item.path,
                out_path=str(part),
                pages=last - first + 1,
                page_range=(first, last),
            )
            if first == 0:
                done = await place.convert(job, on_start=on_start)
            else:
                done = await work.pool.convert(job)
            results.append(done)
        await anyio.to_thread.run_sync(_join, parts, out)
    finally:
        await discard(*parts)
    reports = [done.quality for done in results if done.quality is not None]
    return Done(
        pages=pages,
        seconds=sum(done.seconds for done in results),
        started_at=results[0].started_at,
        quality=merge_reports(reports) if reports else None,
        quality_seconds=sum(done.quality_seconds for done in results),
        headings=tuple(h for done in results for h in done.headings),
        fallback_pages=tuple(f for done in results for f in done.fallback_pages),
    )


def _join(parts: list[Path], out: Path) -> None:
    with open(out, "w", encoding="utf-8") as joined:
        for number, part in enumerate(parts):
            if number:
                joined.write("\n\n")
            joined.write(part.read_text(encoding="utf-8"))


async def _answer_from_store(item: Acquired, work: _Converting) -> None:
    stored = await work.store.lookup(item.key)
    assert stored is not None
    work.results[str(item.index)] = stored.cached_outcome(
        item.index, doi=item.doi, title=item.title
    )
    work.emit("cached", index=item.index, key=item.key)
