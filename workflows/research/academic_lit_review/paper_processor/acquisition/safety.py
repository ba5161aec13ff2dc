"""Which URLs the processor may fetch: http(s) only, and no internal addresses unless allowed.

The check runs on every hop of a redirect chain and on the addresses the host name resolves to,
so a public name pointing at 127.0.0.1 or a redirect to 169.254.169.254 is refused too.
"""

from __future__ import annotations

import ipaddress
import socket

import anyio
import httpx

from ..errors import SourceFailed
from ..models import Reason

ALLOWED_SCHEMES = frozenset({"http", "https"})


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


async def check_url(url: httpx.URL, *, allow_private: bool) -> None:
    """Raise `SourceFailed(blocked_url)` unless the URL may be fetched."""
    if url.scheme not in ALLOWED_SCHEMES:
        raise SourceFailed(Reason.BLOCKED_URL, f"scheme {url.scheme or '(none)'!r} is not http(s)")
    host = url.host
    if not host:
        raise SourceFailed(Reason.BLOCKED_URL, "URL has no host")
    if allow_private:
        return
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = await anyio.getaddrinfo(host, url.port or 443, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise SourceFailed(Reason.NETWORK_ERROR, f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if _is_internal(address):
            raise SourceFailed(
                Reason.BLOCKED_URL,
                f"{host} resolves to internal address {address}"
                " (set PAPER_PROCESSOR_ALLOW_PRIVATE_HOSTS=1 to allow)",
            )
