"""The HTTP gateway: verify the JWT, rate-limit, open one transaction, resolve and set the request
context in one statement, call one api function, pass its JSON through. No business rule here."""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import Authenticator, AuthConfig
from .config import setting
from .observability import ERR, Metrics, SampleShipper, log_request, setup_logging
from .problems import Problem, field_errors, problem_response, status_of_sqlstate
from .routes import ENDPOINTS, Arg, Endpoint

LSN_RE = re.compile(r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$")
RFC3339_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})$")
REQ_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
MAX_BODY = 64 * 1024 * 1024
RESOLVE = ("SELECT set_config('role', r.db_role, true), r.vendor_id::text, r.app_role{extra} "
           "FROM api.resolve_principal(%s, %s, %s, %s, %s, %s) r")
REPLICA_NOT_FINAL = {"OD401", "OD403", "OD404", "P0002", "42501"}
REPLICA_EXTRA = ", api.replica_status()::text, api.replica_has_replayed(coalesce(%s, '0/0')::pg_lsn)"


@dataclass
class Settings:
    database_url: str
    replica_url: str | None
    pool_min: int
    pool_max: int
    replica_timeout: float
    expose_errors: bool = False

    @classmethod
    def from_env(cls) -> "Settings":
        url = setting("ODYSSEY_DATABASE_URL")
        if not url:
            raise SystemExit("ODYSSEY_DATABASE_URL is not set (run scripts/cluster up, or export it)")
        return cls(database_url=url, replica_url=setting("ODYSSEY_REPLICA_URL") or None,
                   pool_min=int(setting("ODYSSEY_POOL_MIN", "1") or 1),
                   pool_max=int(setting("ODYSSEY_POOL_MAX", "10") or 10),
                   replica_timeout=float(setting("ODYSSEY_REPLICA_TIMEOUT", "1.0") or 1.0))


# A custom request handler: (gateway, request, endpoint, request id, log record, response headers) -> response.
Serve = Callable[["Gateway", Request, Endpoint, str, dict, dict], Awaitable[Response]]


class _NotReplayed(Exception):
    """The replica has not replayed the client's WAL position yet: serve from the primary."""


class _ReplicaUnavailable(Exception):
    pass


@dataclass
class Outcome:
    status: int
    body: str
    vendor_id: str | None = None
    app_role: str | None = None
    replayed: bool = False
    served_by: str = "primary"
    lag: float | None = None
    wal_lsn: str | None = None


def _parse_value(arg: Arg, raw: str, where: str) -> Any:
    """Typed value of a path or query parameter; Problem 404 (path) or 400 (query) when malformed."""
    try:
        if arg.type == "uuid":
            return str(uuid.UUID(raw))
        if arg.type in ("int", "bigint"):
            if not re.fullmatch(r"-?[0-9]{1,18}", raw):
                raise ValueError(raw)
            value = int(raw)
            if arg.type == "int" and not -2**31 <= value < 2**31:
                raise ValueError(raw)
            return value
        if arg.type == "bool":
            if raw in ("true", "false"):
                return raw == "true"
            raise ValueError(raw)
        if arg.type == "timestamptz":
            if not RFC3339_RE.match(raw):
                raise ValueError(raw)
            datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
            return raw
        if "\x00" in raw:
            raise ValueError(raw)
        return raw
    except ValueError:
        if where == "path":
            raise Problem(404, "no such resource") from None
        raise Problem(400, f"invalid value for {arg.key}",
                      errors=[{"field": arg.key, "code": "invalid", "message": f"expected {arg.type}"}]) from None


def _body_value(arg: Arg, value: Any) -> Any:
    """A scalar member of the JSON body as the SQL parameter type; Problem 422 when of another JSON type."""
    if value is None:
        return None
    if arg.type == "jsonb":
        return Jsonb(value)
    expected = {"text": (str,), "bool": (bool,), "int": (int,), "bigint": (int,)}.get(arg.type, (str,))
    if not isinstance(value, expected) or (arg.type in ("int", "bigint") and isinstance(value, bool)):
        raise Problem(422, f"invalid value for {arg.key}",
                      errors=[{"field": arg.key, "code": "type", "message": f"expected {'integer' if arg.type in ('int', 'bigint') else arg.type}"}])
    if arg.type in ("int", "bigint") and not -2**63 <= value < 2**63:
        raise Problem(422, f"invalid value for {arg.key}",
                      errors=[{"field": arg.key, "code": "out_of_range", "message": "out of range"}])
    if isinstance(value, str) and "\x00" in value:
        raise Problem(400, f"invalid value for {arg.key}",
                      errors=[{"field": arg.key, "code": "invalid", "message": "NUL characters are not allowed"}])
    return value


