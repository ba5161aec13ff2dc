"""Whether the retrieve-academic service may take new jobs, checked at most every 30 s per run."""

from __future__ import annotations

import anyio

from .client import RetrieveAcademic, ServiceError

RECHECK_AFTER_S = 30.0


class ServiceGate:
    def __init__(self, service: RetrieveAcademic) -> None:
        self._service = service
        self._lock = anyio.Lock()
        self._checked_at: float | None = None
        self._problem: str | None = None

    async def problem(self) -> str | None:
        """None if the service is healthy; otherwise why it cannot be used now."""
        async with self._lock:
            now = anyio.current_time()
            if self._checked_at is None or now - self._checked_at > RECHECK_AFTER_S:
                self._problem = await self._check()
                self._checked_at = now
            return self._problem

    async def _check(self) -> str | None:
        try:
            health = await self._service.health()
        except ServiceError as exc:
            return f"retrieve-academic at {self._service.base_url} unreachable: {exc}"
        if not health.ok:
            return f"retrieve-academic reports status {health.status!r}"
        if health.vpn_connected is False:
            return "retrieve-academic reports its VPN is not connected"
        return None
