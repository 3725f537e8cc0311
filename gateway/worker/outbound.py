"""Outbound calls to addresses vendors chose (webhook endpoints, connector APIs): which may be made.

A host that resolves to a loopback, private, link-local or otherwise non-global address is refused
unless ODYSSEY_OUTBOUND_ALLOW_PRIVATE=1 (environment or env file; development and tests), so a
vendor cannot aim Odyssey's workers at its internal network."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from ..config import setting


def refused_address(url: str, what: str = "endpoint") -> str | None:
    """Why the URL's host may not be called, or None."""
    if setting("ODYSSEY_OUTBOUND_ALLOW_PRIVATE") == "1":
        return None
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        return f"the {what}'s host does not resolve: {exc}"
    for info in infos:
        try:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])  # an IPv6 zone id is not part of the address
        except ValueError:
            return f"the {what}'s host resolves to an address that cannot be checked ({info[4][0]})"
        if not address.is_global:
            return f"the {what}'s host resolves to a non-public address ({address})"
    return None


def head(response, limit: int = 300) -> str:
    """At most the first `limit` bytes of a refusal's body, for an error message (the rest is never read)."""
    data = b""
    for piece in response.iter_bytes():
        data += piece
        if len(data) >= limit:
            break
    return data[:limit].decode("utf-8", "replace")
