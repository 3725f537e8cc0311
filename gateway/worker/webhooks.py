"""The webhook.deliver handler: one attempt of one webhook delivery (db/functions/webhooks.sql).

SQL builds the attempt -- the URL, the exact body bytes and the signed headers (the signing secret
never leaves the database) -- and judges the outcome; this module only sends the POST. A failed
attempt raises, and the queue retries it with exponential backoff and jitter until the endpoint's
retries_max runs out, then dead-letters it (the delivery becomes dead).

Transport policy (not a business rule): no redirects are followed; 10 s to connect and to answer;
of a refusal's body only the first 300 bytes are read (into the delivery's last_error);
an endpoint whose host resolves to a loopback, private, link-local or otherwise non-global address
is refused unless ODYSSEY_WEBHOOK_ALLOW_PRIVATE=1 (environment or env file; development and tests), so a vendor cannot aim
Odyssey's workers at its internal network."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from ..config import setting
from .handlers import JobContext, PermanentError, register

TIMEOUT = httpx.Timeout(10.0)


class DeliveryFailed(Exception):
    """The endpoint did not accept the attempt; the queue retries it."""


def _refused_address(url: str) -> str | None:
    """Why the URL's host may not be called, or None."""
    if setting("ODYSSEY_WEBHOOK_ALLOW_PRIVATE") == "1":
        return None
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        return f"the endpoint's host does not resolve: {exc}"
    for info in infos:
        try:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])  # an IPv6 zone id is not part of the address
        except ValueError:
            return f"the endpoint's host resolves to an address that cannot be checked ({info[4][0]})"
        if not address.is_global:
            return f"the endpoint's host resolves to a non-public address ({address})"
    return None


def _head(response: httpx.Response, limit: int = 300) -> str:
    """At most the first `limit` bytes of a refusal's body, for the delivery's last_error (the rest is never read)."""
    data = b""
    for piece in response.iter_bytes():
        data += piece
        if len(data) >= limit:
            break
    return data[:limit].decode("utf-8", "replace")


@register("webhook.deliver")
def deliver(ctx: JobContext) -> None:
    """One signed POST of a webhook delivery: payload {"delivery_id": uuid}."""
    delivery_id = ctx.payload.get("delivery_id")
    if not delivery_id or not ctx.vendor_id:
        raise PermanentError("payload has no delivery_id, or the job no vendor")
    conn = ctx.connection()
    conn.execute("select set_config('odyssey.vendor_id', %s, false)", (ctx.vendor_id,))
    attempt = conn.execute("select hooks.delivery_begin(%s)", (delivery_id,)).fetchone()[0]
    conn.commit()
    if attempt is None:
        return  # delivered already, dead, or gone with its endpoint
    status: int | None = None
    error = _refused_address(attempt["url"])
    if error is None:
        try:
            with httpx.stream("POST", attempt["url"], content=attempt["body"].encode("utf-8"), headers=attempt["headers"],
                              timeout=TIMEOUT, follow_redirects=False) as response:
                status = response.status_code
                if not 200 <= status < 300:
                    error = f"the endpoint answered HTTP {status}: {_head(response)}"
        except httpx.HTTPError as exc:
            error = f"no answer from the endpoint: {type(exc).__name__}: {exc}"
    outcome = conn.execute("select hooks.delivery_result(%s, %s, %s)", (delivery_id, status, error)).fetchone()[0]
    conn.commit()
    if outcome != "delivered":
        raise DeliveryFailed(error or f"HTTP {status}")
