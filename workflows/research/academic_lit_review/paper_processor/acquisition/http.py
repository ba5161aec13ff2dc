"""The one httpx client a node uses for a run: pooled connections, deadlines, identity."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from ..context import Context
from .download import DownloadLimits


def open_client(
    ctx: Context,
    *,
    wrap_transport: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
) -> httpx.AsyncClient:
    """`wrap_transport` puts a layer (acquisition's per-host politeness) around the pool."""
    pool = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(
            max_connections=max(ctx.download_concurrency * 2, 10),
            max_keepalive_connections=ctx.download_concurrency,
        )
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(ctx.read_timeout_s, connect=ctx.connect_timeout_s),
        transport=wrap_transport(pool) if wrap_transport else pool,
        headers={
            "User-Agent": ctx.user_agent(),
            "Accept": "application/pdf,application/epub+zip;q=0.9,text/html;q=0.8,*/*;q=0.5",
        },
        # Redirects are followed by hand so every hop passes the URL safety check.
        follow_redirects=False,
    )


def download_limits(ctx: Context, *, trusted: bool = False) -> DownloadLimits:
    """Limits for open-web downloads; `trusted` is for the configured retrieve service."""
    return DownloadLimits(
        max_bytes=ctx.max_pdf_bytes,
        total_timeout_s=ctx.download_timeout_s,
        max_redirects=ctx.max_redirects,
        allow_private=trusted or ctx.allow_private_hosts,
    )
