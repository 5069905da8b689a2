"""Who is calling: the TCP peer, or what a trusted reverse proxy says in X-Forwarded-For.

Rate limits are counted per address, so the address must not be the client's to choose. Only when
the peer is one of `HUZHU_TRUSTED_PROXIES` (addresses or networks) is X-Forwarded-For read, from
the right: each proxy appends the address it saw, so the right-most entry that is not itself a
trusted proxy is the first one no trusted party vouches beyond. Entries to its left were written
by the client and are ignored.

`huzhu serve` runs uvicorn with `proxy_headers=False`: uvicorn's own handling believes the header
from 127.0.0.1 by default, which let anyone on the machine (or behind a naive local proxy) be a
new client per request. Run uvicorn by hand with `--no-proxy-headers` for the same reason.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, trusted: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_address(request: Request, trusted_proxies: tuple[str, ...] = ()) -> str:
    peer = request.client.host if request.client else "unknown"
    trusted = networks(trusted_proxies)
    if not trusted or not _trusted(peer, trusted):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer
