"""poll_retrieve: see every retrieve-academic job through and hand finished files to marker.

Jobs arrive from acquire while it runs. All pending jobs are polled together in rounds; a job
tolerates transient service errors until its deadline. Finished files are downloaded and
validated like open-access ones before they reach marker: a PDF is stored for conversion, an
EPUB converted to markdown here (in a worker thread); a format the job's `file_format` names
that this package does not read fails as `unsupported_format` without a download.
"""

from __future__ import annotations

import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from langgraph.runtime import Runtime

from ..acquisition.epub_fulltext import read_epub_fulltext
from ..acquisition.http import download_limits, open_client
from ..acquisition.right_paper import check_identity
from ..acquisition.validate import classify_head, inspect_pdf
from ..channel import Acquired, SubmittedJob, fate_shared
from ..context import Context, context_or_default
from ..conversion.epub import CONVERTER_NAME
from ..errors import SourceFailed
from ..events import Emit, PaperStage, paper_events
from ..files import discard
from ..http_policy import is_transient_status
from ..models import SUPPORTED_FILE_FORMATS, Reason, Stage, failure
from ..retrieve.client import RetrieveAcademic, ServiceError
from ..state import State
from ..store import ArtifactStore


def _file_kind(head: bytes, content_type: str | None, file_format: str | None) -> str:
    """What the job's file is, judged by its bytes; bytes of no format this package reads are
    an `unsupported_format` (named as the service named it)."""
    try:
        return classify_head(head, content_type)
    except SourceFailed as exc:
        if exc.reason is not Reason.NOT_PDF:
            raise  # an HTML page or a bot wall says more than "unsupported"
        named = f"a {file_format!r} file" if file_format else "a file of no named format"
        raise SourceFailed(Reason.UNSUPPORTED_FORMAT, f"{named}: {exc.detail}") from exc


def _transient(exc: SourceFailed) -> bool:
    """Worth fetching a finished job's file again: the connection or the service hiccuped."""
    if exc.reason in (Reason.NETWORK_ERROR, Reason.TIMEOUT):
        return True
    return exc.reason is Reason.HTTP_ERROR and is_transient_status(exc.status)


# Concurrent requests to the service within one polling round.
_ROUND_CONCURRENCY = 16


@dataclass
class _Watch:
    job: SubmittedJob
    deadline: float
    last_error: str | None = None


@dataclass
class _Board:
    """Jobs still pending, and whether acquire can still add more."""

    pending: dict[str, _Watch] = field(default_factory=dict)
    intake_open: bool = True
    fetching: int = 0  # finished jobs whose file is being fetched (a fetch may re-add its job)
    arrived: anyio.Event = field(default_factory=anyio.Event)

    def add(self, watch: _Watch) -> None:
        self.pending[watch.job.job_id] = watch
        self._wake()

    def close_intake(self) -> None:
        self.intake_open = False
        self._wake()

    def fetch_done(self) -> None:
        self.fetching -= 1
        self._wake()

    def _wake(self) -> None:
        self.arrived.set()
        self.arrived = anyio.Event()


