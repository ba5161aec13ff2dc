"""marker: convert papers to markdown while acquire and poll_retrieve are still producing them.

Each arriving paper gets one task at once, so producers never wait on conversion. That task owns
the paper to the end: it takes the paper's conversion claim (waiting while another run sharing the
workspace converts it), queues tickets in a relevance-ordered waiting room (the document, or each
page range of a long one), awaits their results, and records the outcome; the claim goes when the
task ends. Converter slots hold a place in the pool (a free converter, or one about to finish its
document) and take the most relevant waiting ticket. Full text that arrives as markdown already
(HTML articles, EPUBs converted from their XHTML) takes no place: it is stored on arrival.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from anyio.abc import TaskStatus
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
from ..events import Emit, PaperStage, paper_events
from ..files import discard
from ..models import Attempt, Outcome, Reason, Stage, failure
from ..state import State
from ..store import ArtifactStore, Claims


@dataclass(eq=False)
class _Ticket:
    """One document, or one page range of a long one, waiting for a converter place.

    The paper's own task puts it in the waiting room and awaits its result; a converter slot
    takes it with a place, converts it, and goes on to the next ticket.
    """

    job: Job
    on_start: Callable[[], None] | None = None
    taken: bool = False  # a slot took it: its result will come
    dropped: bool = False  # its paper failed meanwhile: a slot that gets it leaves it
    result: Done | ConversionFailed | None = None
    finished: anyio.Event = field(default_factory=anyio.Event)

    async def convert_in(self, place: Place) -> None:
        self.taken = True
        try:
            self.result = await place.convert(self.job, on_start=self.on_start)
        except ConversionFailed as exc:
            self.result = exc
        # Set only with a result: a slot that fails otherwise fails the run, which cancels the
        # paper's task waiting here.
        self.finished.set()

    async def done(self) -> Done:
        """The conversion; raises its ConversionFailed."""
        await self.finished.wait()
        if isinstance(self.result, ConversionFailed):
            raise self.result
        assert self.result is not None
        return self.result


@dataclass
class _Converting:
    ctx: Context
    pool: ConversionPool
    decision: ModeDecision
    store: ArtifactStore
    claims: Claims
    emit: Emit
    results: dict[str, dict]
    waiting: RelevanceQueue[_Ticket] = field(default_factory=RelevanceQueue)


async def marker(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = context_or_default(runtime.context)
    run_key = state["run_key"]
    results: dict[str, dict] = {}
    async with fate_shared(run_key, "marker") as channel:
        store = await ArtifactStore.open(ctx.workspace, rungs=ctx.quality_rungs())
        try:
            pool, decision = await open_converter_pool(ctx)
            async with (
                pool,
                channel.marker_inbox as inbox,
                Claims(store, run_key).kept_alive() as claims,
            ):
                work = _Converting(ctx, pool, decision, store, claims, paper_events(), results)
                async with anyio.create_task_group() as tg:
                    tg.start_soon(_admit, inbox, work)
                    for _ in range(pool.slots):
                        tg.start_soon(_convert_each, work)
        finally:
            await store.aclose()
        if channel.failure is not None:
            raise RunAborted(channel.failure)
        channel.consumer_finished()
        registry.discard(run_key, channel)
    return {"results": results}


async def _admit(inbox: MemoryObjectReceiveStream[Acquired], work: _Converting) -> None:
    """One task per arriving paper. The waiting room closes once the inbox has ended and every
    paper has queued its tickets (or needs none): idle slots then give their places back."""
    async with anyio.create_task_group() as papers:
        async with anyio.create_task_group() as admitting:
            async for item in inbox:
                # `papers.start` returns once the paper's task is admitted; the task lives on.
                admitting.start_soon(papers.start, _see_through, item, work)
        work.waiting.close()


async def _convert_each(work: _Converting) -> None:
    """A converter slot: a place first, then the choice, the most relevant ticket by then."""
    while True:
        async with work.pool.place() as place:
            try:
                ticket = await work.waiting.get()
            except anyio.EndOfStream:
                return
            if not ticket.dropped:  # else the place, unused, goes back
                await ticket.convert_in(place)


async def _see_through(
    item: Acquired, work: _Converting, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
) -> None:
    """One paper, from its arrival to its recorded fate. This task alone holds the paper's
    conversion claim: taken here, released when the task leaves it, however it ends.

    `task_status.started()` says the paper is admitted: its tickets are in the waiting room,
    or it needs none.
    """
    admitted = _Once(task_status.started)
    try:
        if item.kind == "stored":
            await _answer_from_store(item, work)
            return
        async with work.claims.claim(item.key) as claim:

            def waiting_on_other_run() -> None:
                work.emit(PaperStage.WAITING_ON_OTHER_RUN, index=item.index, key=item.key)

            # Runs sharing a workspace convert each paper once: while another live run holds
            # the claim, wait for its markdown instead of converting a second time.
            if not await claim.take(on_wait=waiting_on_other_run):
                if item.kind == "markdown":
                    await discard(item.path)  # another run stored this paper meanwhile
                await _answer_from_store(item, work)
                return
            since = time.perf_counter()
            if item.kind == "markdown":
                admitted()  # stored on arrival, without a converter
                try:
                    await _store_markdown(item, since, work)
                except BaseException:
                    await discard(item.path)  # a temp file until it is stored
                    raise
                return
            await _convert(item, since, work, admitted)
    finally:
        admitted()


class _Once:
    """Call a function the first time only."""

    def __init__(self, call: Callable[[], object]) -> None:
        self._call: Callable[[], object] | None = call

    def __call__(self) -> None:
        if self._call is not None:
            call, self._call = self._call, None
            call()


async def _convert(
    item: Acquired, since: float, work: _Converting, admitted: Callable[[], None]
) -> None:
    """Convert a PDF, check it, and record the paper's outcome."""
    timings = dict(item.timings)

    def started() -> None:
        timings["queue_wait_s"] = time.perf_counter() - since
        work.emit(PaperStage.CONVERTING, index=item.index, key=item.key, pages=item.pages)

    out = work.store.temp_path(".md")
    try:
        done = await _convert_pdf(item, out, work, on_start=started, queued=admitted)
    except ConversionFailed as exc:
        await _record_failed(item, out, exc, work)
        return
    except BaseException:
        await discard(out)
        raise
    timings["convert_s"] = done.seconds
    if done.quality is not None:
        timings["quality_s"] = done.quality_seconds
    await _finish_converted(item, out, done, timings, work)


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
    except BaseException:
        await discard(out)
        raise


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
    work.emit(PaperStage.FAILED, index=item.index, key=item.key, reason=exc.reason.value)


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
        PaperStage.CONVERTED,
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


