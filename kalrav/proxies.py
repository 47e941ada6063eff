"""Who is on the other end of a request, when proxies stand in between.

X-Forwarded-For is a list each proxy appends to, and anyone can start it with whatever they like.
Only the proxies named in KALRAV_TRUSTED_PROXIES are believed: walking the list from the right
(the hop nearest to Kalrav), the first address that is not a trusted proxy is the client. With no
trusted proxies the header is ignored and the client is the peer of the connection. `kalrav serve`
gives uvicorn the same list (--forwarded-allow-ips), so both agree; behind any other server this
module still finds the same address.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest

from kalrav.conf import IPNetwork

log = logging.getLogger(__name__)

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
_warned = False


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # 192.0.2.1:443
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address, networks: list[IPNetwork]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request: HttpRequest) -> str:
    peer = request.META.get("REMOTE_ADDR", "") or "unknown"
    networks: list[IPNetwork] = settings.TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not _trusted(_address(peer), networks):
        if forwarded and not networks:
            _warn_once(peer)
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if not _trusted(address, networks):
            # An unreadable hop is as far as the trusted chain reaches: count that hop as is.
            return str(address) if address is not None else hop[:64]
    # Every hop is a trusted proxy: the first one is the client.
    return hops[0] if hops else peer


def is_forwarded(request: HttpRequest) -> bool:
    """The request names a client beyond the connection's peer (it came through a proxy)."""
    return any(request.META.get(header) for header in FORWARDING_HEADERS)


def _warn_once(peer: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        log.warning(
            "a request from %s carries X-Forwarded-For, which is ignored: if %s is your reverse "
            "proxy, add it to KALRAV_TRUSTED_PROXIES so sign-in throttling counts each client",
            peer,
            peer,
        )