async def poll_retrieve(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = context_or_default(runtime.context)
    run_key = state["run_key"]
    failures: dict[str, dict] = {}
    async with fate_shared(run_key, "poll_retrieve") as channel:
        async with AsyncExitStack() as stack:
            to_marker = await stack.enter_async_context(channel.poll_to_marker)
            inbox = await stack.enter_async_context(channel.poll_inbox)
            if ctx.retrieve_url is None:
                async for job in inbox:  # acquire sends no jobs without a service
                    raise AssertionError(f"job {job.job_id} without a configured service")
            else:
                store = await ArtifactStore.open(ctx.workspace)
                stack.push_async_callback(store.aclose)
                client = await stack.enter_async_context(open_client(ctx))
                poller = _Poller(
                    ctx,
                    RetrieveAcademic(ctx.retrieve_url, client=client, api_key=ctx.retrieve_api_key),
                    store,
                    to_marker,
                    paper_events(),
                    failures,
                )
                await poller.run(inbox)
        await channel.wait_for_consumer()
    return {"results": failures}


@dataclass
class _Poller:
    ctx: Context
    service: RetrieveAcademic
    store: ArtifactStore
    to_marker: MemoryObjectSendStream[Acquired]
    emit: Emit
    failures: dict[str, dict]
    board: _Board = field(default_factory=_Board)

    async def run(self, inbox: MemoryObjectReceiveStream[SubmittedJob]) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._take_jobs, inbox)
            while self.board.pending or self.board.intake_open or self.board.fetching:
                if not self.board.pending:
                    await self.board.arrived.wait()
                    continue
                await self._poll_round(tg)
                if not self.board.pending:
                    continue  # every job settled: finish, or wait for new ones, without sleeping
                with anyio.move_on_after(self.ctx.retrieve_poll_interval_s):
                    await anyio.sleep_forever()

    async def _take_jobs(self, inbox: MemoryObjectReceiveStream[SubmittedJob]) -> None:
        async for job in inbox:
            self.board.add(
                _Watch(job, deadline=anyio.current_time() + self.ctx.retrieve_job_timeout_s)
            )
        self.board.close_intake()

    async def _poll_round(self, tg: TaskGroup) -> None:
        limiter = anyio.CapacityLimiter(_ROUND_CONCURRENCY)
        async with anyio.create_task_group() as round_tg:
            for watch in list(self.board.pending.values()):
                round_tg.start_soon(self._poll_one, watch, limiter, tg)

    async def _poll_one(self, watch: _Watch, limiter: anyio.CapacityLimiter, tg: TaskGroup) -> None:
        job = watch.job
        async with limiter:
            try:
                status = await self.service.job(job.job_id)
            except ServiceError as exc:
                if exc.status_code == 404:
                    await self._finish_failed(
                        watch,
                        Reason.JOB_FAILED,
                        f"retrieve-academic no longer knows job {job.job_id}",
                    )
                    await self.store.forget_job(job.key, self.service.base_url)
                elif not exc.transient:
                    await self._finish_failed(
                        watch, Reason.JOB_FAILED, f"polling job failed: {exc}"
                    )
                elif anyio.current_time() > watch.deadline:
                    await self._finish_failed(
                        watch,
                        Reason.SERVICE_UNAVAILABLE,
                        f"service errors until the job deadline; last: {exc}",
                    )
                else:
                    watch.last_error = str(exc)
                return
        if status.status == "completed":
            self.board.pending.pop(job.job_id, None)
            self.board.fetching += 1
            tg.start_soon(self._fetch, watch, status.file_format)
        elif status.status == "failed":
            code = status.error_code or "UNKNOWN"
            await self._finish_failed(
                watch, Reason.JOB_FAILED, f"{code}: {status.error or 'job failed'}", error_code=code
            )
            await self.store.forget_job(job.key, self.service.base_url)
        elif anyio.current_time() > watch.deadline:
            await self._finish_failed(
                watch,
                Reason.JOB_TIMEOUT,
                f"job still {status.status} after {self.ctx.retrieve_job_timeout_s:g} s",
            )
        else:
            self.emit(
                PaperStage.RETRIEVE_STATUS, index=job.index, key=job.key, status=status.status
            )

    async def _fetch(self, watch: _Watch, file_format: str | None) -> None:
        try:
            if file_format is not None and file_format not in SUPPORTED_FILE_FORMATS:
                await self._record_failure(
                    watch.job,
                    Reason.UNSUPPORTED_FORMAT,
                    f"job {watch.job.job_id} returned a {file_format!r} file; this package reads"
                    f" {', '.join(SUPPORTED_FILE_FORMATS)}",
                )
                return
            await self._fetch_once(watch, file_format)
        finally:
            self.board.fetch_done()

    async def _fetch_once(self, watch: _Watch, file_format: str | None) -> None:
        job = watch.job
        started = time.perf_counter()
        tmp = self.store.temp_path(".download")
        try:
            downloaded = await self.service.download_file(
                job.job_id, tmp, limits=download_limits(self.ctx, trusted=True)
            )
            kind = _file_kind(downloaded.head, downloaded.content_type, file_format)
            if kind == "epub":
                epub = await read_epub_fulltext(
                    tmp,
                    self.store,
                    max_unpacked_bytes=self.ctx.max_epub_unpacked_bytes,
                    title=job.title,
                    doi=job.doi,
                    check_right_paper=self.ctx.check_right_paper,
                )
                await discard(tmp)  # the markdown is what is kept
            else:
                info = await anyio.to_thread.run_sync(inspect_pdf, tmp)
                if self.ctx.check_right_paper:
                    check_identity(info.first_page_text, title=job.title, doi=job.doi)
        except SourceFailed as exc:
            await discard(tmp)
            if _transient(exc) and anyio.current_time() < watch.deadline:
                # The file is there; the service hiccuped (VPN rotation, 429, restart). Poll the
                # job again next round and fetch again, until the job's deadline.
                watch.last_error = exc.detail
                self.emit(
                    PaperStage.RETRIEVE_STATUS,
                    index=job.index,
                    key=job.key,
                    status="retrying",
                    error=exc.detail,
                )
                self.board.add(watch)
                return
            await self._record_failure(job, exc.reason, f"file of job {job.job_id}: {exc.detail}")
            return
        except BaseException:
            await discard(tmp)
            raise
        url = f"{self.service.base_url}/jobs/{job.job_id}/file"
        if kind == "epub":
            await self._hand_over(
                job,
                path=epub.markdown_path,
                kind="markdown",
                url=url,
                pages=epub.documents,
                format="epub",
                converter=CONVERTER_NAME,
                timings={
                    "retrieve_download_s": time.perf_counter() - started - epub.seconds,
                    "convert_s": epub.seconds,
                },
            )
            return
        stored = await self.store.put_pdf(
            job.key, tmp, pages=info.pages, source="retrieve_academic", source_url=url
        )
        await self._hand_over(
            job,
            path=stored,
            kind="pdf",
            url=url,
            pages=info.pages,
            format="pdf",
            converter=None,
            timings={"retrieve_download_s": time.perf_counter() - started},
        )

    async def _hand_over(
        self,
        job: SubmittedJob,
        *,
        path: Path,
        kind: str,
        url: str,
        pages: int,
        format: str,
        converter: str | None,
        timings: dict[str, float],
    ) -> None:
        """Send a fetched full text to marker: a stored PDF, or markdown made from an EPUB."""
        self.emit(
            PaperStage.DOWNLOADED,
            index=job.index,
            key=job.key,
            url=url,
            pages=pages,
            format=format,
            source="retrieve_academic",
        )
        try:
            await self.to_marker.send(
                Acquired(
                    index=job.index,
                    key=job.key,
                    path=str(path),
                    kind=kind,
                    source="retrieve_academic",
                    source_url=url,
                    pages=pages,
                    relevance=job.relevance,
                    doi=job.doi,
                    title=job.title,
                    format=format,
                    converter=converter,
                    attempts=job.attempts,
                    timings=timings,
                )
            )
        except BaseException:
            if kind == "markdown":
                await discard(path)  # a temp file until marker stores it
            raise

    async def _finish_failed(
        self, watch: _Watch, reason: Reason, message: str, error_code: str | None = None
    ) -> None:
        self.board.pending.pop(watch.job.job_id, None)
        await self._record_failure(watch.job, reason, message, error_code=error_code)

    async def _record_failure(
        self, job: SubmittedJob, reason: Reason, message: str, error_code: str | None = None
    ) -> None:
        tried = [
            *job.attempts,
            {
                "source": "retrieve_academic",
                "url": self.service.base_url,
                "reason": reason.value,
                "detail": message,
            },
        ]
        self.failures[str(job.index)] = failure(
            job.index,
            job.key,
            stage=Stage.RETRIEVE,
            reason=reason,
            message=message,
            doi=job.doi,
            title=job.title,
            tried=tried,
        )
        self.emit(
            PaperStage.FAILED,
            index=job.index,
            key=job.key,
            reason=reason.value,
            error_code=error_code,
        )