async def _store_markdown(item: Acquired, since: float, work: _Converting) -> None:
    """Full text that arrived as HTML or EPUB is markdown already (acquisition converted it, in
    a worker thread, with no model): stored as it is, without waiting for a converter."""
    timings = {**item.timings, "queue_wait_s": time.perf_counter() - since}
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
    item: Acquired,
    out: Path,
    work: _Converting,
    *,
    on_start: Callable[[], None],
    queued: Callable[[], None],
) -> Done:
    """Convert one PDF into `out`: pages, converter seconds, quality and structure (headings,
    pages the layout stage left as page text) of the whole document.

    Its tickets wait in the waiting room by the paper's relevance (`queued` is called once they
    are in). A document longer than a chunk goes in page ranges, all queued at once so that
    free converters take them side by side; the parts are joined in order.
    """
    pages = item.pages or 0
    if pages > work.ctx.max_pages:
        raise ConversionFailed(
            Reason.TOO_LARGE, f"{pages} pages; the limit is {work.ctx.max_pages}"
        )
    chunk = work.ctx.pages_per_chunk
    if pages <= chunk:
        ticket = _Ticket(Job(pdf_path=item.path, out_path=str(out), pages=pages), on_start)
        work.waiting.put(ticket, item.relevance)
        queued()
        done = await ticket.done()
        return replace(done, pages=done.pages or pages)
    parts = [work.store.temp_path(f".p{first}.md") for first in range(0, pages, chunk)]
    tickets = [
        _Ticket(
            Job(
                pdf_path=item.path,
                out_path=str(part),
                pages=min(first + chunk, pages) - first,
                page_range=(first, min(first + chunk, pages) - 1),
            )
        )
        for part, first in zip(parts, range(0, pages, chunk), strict=True)
    ]
    tickets[0].on_start = on_start
    for ticket in tickets:  # equal relevance: taken in arrival order, the first range first
        work.waiting.put(ticket, item.relevance)
    queued()
    try:
        results = [await ticket.done() for ticket in tickets]
        await anyio.to_thread.run_sync(_join, parts, out)
    finally:
        for ticket in tickets:
            ticket.dropped = True  # those not taken yet stay unconverted
        try:
            for ticket in tickets:
                if ticket.taken:  # its converter may still write its part (a cancelled run
                    await ticket.finished.wait()  # stops waiting: its workers are killed)
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
    work.emit(PaperStage.CACHED, index=item.index, key=item.key)