def _resolve_statement(principal: tuple, token: str | None, replica: bool) -> tuple[str, tuple]:
    """The statement that resolves the caller and sets role and context (on a replica, also whether
    it has replayed the client's WAL position)."""
    if replica:
        return RESOLVE.format(extra=REPLICA_EXTRA), (token, *principal)
    return RESOLVE.format(extra=""), principal


def _resolved(outcome: Outcome, row: tuple, replica: bool) -> None:
    """Takes vendor and role from the resolve row; a replica behind the client's WAL position is
    refused (the primary answers instead)."""
    outcome.vendor_id, outcome.app_role = row[1], row[2]
    if replica:
        if not row[4]:
            raise _NotReplayed()
        outcome.lag = float(json.loads(row[3]).get("lag_seconds") or 0)


WAL_POSITION = "SELECT pg_current_wal_lsn()::text"


async def _wal_position(conn, ep: Endpoint, outcome: Outcome) -> None:
    """A write's WAL position after its commit: a later read presenting it sees the write."""
    if ep.writes:
        cur = await conn.execute(WAL_POSITION)
        outcome.wal_lsn = (await cur.fetchone())[0]


def _list_param(values: list[str], key: str = "") -> list[str]:
    items = [v.strip() for raw in values for v in raw.split(",")]
    if any("\x00" in v for v in items):
        raise Problem(400, f"invalid value for {key}",
                      errors=[{"field": key, "code": "invalid", "message": "NUL characters are not allowed"}])
    return [v for v in items if v]


def _if_match(header: str | None) -> int | None:
    """The version named by If-Match: "3", W/"3" or 3; '*' is no condition; anything else never matches."""
    if header is None:
        return None
    value = header.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip('"')
    return int(value) if value.isdigit() and len(value) < 10 else -1


