"""Client of the retrieve-academic job service.

GET  /health          → {status, vpn_connected}
POST /retrieve        → {job_id, status}       body: doi, title, authors, year, venue,
                                                timeout_seconds, preferred_formats (best first)
GET  /jobs/{id}       → {status: pending|searching|downloading|completed|failed, error, error_code,
                         file_format (what the finished file is: pdf, epub, ...)}
GET  /jobs/{id}/file  → the file, streamed
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
from pydantic import SecretStr

from ..acquisition.download import Downloaded, DownloadLimits, download
from ..http_policy import is_transient_status
from ..models import Paper

JobState = Literal["pending", "searching", "downloading", "completed", "failed"]
_KNOWN_STATES = frozenset({"pending", "searching", "downloading", "completed", "failed"})


class ServiceError(Exception):
    """The service did not give a usable answer. `transient` errors are worth retrying."""

    def __init__(self, message: str, *, transient: bool, status_code: int | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.status_code = status_code


@dataclass(frozen=True)
class Health:
    status: str
    vpn_connected: bool | None

    @property
    def ok(self) -> bool:
        return self.status.lower() in {"ok", "healthy", "up", "ready"}


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    status: JobState
    error: str | None = None
    error_code: str | None = None
    file_format: str | None = None  # lower case; None when the service does not say


class RetrieveAcademic:
    """Talks to one retrieve-academic service over a caller-owned httpx client."""

    def __init__(
        self, base_url: str, *, client: httpx.AsyncClient, api_key: SecretStr | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client
        # Sent per request rather than set on the shared client, so open-web hosts never see it.
        self._auth = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}

    async def _request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            response = await self._client.request(
                method, f"{self.base_url}{path}", headers=self._auth, **kwargs
            )
        except httpx.HTTPError as exc:
            raise ServiceError(f"{type(exc).__name__}: {exc}", transient=True) from exc
        if response.status_code >= 400:
            raise ServiceError(
                f"HTTP {response.status_code} from {method} {path}",
                transient=is_transient_status(response.status_code),
                status_code=response.status_code,
            )
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError as exc:
            raise ServiceError("answer is not JSON", transient=True) from exc
        if not isinstance(body, dict):
            raise ServiceError("answer is not a JSON object", transient=True)
        return body

    async def health(self) -> Health:
        try:
            body = self._json(await self._request("GET", "/health"))
        except ServiceError as exc:
            if exc.status_code is None:
                raise
            return Health(status=f"HTTP {exc.status_code}", vpn_connected=None)
        return Health(status=str(body.get("status", "")), vpn_connected=body.get("vpn_connected"))

    async def submit(
        self,
        paper: Paper,
        *,
        timeout_seconds: int,
        preferred_formats: Sequence[str] = ("pdf", "epub"),
    ) -> str:
        payload = {
            "doi": paper.doi,
            "title": paper.title,
            "authors": paper.authors,
            "year": paper.year,
            "venue": paper.venue,
            "timeout_seconds": timeout_seconds,
            "preferred_formats": list(preferred_formats),
        }
        body = self._json(await self._request("POST", "/retrieve", json=payload))
        job_id = body.get("job_id")
        if not isinstance(job_id, str) or not job_id:
            raise ServiceError("POST /retrieve answered without a job_id", transient=False)
        return job_id

    async def job(self, job_id: str) -> JobStatus:
        body = self._json(await self._request("GET", f"/jobs/{job_id}"))
        status = body.get("status")
        if status not in _KNOWN_STATES:
            raise ServiceError(f"unknown job status {status!r}", transient=True)
        file_format = body.get("file_format")
        return JobStatus(
            job_id=job_id,
            status=status,
            error=body.get("error"),
            error_code=body.get("error_code"),
            file_format=file_format.strip().lower() if isinstance(file_format, str) else None,
        )

    async def download_file(self, job_id: str, dest: Path, *, limits: DownloadLimits) -> Downloaded:
        return await download(
            self._client,
            f"{self.base_url}/jobs/{job_id}/file",
            dest,
            limits=limits,
            headers=self._auth,
        )
