"""A fake "retrieve-academic" job service (submit, poll, download).

Job state is a pure function of time since submission, so no background
tasks run and tests can reason about timing.

Fault modes (for the fault matrix): `flap(period_s)` makes the whole service go down and
up every `period_s`; `throttle(...)` answers 429 on chosen endpoints; `hiccup(endpoint, n)`
answers its next n requests 503; `stall(doi)` leaves
that DOI's jobs pending forever; `hold(doi, ..., serve=behaviour)` serves the finished file
through any open-web `Behaviour` (stall, truncate, gzip bomb...). A service that is down
altogether is a URL where nothing listens (`testing.faults.refused_url`).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

ERROR_CODES = ("NOT_FOUND", "DOWNLOAD_FAILED", "VPN_ERROR", "TIMEOUT", "SOURCE_BLOCKED")


@dataclass(frozen=True)
class _Held:
    pdf: Path | bytes
    ready_after_s: float
    content_type: str
    serve: Any = None  # an ASGI behaviour answering GET /jobs/{id}/file instead of `pdf`
    file_format: str = "pdf"  # what a finished job's `file_format` says the file is


@dataclass(frozen=True)
class _Pending:
    """A job that never finishes, whatever timeout the client asked for."""


@dataclass(frozen=True)
class _Failure:
    error_code: str
    error: str
    after_s: float


@dataclass(frozen=True)
class _Job:
    job_id: str
    doi: str | None
    submitted: float  # time.monotonic()
    outcome: _Held | _Failure | _Pending

    def state(self, now: float) -> str:
        elapsed = now - self.submitted
        if isinstance(self.outcome, _Pending):
            return "pending" if elapsed < 1.0 else "searching"
        if isinstance(self.outcome, _Held):
            span = self.outcome.ready_after_s
            if elapsed >= span:
                return "completed"
            # Walk through the intermediate states the real service reports.
            return ("pending", "searching", "downloading")[min(int(3 * elapsed / span), 2)]
        if elapsed >= self.outcome.after_s:
            return "failed"
        return "pending" if elapsed < self.outcome.after_s / 2 else "searching"


def _key(doi: str | None) -> str | None:
    return doi.strip().lower() if doi else None


class RetrieveService:
    """In-memory fake of the retrieve-academic service; `app` is the ASGI app."""

    def __init__(self, *, unknown_after_s: float = 0.2) -> None:
        self.healthy = True
        self.unknown_after_s = unknown_after_s  # how soon an unheld DOI fails NOT_FOUND
        self.submissions: list[dict[str, Any]] = []
        self.polls: Counter[str] = Counter()
        self.downloads: Counter[str] = Counter()
        self._held: dict[str, _Held] = {}
        self._failures: dict[str, _Failure] = {}
        self._jobs: dict[str, _Job] = {}
        self._pending: set[str | None] = set()
        self._lock = threading.Lock()
        # Fault modes (see the module docstring).
        self.flap_period_s: float | None = None
        self.flap_started: float | None = None
        self.flap_starts_up = True
        self.throttled: frozenset[str] = frozenset()
        self.throttle_retry_after: str | None = None
        self.hiccups: Counter[str] = Counter()  # endpoint -> requests still to refuse with 503
        self.refused: Counter[str] = Counter()  # endpoint -> requests refused by a fault mode
        self.app = Starlette(
            routes=[
                Route("/health", self._health, methods=["GET"]),
                Route("/retrieve", self._retrieve, methods=["POST"]),
                Route("/jobs/{job_id}", self._job, methods=["GET"]),
                Route("/jobs/{job_id}/file", self._file, methods=["GET"]),
            ]
        )

    def hold(
        self,
        doi: str,
        pdf: Path | bytes,
        ready_after_s: float = 1.0,
        content_type: str = "application/pdf",
        serve: Any = None,
        file_format: str = "pdf",
    ) -> None:
        """Make `doi` findable; its job completes `ready_after_s` after submission.

        `serve`, an ASGI behaviour, answers the file download instead of `pdf` (fault injection);
        `file_format` is what the finished job says the file is (pdf, epub, or anything else).
        """
        with self._lock:
            self._failures.pop(_key(doi), None)
            self._pending.discard(_key(doi))
            self._held[_key(doi)] = _Held(pdf, ready_after_s, content_type, serve, file_format)

    def fail(
        self,
        doi: str,
        error_code: str = "NOT_FOUND",
        error: str = "paper not found",
        after_s: float = 0.5,
    ) -> None:
        """Make jobs for `doi` fail with `error_code` after `after_s`."""
        with self._lock:
            self._held.pop(_key(doi), None)
            self._pending.discard(_key(doi))
            self._failures[_key(doi)] = _Failure(error_code, error, after_s)

    def stall(self, doi: str) -> None:
        """Leave jobs for `doi` pending forever (the service ignores its own timeout)."""
        with self._lock:
            self._held.pop(_key(doi), None)
            self._failures.pop(_key(doi), None)
            self._pending.add(_key(doi))

    def flap(self, period_s: float | None, *, start_up: bool = True) -> None:
        """Go down (every endpoint 503) and up again every `period_s`; None stops flapping.

        The first phase (up, or down) starts with the next request, not now: what a client
        meets first does not depend on how long it took to get here.
        """
        self.flap_period_s = period_s
        self.flap_started = None
        self.flap_starts_up = start_up

    def throttle(
        self,
        endpoints: set[str] | frozenset[str] = frozenset({"retrieve"}),
        retry_after: str | None = "5",
    ) -> None:
        """Answer 429 on `endpoints` (any of health, retrieve, job, file); empty set stops it."""
        self.throttled = frozenset(endpoints)
        self.throttle_retry_after = retry_after

    def hiccup(self, endpoint: str, requests: int) -> None:
        """Answer the next `requests` requests to `endpoint` (health, retrieve, job, file) 503."""
        with self._lock:
            self.hiccups[endpoint] = requests

    def is_up(self, now: float | None = None) -> bool:
        if self.flap_period_s is None:
            return True
        now = now or time.monotonic()
        if self.flap_started is None:
            self.flap_started = now
        phase = int((now - self.flap_started) / self.flap_period_s)
        return (phase % 2 == 0) == self.flap_starts_up

    def _fault(self, endpoint: str) -> Response | None:
        """The answer a fault mode gives instead of the real one, if any."""
        with self._lock:
            hiccup = self.hiccups[endpoint] > 0
            if hiccup:
                self.hiccups[endpoint] -= 1
        if hiccup or not self.is_up():
            with self._lock:
                self.refused[endpoint] += 1
            return JSONResponse(
                {"status": "unavailable", "vpn_connected": False, "detail": "VPN reconnecting"},
                status_code=503,
            )
        if endpoint in self.throttled:
            with self._lock:
                self.refused[endpoint] += 1
            headers = (
                {"retry-after": self.throttle_retry_after} if self.throttle_retry_after else None
            )
            return JSONResponse({"detail": "too many requests"}, status_code=429, headers=headers)
        return None

    def _outcome(self, doi: str | None, timeout_s: float | None) -> _Held | _Failure | _Pending:
        key = _key(doi)
        outcome: _Held | _Failure | _Pending
        if key in self._pending:
            return _Pending()
        if key in self._held:
            outcome = self._held[key]
        elif key in self._failures:
            outcome = self._failures[key]
        else:
            outcome = _Failure("NOT_FOUND", "paper not found", self.unknown_after_s)
        # The real service gives up at the client's timeout_seconds.
        if (
            isinstance(outcome, _Held)
            and timeout_s is not None
            and outcome.ready_after_s > timeout_s
        ):
            outcome = _Failure("TIMEOUT", f"retrieval exceeded {timeout_s}s", timeout_s)
        return outcome

    async def _health(self, request: Request) -> Response:
        if (fault := self._fault("health")) is not None:
            return fault
        if self.healthy:
            return JSONResponse({"status": "healthy", "vpn_connected": True})
        return JSONResponse({"status": "unhealthy", "vpn_connected": False}, status_code=503)

    async def _retrieve(self, request: Request) -> Response:
        if (fault := self._fault("retrieve")) is not None:
            return fault
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"detail": "invalid JSON"}, status_code=422)
        if not isinstance(body, dict) or not (body.get("doi") or body.get("title")):
            return JSONResponse({"detail": "doi or title required"}, status_code=422)
        timeout = body.get("timeout_seconds")
        job_id = uuid.uuid4().hex
        now = time.monotonic()
        with self._lock:
            outcome = self._outcome(
                body.get("doi"), float(timeout) if timeout is not None else None
            )
            self._jobs[job_id] = _Job(job_id, body.get("doi"), now, outcome)
            self.submissions.append({**body, "job_id": job_id, "time": now})
        return JSONResponse({"job_id": job_id, "status": "pending"})

    def _find(self, job_id: str) -> _Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    async def _job(self, request: Request) -> Response:
        if (fault := self._fault("job")) is not None:
            return fault
        job_id = request.path_params["job_id"]
        job = self._find(job_id)
        if job is None:
            return JSONResponse({"detail": "job not found"}, status_code=404)
        with self._lock:
            self.polls[job_id] += 1
        state = job.state(time.monotonic())
        failed = state == "failed" and isinstance(job.outcome, _Failure)
        done = state == "completed" and isinstance(job.outcome, _Held)
        return JSONResponse(
            {
                "job_id": job_id,
                "status": state,
                "error": job.outcome.error if failed else None,
                "error_code": job.outcome.error_code if failed else None,
                "doi": job.doi,
                "file_format": job.outcome.file_format if done else None,
            }
        )

    async def _file(self, request: Request) -> Response:
        if (fault := self._fault("file")) is not None:
            return fault
        job_id = request.path_params["job_id"]
        job = self._find(job_id)
        if job is None:
            return JSONResponse({"detail": "job not found"}, status_code=404)
        state = job.state(time.monotonic())
        if state != "completed" or not isinstance(job.outcome, _Held):
            return JSONResponse({"detail": f"job is {state}"}, status_code=409)
        with self._lock:
            self.downloads[job_id] += 1
        held = job.outcome
        if held.serve is not None:
            return held.serve  # an ASGI callable; Starlette calls it like a Response
        if isinstance(held.pdf, Path):
            # FileResponse streams from disk in chunks.
            return FileResponse(held.pdf, media_type=held.content_type)
        return Response(held.pdf, media_type=held.content_type)
