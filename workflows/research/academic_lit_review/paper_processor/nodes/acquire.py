"""acquire: fetch each paper's open-access copy and hand it to marker the moment it validates.

Papers without a working open-access copy go to retrieve-academic; their jobs are handed to
poll_retrieve. Papers already downloaded, or already submitted, in an earlier attempt are
picked up from the artifact store instead of being fetched or submitted again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectSendStream
from langgraph.runtime import Runtime
from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_random_exponential

from ..acquisition.politeness import PaperSlots
from ..acquisition.sources import SourcePolicy, acquire_open_access, candidate_urls
from ..acquisition.web import PoliteWeb, open_web
from ..channel import Acquired, SubmittedJob, fate_shared
from ..context import Context, context_or_default
from ..events import Emit, PaperStage, paper_events
from ..files import discard
from ..models import Attempt, Paper, Reason, Stage, failure
from ..retrieve.client import RetrieveAcademic, ServiceError
from ..retrieve.gate import ServiceGate
from ..state import State
from ..store import ArtifactStore


@dataclass
class _Run:
    """What every paper of one acquire pass shares."""

    ctx: Context
    store: ArtifactStore
    web: PoliteWeb  # the run's one client, polite per host; the service's host is exempt
    service: RetrieveAcademic | None
    gate: ServiceGate | None
    to_marker: MemoryObjectSendStream[Acquired]
    to_poll: MemoryObjectSendStream[SubmittedJob]
    emit: Emit
    failures: dict[str, dict]
    policy: SourcePolicy
    papers: list[dict[str, Any]]  # the input; work items point into it


async def acquire(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = context_or_default(runtime.context)
    run_key = state["run_key"]
    failures: dict[str, dict] = {}
    async with fate_shared(run_key, "acquire") as channel:
        async with AsyncExitStack() as stack:
            store = await ArtifactStore.open(ctx.workspace, rungs=ctx.quality_rungs())
            stack.push_async_callback(store.aclose)
            web = await stack.enter_async_context(
                open_web(ctx, store, exempt_urls=(ctx.retrieve_url,))
            )
            service = (
                RetrieveAcademic(
                    ctx.retrieve_url,
                    client=web.client,
                    api_key=ctx.retrieve_api_key,
                )
                if ctx.retrieve_url
                else None
            )
            to_marker = await stack.enter_async_context(channel.acquire_to_marker)
            to_poll = await stack.enter_async_context(channel.acquire_to_poll)
            run = _Run(
                ctx,
                store,
                web,
                service,
                ServiceGate(service) if service else None,
                to_marker,
                to_poll,
                paper_events(),
                failures,
                SourcePolicy.from_context(ctx),
                state["papers"],
            )
            work = iter(state.get("work", []))
            slots = PaperSlots(ctx.download_concurrency)
            async with anyio.create_task_group() as tg:
                for _ in range(slots.workers):
                    tg.start_soon(_acquire_each, work, run, slots)
        await channel.wait_for_consumer()
    return {"results": failures}


async def _acquire_each(work: Iterator[int], run: _Run, slots: PaperSlots) -> None:
    for index in work:  # the iterator is shared: each worker takes the next paper
        # download_concurrency papers at once; one waiting out a host's Retry-After lends its slot.
        async with slots.slot():
            await _acquire_one(index, run)


async def _acquire_one(index: int, run: _Run) -> None:
    paper = Paper.model_validate(run.papers[index])  # prepare validated it: same paper, same key
    key = paper.key()
    assert key is not None
    started = time.perf_counter()

    stored = await run.store.lookup(key)
    identity: dict[str, Any] = dict(
        index=index,
        key=key,
        relevance=paper.relevance,
        doi=paper.doi,
        title=paper.title,
    )
    if stored is not None and stored.markdown_path is not None:
        # Converted by an attempt of this run that was interrupted before it could commit.
        await run.to_marker.send(
            Acquired(
                **identity,
                path=str(stored.markdown_path),
                kind="stored",
                source=stored.source or "open_access",
                source_url=stored.source_url,
                pages=stored.pages,
            )
        )
        return
    if stored is not None and stored.pdf_path is not None:
        run.emit(PaperStage.DOWNLOADED, index=index, key=key, cached=True, pages=stored.pages)
        await run.to_marker.send(
            Acquired(
                **identity,
                path=str(stored.pdf_path),
                kind="pdf",
                source=stored.source or "open_access",
                source_url=stored.source_url,
                pages=stored.pages,
                timings={"acquire_s": 0.0},
            )
        )
        return
    if run.service is not None:
        job_id = await run.store.job_for(key, run.service.base_url)
        if job_id is not None:
            run.emit(PaperStage.RETRIEVE_REATTACHED, index=index, key=key, job_id=job_id)
            await run.to_poll.send(SubmittedJob(**identity, job_id=job_id, reattached=True))
            return

    result = await acquire_open_access(
        paper,
        key,
        run.web,
        run.store,
        policy=run.policy,
        on_try=lambda url: run.emit(PaperStage.DOWNLOADING, index=index, key=key, url=url),
    )
    attempts = tuple(a.model_dump(mode="json") for a in result.attempts)
    if result.pdf_path is not None:
        run.emit(
            PaperStage.DOWNLOADED,
            index=index,
            key=key,
            url=result.source_url,
            pages=result.pages,
            seconds=round(result.seconds, 4),
        )
        await run.to_marker.send(
            Acquired(
                **identity,
                path=result.pdf_path,
                kind="pdf",
                source="open_access",
                source_url=result.source_url,
                pages=result.pages,
                attempts=attempts,
                timings={"acquire_s": time.perf_counter() - started},
            )
        )
        return
    if result.markdown_path is not None:
        # An EPUB, converted already, or (no PDF anywhere) an HTML page that held the article:
        # marker stores the markdown as it is.
        run.emit(
            PaperStage.DOWNLOADED,
            index=index,
            key=key,
            url=result.source_url,
            kind="markdown",
            format=result.format,
            seconds=round(result.seconds, 4),
        )
        timings = {"acquire_s": time.perf_counter() - started}
        if result.convert_s is not None:
            timings["convert_s"] = result.convert_s
        try:
            await run.to_marker.send(
                Acquired(
                    **identity,
                    path=result.markdown_path,
                    kind="markdown",
                    source="open_access",
                    source_url=result.source_url,
                    pages=result.pages,
                    format=result.format,
                    converter=result.converter,
                    attempts=attempts,
                    timings=timings,
                )
            )
        except BaseException:
            await discard(result.markdown_path)  # a temp file until marker stores it
            raise
        return
    await _submit_to_service(index, key, paper, result.attempts, run, identity)


async def _submit_to_service(
    index: int,
    key: str,
    paper: Paper,
    attempts: list[Attempt],
    run: _Run,
    identity: dict[str, Any],
) -> None:
    """Hand the paper to retrieve-academic, or record its failure."""

    def fail(reason: Reason, message: str, stage: Stage = Stage.ACQUIRE) -> None:
        run.failures[str(index)] = failure(
            index,
            key,
            stage=stage,
            reason=reason,
            message=message,
            doi=paper.doi,
            title=paper.title,
            tried=attempts,
        )
        run.emit(PaperStage.FAILED, index=index, key=key, reason=reason.value)

    if run.service is None or run.gate is None:
        if not attempts:
            fail(
                Reason.NO_OPEN_ACCESS, "no open-access URL, and retrieve-academic is not configured"
            )
        else:
            summary = "; ".join(f"{a.url}: {a.reason.value if a.reason else '?'}" for a in attempts)
            fail(
                attempts[0].reason or Reason.NO_OPEN_ACCESS,
                f"no open-access source worked ({summary}); retrieve-academic is not configured",
            )
        return
    problem = await run.gate.problem()
    if problem is None:
        try:
            job_id = await _submit_riding_out_hiccups(run.service, paper, run.ctx)
        except ServiceError as exc:
            problem = f"retrieve-academic refused the job: {exc}"
    if problem is not None:
        tried = (
            "no open-access URL" if not candidate_urls(paper) else "no open-access source worked"
        )
        fail(Reason.SERVICE_UNAVAILABLE, f"{tried}; {problem}", stage=Stage.RETRIEVE)
        return
    await run.store.record_job(key, run.service.base_url, job_id)
    run.emit(PaperStage.RETRIEVE_SUBMITTED, index=index, key=key, job_id=job_id)
    await run.to_poll.send(
        SubmittedJob(
            **identity,
            job_id=job_id,
            attempts=tuple(a.model_dump(mode="json") for a in attempts),
        )
    )


async def _submit_riding_out_hiccups(service: RetrieveAcademic, paper: Paper, ctx: Context) -> str:
    """Submit the paper; its job id. The gate found the service healthy, so a transient refusal
    (a 503 while it flaps, a 429, a dropped connection) is a hiccup: tried again with backoff
    until the job's deadline, as polling does. Raises the last ServiceError."""
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(ctx.retrieve_job_timeout_s),
        wait=wait_random_exponential(multiplier=ctx.backoff_base_s, max=ctx.backoff_max_s),
        retry=retry_if_exception(lambda exc: isinstance(exc, ServiceError) and exc.transient),
        sleep=anyio.sleep,
        reraise=True,
    ):
        with attempt:
            return await service.submit(
                paper,
                timeout_seconds=ctx.retrieve_service_timeout_s,
                preferred_formats=ctx.preferred_formats,
            )
    raise AssertionError("unreachable: tenacity returns or raises")
