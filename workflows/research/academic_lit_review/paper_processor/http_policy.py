"""HTTP policy, defined once for every client of the package (open-access hosts, APIs,
retrieve-academic): which answers are worth another try, and httpx's errors as the package's
own failures.

Callers translate at one boundary (`httpx_errors_as_failures`), so the code above only ever
sees `SourceFailed` with a reason, never httpx's exception tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from .errors import SourceFailed
from .models import Reason

# Answers that say "not now" rather than "no": another try later may well succeed.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Statuses whose Retry-After asks the client to come back later (RFC 9110 §10.2.3).
RETRY_AFTER_STATUSES = frozenset({429, 503})
# Failures before any answer arrived that another try may well get past.
TRANSIENT_HTTPX_ERRORS: tuple[type[httpx.HTTPError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


def is_transient_status(status: int | None) -> bool:
    return status in TRANSIENT_STATUSES


@contextmanager
def httpx_errors_as_failures(url: str | httpx.URL) -> Iterator[None]:
    """httpx's exceptions inside the block become `SourceFailed` (raised `from` them): a timeout
    is `timeout`, a malformed URL `blocked_url`, anything else `network_error`."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise SourceFailed(Reason.TIMEOUT, f"{type(exc).__name__} from {url}") from exc
    except httpx.InvalidURL as exc:
        raise SourceFailed(Reason.BLOCKED_URL, f"invalid URL: {exc}") from exc
    except httpx.HTTPError as exc:
        raise SourceFailed(Reason.NETWORK_ERROR, f"{type(exc).__name__}: {exc}") from exc
