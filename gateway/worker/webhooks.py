"""The webhook.deliver handler: one attempt of one webhook delivery (db/functions/webhooks.sql).

SQL builds the attempt -- the URL, the exact body bytes and the signed headers (the signing secret
never leaves the database) -- and judges the outcome; this module only sends the POST. A failed
attempt raises, and the queue retries it with exponential backoff and jitter until the endpoint's
retries_max runs out, then dead-letters it (the delivery becomes dead).

Transport policy (not a business rule): no redirects are followed; 10 s to connect and to answer;
of a refusal's body only the first 300 bytes are read (into the delivery's last_error);
an endpoint whose host resolves to a loopback, private, link-local or otherwise non-global address
is refused unless ODYSSEY_OUTBOUND_ALLOW_PRIVATE=1 (gateway/worker/outbound.py), so a vendor cannot aim
Odyssey's workers at its internal network."""
from __future__ import annotations

import httpx

from .handlers import JobContext, PermanentError, register
from .outbound import head, refused_address

TIMEOUT = httpx.Timeout(10.0)


class DeliveryFailed(Exception):
    """The endpoint did not accept the attempt; the queue retries it."""


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
    error = refused_address(attempt["url"])
    if error is None:
        try:
            with httpx.stream("POST", attempt["url"], content=attempt["body"].encode("utf-8"), headers=attempt["headers"],
                              timeout=TIMEOUT, follow_redirects=False) as response:
                status = response.status_code
                if not 200 <= status < 300:
                    error = f"the endpoint answered HTTP {status}: {head(response)}"
        except httpx.HTTPError as exc:
            error = f"no answer from the endpoint: {type(exc).__name__}: {exc}"
    outcome = conn.execute("select hooks.delivery_result(%s, %s, %s)", (delivery_id, status, error)).fetchone()[0]
    conn.commit()
    if outcome != "delivered":
        raise DeliveryFailed(error or f"HTTP {status}")
