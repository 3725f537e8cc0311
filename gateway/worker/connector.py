"""The ingest.api and connector.test handlers: calls of a vendor's API (PRD §5.5, §6.3).

Python's part is HTTP only. SQL (db/functions/connector_sync.sql) says where a page's items and
next cursor are, keeps each page as received, maps its items into staging and advances the sync's
checkpoint in the transaction that stages the page; the sync then validates, merges, analyzes and
finalizes like a CSV file (gateway/worker/ingest.py, whose steps it shares). A worker that takes
over a sync asks for the page after the last committed one.

Transport policy (not a business rule):
- the connector's rate_limit_rpm spaces the calls of a sync: at most one per 60/rpm seconds;
- 429 and 503 are retried after their Retry-After (capped at 120 s, default 5 s), other 5xx and
  failed connections after 1, 2, 4 and 8 s; then the job goes back to the queue, whose backoff
  retries it from the page it was at. A test call is not retried: it reports what happened;
- other answers that are not 2xx (401, 403, 404, ...) fail the sync at once, with the status and
  the first 300 bytes of the body;
- auth: api_key in the connector's header, bearer, basic (secret "user:password"), oauth2 client
  credentials (secret "client_id:client_secret", a token from token_url, renewed when it expires
  or is refused);
- no redirects; 30 s timeouts; a page larger than ODYSSEY_CONNECTOR_MAX_PAGE_BYTES (default
  64 MiB) fails the sync; hosts as for webhooks (outbound.refused_address)."""
from __future__ import annotations

import json
import time
from typing import Any

import httpx
from psycopg.types.json import Jsonb

from ..config import setting
from .handlers import JobContext, JobInterrupted, PermanentError, register
from .ingest import IngestJob
from .outbound import head, refused_address

TIMEOUT = httpx.Timeout(30.0)
BACKOFF = (1.0, 2.0, 4.0, 8.0)
MAX_RETRY_AFTER = 120.0


class ApiUnavailable(Exception):
    """The API did not answer usefully for now; the queue retries the sync later."""


class ApiRefused(PermanentError):
    """The API's answer (or the connector's setup) rules out success by retrying."""
    code = "api_refused"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ApiClient:
    """GETs the pages of one connector, politely."""

    def __init__(self, connector: dict[str, Any], secret: str | None, ctx: JobContext, patient: bool = True) -> None:
        self.connector = connector
        self.paging = connector["paging"]
        self.secret = secret
        self.ctx = ctx
        self.patient = patient
        self.interval = 60.0 / max(1, int(connector["rate_limit_rpm"]))
        self.last_call = 0.0
        self.token: tuple[str, float] | None = None
        self.max_bytes = int(setting("ODYSSEY_CONNECTOR_MAX_PAGE_BYTES", str(64 * 1024 * 1024)))
        self.http = httpx.Client(timeout=TIMEOUT, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def _sleep(self, seconds: float) -> None:
        if seconds > 0 and self.ctx.stop.wait(seconds):
            raise JobInterrupted()

    def _pace(self) -> None:
        self._sleep(self.last_call + self.interval - time.monotonic())
        self.last_call = time.monotonic()

    def _credential_pair(self) -> tuple[str, str]:
        user, _, password = (self.secret or "").partition(":")
        return user, password

    def _oauth_token(self) -> str:
        if self.token and self.token[1] > time.monotonic():
            return self.token[0]
        url = self.connector["token_url"]
        refusal = refused_address(url, "token endpoint")
        if refusal:
            raise ApiRefused(refusal)
        self._pace()
        try:
            r = self.http.post(url, data={"grant_type": "client_credentials"}, auth=self._credential_pair())
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"no answer from the token endpoint: {type(exc).__name__}: {exc}") from exc
        if r.status_code != 200:
            raise ApiRefused(f"the token endpoint answered HTTP {r.status_code}: {r.text[:300]}", r.status_code)
        try:
            body = r.json()
            token = str(body["access_token"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ApiRefused("the token endpoint's answer has no access_token") from exc
        lifetime = float(body.get("expires_in") or 3600)
        self.token = (token, time.monotonic() + max(lifetime - 30, lifetime / 2))
        return token

    def _auth(self) -> tuple[dict[str, str], Any]:
        kind = self.connector["auth_type"]
        if kind != "none" and not self.secret:
            raise ApiRefused(f"the connector's auth_type is {kind} but it has no credential")
        if kind == "api_key":
            return {self.connector["auth_header"]: self.secret}, None
        if kind == "bearer":
            return {"Authorization": f"Bearer {self.secret}"}, None
        if kind == "basic":
            return {}, self._credential_pair()
        if kind == "oauth2":
            return {"Authorization": f"Bearer {self._oauth_token()}"}, None
        return {}, None

    def params(self, cursor: str | None) -> dict[str, str]:
        p = self.paging
        params: dict[str, str] = {}
        if p.get("limit_param"):
            params[p["limit_param"]] = str(p["page_size"])
        if cursor is not None:
            params[p["cursor_param"]] = cursor
        if p.get("since_param") and self.connector.get("since"):
            params[p["since_param"]] = self.connector["since"]
        return params

    def page(self, cursor: str | None) -> tuple[Any, int, float]:
        """The page at `cursor` (None: the first) as parsed JSON, its HTTP status and latency in ms."""
        url = self.connector["base_url"]
        refusal = refused_address(url, "API")
        if refusal:
            raise ApiRefused(refusal)
        failures = 0
        renewed = False
        while True:
            self.ctx.check()
            headers, auth = self._auth()
            self._pace()
            started = time.monotonic()
            try:
                with self.http.stream("GET", url, params=self.params(cursor), headers={"Accept": "application/json", **headers},
                                      auth=auth) as r:
                    status = r.status_code
                    if 200 <= status < 300:
                        return self._json(r), status, round((time.monotonic() - started) * 1000, 1)
                    problem = f"the API answered HTTP {status}: {head(r)}"
                    retry_after = r.headers.get("Retry-After")
            except httpx.HTTPError as exc:
                status, retry_after = None, None
                problem = f"no answer from the API: {type(exc).__name__}: {exc}"
            if status == 401 and self.connector["auth_type"] == "oauth2" and not renewed:
                renewed, self.token = True, None  # the token may have been revoked: one new one
                continue
            if status is not None and status < 500 and status != 429:
                raise ApiRefused(problem, status)
            if not self.patient or failures >= len(BACKOFF):
                raise ApiUnavailable(problem)
            wait = BACKOFF[failures]
            if status in (429, 503):
                wait = _retry_after(retry_after)
            failures += 1
            self._sleep(wait)

    def _json(self, response: httpx.Response) -> Any:
        data = bytearray()
        for piece in response.iter_bytes():
            data += piece
            if len(data) > self.max_bytes:
                raise ApiRefused(f"a page of the API is larger than {self.max_bytes} bytes (ODYSSEY_CONNECTOR_MAX_PAGE_BYTES)")
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ApiRefused(f"the API's answer is not JSON: {exc}") from exc


def _retry_after(value: str | None) -> float:
    """Seconds to wait from a Retry-After header (delta seconds; an HTTP date counts as the default)."""
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value))) if value is not None else 5.0
    except ValueError:
        return 5.0