def _none_match(header: str | None, etag: str) -> bool:
    """If-None-Match (RFC 9110 13.1.2, weak comparison): true when it names this ETag, or is '*'."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}


class Gateway:
    def __init__(self, settings: Settings, auth: Authenticator) -> None:
        self.settings = settings
        self.auth = auth
        self.metrics = Metrics()
        self.shipper = SampleShipper()
        self.primary = AsyncConnectionPool(settings.database_url, min_size=settings.pool_min,
                                           max_size=settings.pool_max, open=False, name="primary",
                                           kwargs={"autocommit": True, "application_name": "odyssey-gateway"})
        self.replica = (AsyncConnectionPool(settings.replica_url, min_size=settings.pool_min,
                                            max_size=settings.pool_max, open=False, name="replica",
                                            kwargs={"autocommit": True, "application_name": "odyssey-gateway"})
                        if settings.replica_url else None)
        self.replica_down_until = 0.0
        # Users answered 429 lately (until the window resets): their replica reads wait for admission.
        self.limited_until: dict[str, float] = {}

    async def start(self) -> None:
        await self.primary.open(wait=True, timeout=30)
        if self.replica is not None:
            await self.replica.open(wait=False)
        self.shipper.start(self.primary)

    async def stop(self) -> None:
        await self.shipper.stop(self.primary)
        await self.primary.close()
        if self.replica is not None:
            await self.replica.close()
        await self.auth.close()

    # ---- one request --------------------------------------------------------------------------
    async def handle(self, request: Request, ep: Endpoint, serve: Serve | None = None) -> Response:
        """One request, logged and measured; errors become problem+json. `serve` answers requests the
        generic one-function path cannot (TUS uploads, gateway/tus.py): it gets the same request id,
        log record and response headers, and admits the caller with `admit`."""
        started = time.perf_counter()
        supplied = request.headers.get("x-request-id", "")
        req_id = supplied if REQ_ID_RE.match(supplied) else uuid.uuid4().hex
        log: dict[str, Any] = {"req_id": req_id, "user_id": None, "vendor_id": None, "role": None,
                               "route": ep.path, "method": ep.method, "status": 500}
        headers: dict[str, str] = {"X-Request-Id": req_id}
        outcome: Outcome | None = None
        try:
            if serve is None:
                outcome = await self._serve(request, ep, req_id, log, headers)
                response = self._respond(ep, outcome, headers,
                                         request.headers.get("if-none-match") if ep.method == "GET" else None)
            else:
                response = await serve(self, request, ep, req_id, log, headers)
        except Problem as p:
            response = problem_response(p.status, p.detail, instance=request.url.path, errors=p.errors,
                                        headers={**headers, **p.headers}, request_id=req_id, code=p.code)
        except psycopg.Error as exc:
            response = self._db_problem(exc, request, headers, req_id)
        except Exception:
            ERR.exception("unhandled error (req_id=%s)", req_id)
            response = problem_response(500, "an internal error occurred; quote the request id to support",
                                        instance=request.url.path, headers=headers, request_id=req_id)
        elapsed = time.perf_counter() - started
        log["status"] = response.status_code
        log["latency_ms"] = round(elapsed * 1000, 3)
        log["rows_read"], log["rows_written"] = self._rows(ep, outcome)
        if outcome is not None:
            log["served_by"] = outcome.served_by
            if outcome.replayed:
                log["idempotent_replay"] = True
        log_request(log)
        self.metrics.observe(ep.path, ep.method, response.status_code, elapsed)
        self.shipper.add(log.get("vendor_id"), ep.path, ep.method, response.status_code, elapsed * 1000)
        return response

    @staticmethod
    def _rows(ep: Endpoint, outcome: Outcome | None) -> tuple[int, int]:
        """Rows read / written as the response tells them (items of a page, counts of an upsert)."""
        if outcome is None or outcome.status >= 400:
            return 0, 0
        try:
            body = json.loads(outcome.body)
        except ValueError:
            return 0, 0
        if not isinstance(body, dict):
            return 0, 0
        if ep.writes:
            if "inserted" in body:
                return 0, int(body.get("inserted") or 0) + int(body.get("updated") or 0)
            return 0, 1
        items = body.get("items")
        return (len(items) if isinstance(items, list) else 1), 0

    def _db_problem(self, exc: psycopg.Error, request: Request, headers: dict[str, str], req_id: str) -> Response:
        state = exc.sqlstate
        if state is None and isinstance(exc, psycopg.DataError):
            # Refused by the driver before reaching the server (e.g. a NUL character in text).
            return problem_response(400, "a parameter has a value PostgreSQL cannot store", instance=request.url.path,
                                    headers=headers, request_id=req_id)
        status = status_of_sqlstate(state)
        if status >= 500:
            ERR.error("database error %s (req_id=%s): %s", state, req_id, exc)
            if isinstance(exc, psycopg.OperationalError):
                status, detail = 503, "the database is unavailable; retry later"
            else:
                detail = "an internal error occurred; quote the request id to support"
            return problem_response(status, detail, instance=request.url.path, headers=headers, request_id=req_id)
        diag = exc.diag
        detail = diag.message_primary or "request failed"
        errors = field_errors(diag.message_detail)
        if state == "42501":
            detail = "your role may not do this"
        return problem_response(status, detail, instance=request.url.path, errors=errors, headers=headers,
                                request_id=req_id)

    async def admit(self, request: Request, ep: Endpoint, log: dict, headers: dict) -> tuple:
        """Verifies the bearer token, reads X-Vendor-Id / X-Justification and counts the request
        against the rate limits. Returns the principal that every request transaction resolves."""
        principal = await self.identify(request, log)
        log["vendor_id"], log["role"] = await self._rate_limit(ep, headers, principal)
        return principal

    async def identify(self, request: Request, log: dict) -> tuple:
        """The principal of a request -- (user, X-Vendor-Id, X-Justification, request id, client ip,
        user agent) -- from its verified bearer token and headers; no database work."""
        user = await self.auth.authenticate(request.headers.get("authorization"))
        log["user_id"] = user
        vendor_header = request.headers.get("x-vendor-id")
        vendor: str | None = None
        if vendor_header is not None:
            try:
                vendor = str(uuid.UUID(vendor_header))
            except ValueError:
                raise Problem(400, "X-Vendor-Id must be a UUID",
                              errors=[{"field": "X-Vendor-Id", "code": "invalid", "message": "expected a UUID"}]) from None
        justification = request.headers.get("x-justification") or None
        if justification and len(justification) > 1000:
            raise Problem(400, "X-Justification is limited to 1000 characters")
        client_ip = request.client.host if request.client else None
        return (user, vendor, justification, log["req_id"], client_ip, request.headers.get("user-agent"))

    @staticmethod
    def idempotency(request: Request, ep: Endpoint, payload: Any) -> tuple | None:
        """(key, method, path, fingerprint) of a write carrying Idempotency-Key; required on POST."""
        if not ep.writes:
            return None
        key = request.headers.get("idempotency-key")
        if key is None and ep.method == "POST":
            raise Problem(400, "Idempotency-Key is required on this POST", code="idempotency-key-required",
                          errors=[{"field": "Idempotency-Key", "code": "required", "message": "send a unique key per write"}])
        if key is None:
            return None
        fingerprint = hashlib.sha256(json.dumps(
            [ep.method, request.url.path, sorted(request.query_params.multi_items()), payload],
            sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()
        return (key, ep.method, request.url.path, fingerprint)

    async def call_primary(self, ep: Endpoint, principal: tuple, function: str, args: list[tuple[str, Any, str]],
                           log: dict, idem: tuple | None = None) -> Outcome:
        """One request transaction on the primary calling `function` with (p_name, value, type) args."""
        call_sql = f"SELECT {function}({', '.join(f'{p} => %s::{t}' for p, _, t in args)})::text"
        outcome = await self._transaction(self.primary, ep, principal, call_sql, [v for _, v, _ in args], idem, None,
                                          replica=False)
        log["vendor_id"], log["role"] = outcome.vendor_id, outcome.app_role
        return outcome

    async def _serve(self, request: Request, ep: Endpoint, req_id: str, log: dict, headers: dict,
                     extra: tuple[tuple[str, Any, str], ...] = ()) -> Outcome:
        principal = await self.identify(request, log)
        justification = principal[2]
        replica = (ep.replica and self.replica is not None and not justification
                   and time.monotonic() >= self.replica_down_until)
        if not replica or self.limited_until.get(principal[0], 0.0) > time.monotonic():
            log["vendor_id"], log["role"] = await self._rate_limit(ep, headers, principal)
            admission = None
        else:
            # A replica read changes nothing: admission (a statement on the primary) runs beside it,
            # and a refusal or a 429 is answered instead of the read. A user answered 429 waits for
            # admission until the window resets, so reads over the limit cost the replica nothing.
            admission = asyncio.ensure_future(self._rate_limit(ep, headers, principal))
        try:
            call_sql, params, payload = await self._call(request, ep, extra)
            idem = self.idempotency(request, ep, payload)
            token = request.headers.get("x-odyssey-wal-lsn")
            if token is not None and not LSN_RE.match(token):
                raise Problem(400, "X-Odyssey-Wal-Lsn must be a WAL position such as 0/3BD0000")
            outcome: Outcome | None = None
            if replica:
                try:
                    outcome = await self._transaction(self.replica, ep, principal, call_sql, params, None, token, replica=True)
                except _NotReplayed:
                    self.metrics.replica_fallbacks.labels("not_replayed").inc()
                except _ReplicaUnavailable:
                    self.metrics.replica_fallbacks.labels("unavailable").inc()
                    self.replica_down_until = time.monotonic() + 5.0
        except BaseException:
            if admission is not None:
                await admission                 # a refusal or a 429 outranks the request's own error
            raise
        if admission is not None:
            log["vendor_id"], log["role"] = await admission
        if outcome is None:
            outcome = await self._transaction(self.primary, ep, principal, call_sql, params, idem, None, replica=False)
        log["vendor_id"], log["role"] = outcome.vendor_id, outcome.app_role
        return outcome

    async def _rate_limit(self, ep: Endpoint, headers: dict[str, str], principal: tuple) -> tuple[str | None, str | None]:
        """Counts the request (own statement, before the request transaction: counters are shared by
        every gateway process and must not stay locked for a whole request); a break-glass request is
        audited there too, committed whatever the request then does. Returns (vendor, role)."""
        user, vendor, justification, req_id, client_ip, ua = principal
        context = (req_id, client_ip, ua, justification)
        async with self.primary.connection() as conn:
            cur = await conn.execute("SELECT api.rate_limit_take(%s, %s, %s, %s, %s, %s, %s)::text",
                                     (user, vendor, ep.ingest, *context))
            state = json.loads((await cur.fetchone())[0])
        if state.get("denied"):
            raise Problem(403, state["detail"])
        headers["RateLimit-Limit"] = str(state["limit"])
        headers["RateLimit-Remaining"] = str(state["remaining"])
        headers["RateLimit-Reset"] = str(state["reset"])
        headers["RateLimit-Policy"] = f'{state["limit"]};w={state["window"]};comment="{state["scope"]}"'
        if not state["allowed"]:
            self.metrics.rate_limited.labels(state["scope"]).inc()
            self.limited_until[user] = time.monotonic() + float(state["reset"])
            if len(self.limited_until) > 10000:
                now = time.monotonic()
                self.limited_until = {u: t for u, t in self.limited_until.items() if t > now}
            raise Problem(429, f'rate limit exceeded ({state["limit"]} requests per minute per {state["scope"]})',
                          headers={"Retry-After": str(state["reset"])}, code="rate-limited")
        return state.get("vendor_id"), state.get("app_role")

    async def _call(self, request: Request, ep: Endpoint,
                    extra: tuple[tuple[str, Any, str], ...] = ()) -> tuple[str, list[Any], Any]:
        """SQL text and parameters of the endpoint's one api function call (plus `extra` (p_name,
        value, type) arguments the gateway supplies), and the parsed body."""
        payload: Any = None
        if any(a.source in ("body", "body_key", "body_value") for a in ep.args):
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json" and not ctype.endswith("+json"):
                raise Problem(415, "the body must be application/json")
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > MAX_BODY:
                raise Problem(413, "the body is too large")
            raw = await request.body()
            if len(raw) > MAX_BODY:
                raise Problem(413, "the body is too large")
            try:
                payload = json.loads(raw)
            except ValueError:
                raise Problem(400, "the body is not valid JSON") from None
        parts: list[str] = []
        params: list[Any] = []
        for arg in ep.args:
            value: Any
            if arg.source == "path":
                value = _parse_value(arg, request.path_params[arg.key], "path")
            elif arg.source == "query":
                values = request.query_params.getlist(arg.key)
                if not values and arg.required:
                    value = None  # the function reports it with the other field errors
                elif not values:
                    continue
                elif arg.type == "text[]":
                    value = _list_param(values, arg.key)
                else:
                    value = _parse_value(arg, values[-1], "query")
            elif arg.source == "filters":
                filters: dict[str, Any] = {}
                for key, type_ in ep.filters:
                    values = request.query_params.getlist(key)
                    if values:
                        filters[key] = _list_param(values, key) if type_ == "text[]" else _parse_value(Arg("", "query", key, type_), values[-1], "query")
                value = Jsonb(filters)
            elif arg.source == "body":
                value = Jsonb(payload)
            elif arg.source == "body_key":
                value = Jsonb(payload.get(arg.key) if isinstance(payload, dict) else None)
            elif arg.source == "body_value":
                value = _body_value(arg, payload.get(arg.key) if isinstance(payload, dict) else None)
            elif arg.source == "if_match":
                value = _if_match(request.headers.get("if-match"))
                if value is None:
                    continue
            else:
                value = arg.value
            parts.append(f"{arg.param} => %s::{arg.type}")
            params.append(value)
        for param, value, type_ in extra:
            parts.append(f"{param} => %s::{type_}")
            params.append(value)
        return f"SELECT {ep.function}({', '.join(parts)})::text", params, payload

    async def _transaction(self, pool: AsyncConnectionPool, ep: Endpoint, principal: tuple, call_sql: str,
                           params: list[Any], idem: tuple | None, token: str | None, replica: bool) -> Outcome:
        try:
            conn_cm = pool.connection(timeout=self.settings.replica_timeout if replica else None)
            async with conn_cm as conn:
                return await self._in_transaction(conn, ep, principal, call_sql, params, idem, token, replica)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            if replica:
                raise _ReplicaUnavailable() from exc
            raise
        except psycopg.Error as exc:
            # A replica may not have replayed yet a membership or a row the primary already has:
            # a refusal or a miss there is never final -- the primary gives the answer.
            if replica and exc.sqlstate in REPLICA_NOT_FINAL:
                raise _NotReplayed() from exc
            raise

    async def _in_transaction(self, conn, ep: Endpoint, principal: tuple, call_sql: str, params: list[Any],
                              idem: tuple | None, token: str | None, replica: bool) -> Outcome:
        outcome = Outcome(status=ep.status, body="", served_by="replica" if replica else "primary")
        resolve_sql, resolve_params = _resolve_statement(principal, token, replica)
        if idem is None:
            return await self._pipelined(conn, ep, resolve_sql, resolve_params, call_sql, params, replica, outcome)
        # A write with an Idempotency-Key: its key is taken (or replayed) before the call.
        async with conn.transaction():
            cur = conn.cursor()
            await cur.execute(resolve_sql, resolve_params)
            _resolved(outcome, await cur.fetchone(), replica)
            await cur.execute("SELECT api.idempotency_begin(%s, %s, %s, %s)::text", idem)
            stored = (await cur.fetchone())[0]
            if stored is not None:
                replay = json.loads(stored)
                outcome.status, outcome.body, outcome.replayed = int(replay["status"]), json.dumps(replay["body"]), True
                return outcome
            await cur.execute(call_sql, params)
            outcome.body = (await cur.fetchone())[0] or "null"
            await cur.execute("SELECT api.idempotency_finish(%s, %s, %s::jsonb)", (idem[0], outcome.status, outcome.body))
        await _wal_position(conn, ep, outcome)
        return outcome

    @staticmethod
    async def _pipelined(conn, ep: Endpoint, resolve_sql: str, resolve_params: tuple, call_sql: str,
                         params: list[Any], replica: bool, outcome: Outcome) -> Outcome:
        """Resolve and call in one round trip: both statements go out in one pipeline, before its one
        Sync, so PostgreSQL runs them as one implicit transaction -- the role and settings that resolve
        sets are local to it, and an error in either rolls both back. (A BEGIN/COMMIT pair around them
        cost two more round trips, ~0.9 ms a request.) A write's WAL position is read after the Sync,
        that is after its commit, in the same round trip (a second Sync ends the transaction first)."""
        # prepare=False: when the first statement fails, PostgreSQL skips the rest of the pipeline --
        # the Parse of a statement psycopg would be preparing too -- yet psycopg counts it as
        # prepared, and the next use fails with 26000 "prepared statement does not exist".
        resolve, call, wal = conn.cursor(), conn.cursor(), conn.cursor()
        async with conn.pipeline() as pipeline:
            await resolve.execute(resolve_sql, resolve_params, prepare=False)
            await call.execute(call_sql, params, prepare=False)
            if ep.writes:
                await pipeline.sync()
                await wal.execute(WAL_POSITION, prepare=False)
        _resolved(outcome, await resolve.fetchone(), replica)
        outcome.body = (await call.fetchone())[0] or "null"
        if ep.writes:
            outcome.wal_lsn = (await wal.fetchone())[0]
        return outcome

    def _respond(self, ep: Endpoint, outcome: Outcome, headers: dict[str, str],
                 if_none_match: str | None = None) -> Response:
        body = outcome.body
        headers["X-Odyssey-Served-By"] = outcome.served_by
        if outcome.wal_lsn:
            headers["X-Odyssey-Wal-Lsn"] = outcome.wal_lsn
        if outcome.replayed:
            headers["Idempotent-Replayed"] = "true"
        if ep.replica:
            lag = outcome.lag if outcome.served_by == "replica" else 0.0
            freshness = "live" if outcome.served_by == "primary" else ("fresh" if lag == 0 else "lagging")
            self.metrics.replica_lag.set(lag or 0.0) if outcome.served_by == "replica" else None
            headers["X-Odyssey-Freshness"] = freshness
            headers["X-Odyssey-Replica-Lag"] = f"{lag:.3f}"
            if body.startswith("{") and '"freshness"' not in body:
                extra = json.dumps({"served_by": outcome.served_by, "freshness": freshness,
                                    "replica_lag_seconds": round(lag, 3)})[1:-1]
                body = "{" + extra + ("" if body.strip() == "{}" else ", " + body[1:])
                if body.endswith(", }"):
                    body = body[:-3] + "}"
        if ep.etag and outcome.status < 300:
            try:
                version = json.loads(body).get("version")
            except (ValueError, AttributeError):
                version = None
            if isinstance(version, int):
                headers["ETag"] = f'"{version}"'
                if _none_match(if_none_match, headers["ETag"]):
                    return Response(status_code=304, headers=headers)
        return Response(body, status_code=outcome.status, headers=headers, media_type="application/json")

    # ---- service endpoints --------------------------------------------------------------------
    async def health(self, request: Request) -> Response:
        if request.query_params.get("probe") == "live":
            return JSONResponse({"status": "ok"})  # liveness: the process answers; no database round trip
        checks: dict[str, Any] = {}
        ok = True
        try:
            async with self.primary.connection(timeout=2.0) as conn:
                await conn.execute("SELECT 1")
            checks["primary"] = "up"
        except Exception:
            checks["primary"] = "down"
            ok = False
        if self.replica is not None:
            try:
                async with self.replica.connection(timeout=1.0) as conn:
                    cur = await conn.execute("SELECT api.replica_status()::text")
                    status = json.loads((await cur.fetchone())[0])
                checks["replica"] = "up"
                checks["replica_lag_seconds"] = status.get("lag_seconds")
            except Exception:
                checks["replica"] = "down (reads fall back to the primary)"
        body = {"status": "ok" if ok else "unavailable", "checks": checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    async def prometheus(self, request: Request) -> Response:
        for name, pool in (("primary", self.primary), ("replica", self.replica)):
            if pool is None:
                continue
            stats = pool.get_stats()
            self.metrics.pool.labels(name, "size").set(stats.get("pool_size", 0))
            self.metrics.pool.labels(name, "available").set(stats.get("pool_available", 0))
            self.metrics.pool.labels(name, "waiting").set(stats.get("requests_waiting", 0))
        return Response(generate_latest(self.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _problem_handler(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        detail = {404: "no such resource", 405: "method not allowed on this resource"}.get(exc.status_code, str(exc.detail))
        return problem_response(exc.status_code, detail, instance=request.url.path, headers=exc.headers)
    ERR.exception("unhandled error")
    return problem_response(500, "an internal error occurred", instance=request.url.path)


def create_app() -> Starlette:
    setup_logging()
    from .openapi import build_openapi
    from .exports import HANDLERS as EXPORT_HANDLERS
    from .tus import HANDLERS as TUS_HANDLERS, tus_routes
    HANDLERS = {**TUS_HANDLERS, **EXPORT_HANDLERS}

    gateway = Gateway(Settings.from_env(), Authenticator(AuthConfig.from_env()))
    spec = build_openapi()

    by_path: dict[str, dict[str, Endpoint]] = {}
    for ep in ENDPOINTS:
        by_path.setdefault(ep.path, {})[ep.method] = ep

    def make_endpoint(methods: dict[str, Endpoint]):
        async def endpoint(request: Request) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            ep = methods[method]
            return await gateway.handle(request, ep, HANDLERS[ep.handler] if ep.handler else None)
        return endpoint

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec)

    routes = [Route("/health", gateway.health, methods=["GET"]),
              Route("/metrics", gateway.prometheus, methods=["GET"]),
              Route("/openapi.json", openapi, methods=["GET"])]
    routes += [Route(path, make_endpoint(methods), methods=list(methods)) for path, methods in by_path.items()]
    routes += tus_routes(gateway)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: _problem_handler, Exception: _problem_handler})
    app.state.gateway = gateway
    return app