class ConnectorSync(IngestJob):
    """A connector sync: the CSV job's steps, with pages of the vendor's API instead of a file."""

    def begin(self) -> dict:
        return self.call("ingest.sync_begin", self.job_id)

    def fill_staging(self, state: dict) -> None:
        connector = state["connector"]
        fetch = state["checkpoint"]["fetch"]
        client = ApiClient(connector, self.call("ingest.connector_secret", connector["id"]), self.ctx)
        try:
            cursor, page_no, done = fetch["cursor"], int(fetch["pages"]), bool(fetch["done"])
            while not done:
                page, _, _ = client.page(cursor)
                # The page, its items in staging and the checkpoint commit together; OD409 (stale)
                # when another worker moved the sync on meanwhile.
                step = self.call("ingest.sync_stage_page", self.job_id, page_no + 1, cursor, Jsonb(page))
                page_no, cursor, done = int(step["page"]), step["next_cursor"], bool(step["done"])
        finally:
            client.close()


@register("ingest.api")
def ingest_api(ctx: JobContext) -> None:
    """A connector sync of one ingestion job: payload {"job_id": uuid}."""
    ConnectorSync(ctx).run()


@register("connector.test")
def connector_test(ctx: JobContext) -> None:
    """One call of a connector's first page; the outcome goes to connectors.last_test:
    payload {"connector_id": uuid, "test_id": uuid}."""
    connector_id, test_id = ctx.payload.get("connector_id"), ctx.payload.get("test_id")
    if not connector_id or not test_id or not ctx.vendor_id:
        raise PermanentError("payload has no connector_id or test_id, or the job no vendor")
    conn = ctx.connection()
    conn.execute("select set_config('odyssey.vendor_id', %s, false)", (ctx.vendor_id,))
    connector = conn.execute("select ingest.connector_test_begin(%s, %s)", (connector_id, test_id)).fetchone()[0]
    secret = conn.execute("select ingest.connector_secret(%s)", (connector_id,)).fetchone()[0] if connector else None
    conn.commit()
    if connector is None:
        return  # replaced by a newer test, or the connector is gone
    client = ApiClient(connector, secret, ctx, patient=False)
    page: Any = None
    try:
        page, status, latency = client.page(None)
        http: dict[str, Any] = {"status": status, "latency_ms": latency}
    except ApiRefused as exc:
        http = {"status": exc.status, "error": str(exc)}
    except ApiUnavailable as exc:
        http = {"error": str(exc)}
    finally:
        client.close()
    conn.execute("select ingest.connector_test_result(%s, %s, %s, %s)",
                 (connector_id, test_id, Jsonb(http), Jsonb(page) if page is not None else None))
    conn.commit()
