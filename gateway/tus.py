"""Resumable uploads of ingestion files: a TUS 1.0 server (core protocol and the creation, expiration,
termination and checksum extensions) on the gateway, and the two ingestion routes whose answer is
more than one function's JSON (POST /api/v1/ingest/csv adds where to upload; the Supabase Storage
completion checks the object first).

    OPTIONS /api/v1/uploads               capabilities (no authentication, like any TUS server)
    POST    /api/v1/uploads               creation: Upload-Length, Upload-Metadata (mode, filename, ...)
    HEAD    /api/v1/uploads/{job_id}      Upload-Offset / Upload-Length / Upload-Expires
    PATCH   /api/v1/uploads/{job_id}      bytes at Upload-Offset (application/offset+octet-stream)
    DELETE  /api/v1/uploads/{job_id}      termination: the job is canceled

Every request is authenticated, rate-limited and resolved exactly like the other routes, and each
database call is one request transaction calling one api function; the database decides who may
do what (api.ingest_upload_*; another vendor's upload does not exist: 404). The bytes are streamed
to <ODYSSEY_UPLOAD_DIR>/<vendor>/<job> and never held in memory. A PATCH holds an exclusive flock
on that file (423 when another request, of any gateway process, holds it), writes at the offset
the database confirmed, fsyncs, and only then moves the offset forward (compare-and-set); on a
long PATCH it does so every 64 MiB. When the client disconnects, the bytes that arrived are kept
(fsync, offset advanced): the client resumes from HEAD. With Upload-Checksum the whole request is
verified (460 and nothing kept on mismatch, or when it was cut short). Bytes on disk beyond the
recorded offset (a gateway that died before recording them) are discarded by the next PATCH."""
from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import fcntl
import hashlib
import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from .config import setting, supabase_storage
from .storage import remove_upload, supabase_client, upload_path
from .observability import ERR
from .problems import Problem
from .routes import Endpoint

TUS_VERSION = "1.0.0"
MAX_SIZE = 10737418240                      # 10 GiB, as api.ingest_csv_create accepts
EXTENSIONS = "creation,expiration,termination,checksum"
CHECKSUMS = {"sha1": hashlib.sha1, "md5": hashlib.md5, "sha256": hashlib.sha256}
OFFSET_STREAM = "application/offset+octet-stream"
FLUSH_BYTES = 1 << 20                       # written to disk in pieces of at most 1 MiB
CHECKPOINT_BYTES = 64 << 20                 # a long PATCH records its progress every 64 MiB
                                            # (ODYSSEY_UPLOAD_CHECKPOINT_BYTES; a client silent for
                                            # ODYSSEY_UPLOAD_IDLE_TIMEOUT seconds, default 60, is gone)
COLLECTION = "/api/v1/uploads"
ITEM = "/api/v1/uploads/{job_id}"
DIGITS_RE = re.compile(r"^[0-9]{1,18}$")
METADATA_KEY_RE = re.compile(r"^[!-+\--~]+$")  # printable ASCII, no space and no comma

EP_OPTIONS = Endpoint("OPTIONS", COLLECTION, "", status=204)
# Creating an upload starts an ingestion like POST /api/v1/ingest/csv: it counts against the ingest limit.
EP_CREATE = Endpoint("POST", COLLECTION, "api.ingest_csv_create", status=201, ingest=True)
EP_HEAD = Endpoint("HEAD", ITEM, "api.ingest_upload_get")
EP_PATCH = Endpoint("PATCH", ITEM, "api.ingest_upload_advance", status=204)
EP_DELETE = Endpoint("DELETE", ITEM, "api.ingest_upload_terminate", status=204)
EP_GET_UPLOAD = Endpoint("GET", ITEM, "api.ingest_upload_get")   # reads inside other requests


class _Locked(Exception):
    pass


# ---- helpers ---------------------------------------------------------------------------------
def capability_headers() -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, "Tus-Version": TUS_VERSION, "Tus-Extension": EXTENSIONS,
            "Tus-Max-Size": str(MAX_SIZE), "Tus-Checksum-Algorithm": ",".join(CHECKSUMS)}


def public_base(request: Request) -> str:
    """The absolute base URL clients reach the gateway at: ODYSSEY_PUBLIC_URL, else the request's."""
    return (setting("ODYSSEY_PUBLIC_URL") or str(request.base_url)).rstrip("/")


def upload_url(request: Request, job_id: str) -> str:
    return f"{public_base(request)}{COLLECTION}/{job_id}"


def http_date(value: str) -> str:
    """An RFC 9110 HTTP-date of a timestamp as PostgreSQL renders it in JSON."""
    return email.utils.format_datetime(datetime.fromisoformat(value).astimezone(timezone.utc), usegmt=True)


def _check_version(request: Request) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise Problem(412, f"Tus-Resumable: {TUS_VERSION} is required (the only protocol version this server speaks)",
                      headers={"Tus-Version": TUS_VERSION}, code="tus-version")


def _job_id(request: Request) -> str:
    try:
        return str(uuid.UUID(request.path_params["job_id"]))
    except ValueError:
        raise Problem(404, "no such resource") from None


def _digits(request: Request, name: str, *, required: bool) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        if required:
            raise Problem(400, f"{name} is required", errors=[{"field": name, "code": "required", "message": "a byte count"}])
        return None
    if not DIGITS_RE.match(raw.strip()):
        raise Problem(400, f"{name} must be a non-negative integer",
                      errors=[{"field": name, "code": "invalid", "message": "a byte count"}])
    return int(raw.strip())


def parse_metadata(header: str | None) -> dict[str, str | None]:
    """Upload-Metadata: comma-separated `key base64(value)` pairs (the value may be absent)."""
    result: dict[str, str | None] = {}
    if header is None or not header.strip():
        return result
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if not 1 <= len(parts) <= 2 or not METADATA_KEY_RE.match(parts[0]) or parts[0] in result:
            raise Problem(400, "Upload-Metadata must be comma-separated 'key base64value' pairs with unique keys",
                          errors=[{"field": "Upload-Metadata", "code": "invalid", "message": "key base64value[,key base64value]"}])
        value: str | None = None
        if len(parts) == 2:
            try:
                value = base64.b64decode(parts[1], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise Problem(400, f"Upload-Metadata value of {parts[0]} is not base64-encoded UTF-8",
                              errors=[{"field": "Upload-Metadata", "code": "invalid", "message": f"{parts[0]}: not base64 UTF-8"}]) from None
            if "\x00" in value:
                raise Problem(400, f"Upload-Metadata value of {parts[0]} contains a NUL character")
        result[parts[0]] = value
    return result


def encode_metadata(values: dict[str, Any]) -> str:
    """Upload-Metadata of the string values (an empty value is the key alone)."""
    return ",".join(k if v == "" else f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items()
                    if isinstance(v, str) and METADATA_KEY_RE.match(k))


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    """Upload-Checksum: `<algorithm> <base64 digest>`; 400 for an unsupported algorithm or a malformed digest."""
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUMS:
        raise Problem(400, f"unsupported checksum algorithm {algorithm!r}: use one of {', '.join(CHECKSUMS)}",
                      errors=[{"field": "Upload-Checksum", "code": "unsupported", "message": ",".join(CHECKSUMS)}])
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != CHECKSUMS[algorithm]().digest_size:
        raise Problem(400, "Upload-Checksum must be '<algorithm> <base64 digest>'",
                      errors=[{"field": "Upload-Checksum", "code": "invalid", "message": "<algorithm> <base64 digest>"}])
    return algorithm, digest


def stored_path(object_path: str) -> Path:
    """<upload dir>/<object_path> (gateway/storage.py); a 500 when it would leave the directory."""
    try:
        return upload_path(object_path)
    except ValueError:
        raise Problem(500, "an upload's object path leaves the upload directory") from None


def _open_locked(path: Path) -> int:
    """Opens (creating) the upload's file and takes an exclusive, non-blocking flock on it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise _Locked() from None
    if created:  # the new directory entry survives a crash too
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return fd


def _pwrite_all(fd: int, data: bytes, position: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, position)
        view = view[written:]
        position += written


def _truncate(fd: int, size: int) -> None:
    os.ftruncate(fd, size)
    os.fsync(fd)


async def _chunks(request: Request, idle_timeout: float) -> AsyncIterator[bytes]:
    """The request body as it arrives; a client silent for idle_timeout seconds counts as gone."""
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), idle_timeout)
        except StopAsyncIteration:
            return
        except asyncio.TimeoutError:
            raise ClientDisconnect() from None
        if chunk:
            yield chunk


async def _db(gw, ep: Endpoint, principal: tuple, function: str, args: list[tuple[str, Any, str]], log: dict) -> dict:
    return json.loads((await gw.call_primary(ep, principal, function, args, log)).body)


# ---- TUS handlers ----------------------------------------------------------------------------
async def tus_options(gw, request: Request, ep: Endpoint, req_id: str, log: dict, headers: dict) -> Response:
    return Response(status_code=204, headers={**headers, **capability_headers()})


async def tus_create(gw, request: Request, ep: Endpoint, req_id: str, log: dict, headers: dict) -> Response:
    headers["Tus-Resumable"] = TUS_VERSION
    _check_version(request)
    principal = await gw.admit(request, ep, log, headers)
    if request.headers.get("upload-defer-length") is not None:
        raise Problem(400, "Upload-Defer-Length is not supported: send Upload-Length")
    length = _digits(request, "Upload-Length", required=True)
    if length > MAX_SIZE:
        raise Problem(413, f"Upload-Length exceeds Tus-Max-Size ({MAX_SIZE} bytes)", headers={"Tus-Max-Size": str(MAX_SIZE)})
    metadata = parse_metadata(request.headers.get("upload-metadata"))
    mode = metadata.pop("mode", None)
    filename = metadata.pop("filename", None) or metadata.pop("name", None)
    body = await _db(gw, ep, principal, "api.ingest_csv_create",
                     [("p_mode", mode, "text"), ("p_upload_length", length, "bigint"), ("p_filename", filename, "text"),
                      ("p_metadata", Jsonb(metadata), "jsonb"), ("p_storage", "local", "text")], log)
    body["upload_url"] = upload_url(request, body["job_id"])
    headers["Location"] = body["upload_url"]
    headers["Upload-Expires"] = http_date(body["upload"]["expires_at"])
    return Response(json.dumps(body), status_code=201, headers=headers, media_type="application/json")


async def tus_head(gw, request: Request, ep: Endpoint, req_id: str, log: dict, headers: dict) -> Response:
    headers["Tus-Resumable"] = TUS_VERSION
    headers["Cache-Control"] = "no-store"
    _check_version(request)
    principal = await gw.admit(request, ep, log, headers)
    job_id = _job_id(request)
    state = await _db(gw, ep, principal, "api.ingest_upload_get", [("p_job_id", job_id, "uuid")], log)
    headers["Upload-Offset"] = str(state["offset"])
    headers["Upload-Length"] = str(state["length"])
    if not state["completed"]:
        headers["Upload-Expires"] = http_date(state["expires_at"])
    metadata = encode_metadata({"mode": state["mode"], "filename": state["filename"], **(state["metadata"] or {})})
    if metadata:
        headers["Upload-Metadata"] = metadata
    return Response(status_code=200, headers=headers)


async def tus_patch(gw, request: Request, ep: Endpoint, req_id: str, log: dict, headers: dict) -> Response:
    headers["Tus-Resumable"] = TUS_VERSION
    _check_version(request)
    principal = await gw.admit(request, ep, log, headers)
    job_id = _job_id(request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != OFFSET_STREAM:
        raise Problem(415, f"a PATCH body must be {OFFSET_STREAM}")
    offset = _digits(request, "Upload-Offset", required=True)
    checksum = parse_checksum(request.headers.get("upload-checksum"))
    declared = _digits(request, "Content-Length", required=False)

    def advance(expected: int, new: int):
        return _db(gw, ep, principal, "api.ingest_upload_advance",
                   [("p_job_id", job_id, "uuid"), ("p_expected_offset", expected, "bigint"), ("p_new_offset", new, "bigint")], log)

    # May this caller write here, at this offset? (role, vendor, not complete/terminated/expired, offset)
    state = await advance(offset, offset)
    if state["storage"] != "local":
        raise Problem(409, "this upload goes to Supabase Storage, not to this endpoint")
    length = int(state["length"])
    if declared is not None and offset + declared > length:
        raise Problem(413, f"the request would take the upload past its Upload-Length of {length} bytes")
    path = stored_path(state["object_path"])
    try:
        fd = await asyncio.to_thread(_open_locked, path)
    except _Locked:
        raise Problem(423, "another request is writing this upload; retry when it is done") from None
    try:
        size = os.fstat(fd).st_size
        if size != offset:
            # Another request moved the offset between our check and the lock, or a gateway died
            # after writing bytes it never recorded: the database's offset decides.
            current = int((await _db(gw, EP_GET_UPLOAD, principal, "api.ingest_upload_get", [("p_job_id", job_id, "uuid")], log))["offset"])
            if current != offset:
                raise Problem(409, f"the upload is at offset {current}, not {offset}")
            if size < offset:
                ERR.error("upload %s: %s has %s bytes but %s are recorded", job_id, path, size, offset)
                raise Problem(500, "the stored upload is shorter than its recorded offset")
            await asyncio.to_thread(_truncate, fd, offset)
        return await _receive(request, fd, path, state, offset, checksum, advance, log, headers)
    finally:
        os.close(fd)  # releases the flock


async def _receive(request: Request, fd: int, path: Path, state: dict, offset: int,
                   checksum: tuple[str, bytes] | None, advance, log: dict, headers: dict) -> Response:
    """Streams the body to disk at `offset`; records progress (fsync first) at checkpoints and at the end."""
    hasher = CHECKSUMS[checksum[0]]() if checksum else None
    length = int(state["length"])
    committed = offset       # the offset the database has
    position = offset        # bytes on disk (not all recorded yet)
    pending = bytearray()
    disconnected = too_long = False
    idle = float(setting("ODYSSEY_UPLOAD_IDLE_TIMEOUT", "60") or 60)
    checkpoint = int(setting("ODYSSEY_UPLOAD_CHECKPOINT_BYTES", str(CHECKPOINT_BYTES)) or CHECKPOINT_BYTES)

    async def flush(record: bool) -> None:
        nonlocal position, committed, state
        if pending:
            await asyncio.to_thread(_pwrite_all, fd, bytes(pending), position)
            position += len(pending)
            pending.clear()
        if record and position > committed:
            await asyncio.to_thread(os.fsync, fd)
            state = await advance(committed, position)
            committed = position

    try:
        async for chunk in _chunks(request, idle):
            if position + len(pending) + len(chunk) > length:
                too_long = True
                break
            pending += chunk
            if hasher is not None:
                hasher.update(chunk)
            if len(pending) >= min(FLUSH_BYTES, checkpoint):
                await flush(record=hasher is None and position + len(pending) - committed >= checkpoint)
    except ClientDisconnect:
        disconnected = True
        log["client_disconnected"] = True

    try:
        if too_long or (hasher is not None and (disconnected or hasher.digest() != checksum[1])):
            # Nothing of this request is kept (with a checksum, nothing was recorded before the end).
            await asyncio.to_thread(_truncate, fd, committed)
            if too_long:
                raise Problem(413, f"the request would take the upload past its Upload-Length of {length} bytes")
            if disconnected:
                raise Problem(400, "the request was cut short: its checksum cannot be verified, nothing was kept")
            raise Problem(460, f"Upload-Checksum mismatch ({checksum[0]}): nothing was kept", code="checksum-mismatch")
        await flush(record=True)
    except psycopg.Error as exc:
        if exc.sqlstate == "OD410":  # terminated or expired meanwhile: its bytes go too
            await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    headers["Upload-Offset"] = str(committed)
    if not state["completed"]:
        headers["Upload-Expires"] = http_date(state["expires_at"])
    return Response(status_code=204, headers=headers)


async def tus_delete(gw, request: Request, ep: Endpoint, req_id: str, log: dict, headers: dict) -> Response:
    headers["Tus-Resumable"] = TUS_VERSION
    _check_version(request)
    principal = await gw.admit(request, ep, log, headers)
    job_id = _job_id(request)
    state = await _db(gw, ep, principal, "api.ingest_upload_terminate", [("p_job_id", job_id, "uuid")], log)
    # The database said so first: a PATCH still running fails its next offset update (410).
    try:
        await asyncio.to_thread(remove_upload, state["storage"], state["object_path"])
    except ValueError:
        raise Problem(500, "an upload's object path leaves the upload directory") from None
    return Response(status_code=204, headers=headers)


# ---- ingestion routes of the endpoint table --------------------------------------------------
async def ingest_csv_create(gw, request: Request, ep: Endpoint, req_id: str, log: dict, headers: dict) -> Response:
    """POST /api/v1/ingest/csv: the generic call (idempotency, ingest rate limit) plus where to upload."""
    storage = "supabase" if supabase_storage() else "local"
    outcome = await gw._serve(request, ep, req_id, log, headers, extra=(("p_storage", storage, "text"),))
    if outcome.status < 300:
        body = json.loads(outcome.body)
        await _add_upload_target(request, body)
        outcome.body = json.dumps(body)
    return gw._respond(ep, outcome, headers)


async def _add_upload_target(request: Request, body: dict) -> None:
    """upload_url and, for Supabase Storage, a fresh signed upload token (also on a replay: tokens expire)."""
    upload = body["upload"]
    upload["protocol"] = "tus"
    if upload["storage"] == "local":
        body["upload_url"] = upload_url(request, body["job_id"])
        return
    config = supabase_storage()
    if config is None:
        raise Problem(503, "this upload goes to Supabase Storage, which is not configured on this gateway")
    url, _, bucket = config
    try:
        signed = await asyncio.to_thread(lambda: supabase_client().storage.from_(bucket).create_signed_upload_url(upload["object_path"]))
    except Exception as exc:  # the storage client raises its own and httpx errors
        ERR.error("Supabase Storage did not sign %s: %s", upload["object_path"], exc)
        raise Problem(502, "Supabase Storage did not sign the upload; retry with the same Idempotency-Key") from None
    # Signed TUS uploads go to the /sign variant of the resumable endpoint, token in x-signature.
    body["upload_url"] = f"{url}/storage/v1/upload/resumable/sign"
    upload.update({"bucket": bucket, "token": signed["token"], "headers": {"x-signature": signed["token"]},
                   "metadata": {"bucketName": bucket, "objectName": upload["object_path"], "contentType": "text/csv"},
                   "chunk_size": 6 * 1024 * 1024,
                   "complete_url": f"{public_base(request)}/api/v1/ingest/csv/{body['job_id']}/complete"})


async def ingest_csv_complete(gw, request: Request, ep: Endpoint, req_id: str, log: dict, headers: dict) -> Response:
    """POST /api/v1/ingest/csv/{job_id}/complete: the object is in Supabase Storage with the upload's
    length -> complete the upload (api.ingest_upload_advance queues the job), idempotently."""
    principal = await gw.admit(request, ep, log, headers)
    job_id = _job_id(request)
    idem = gw.idempotency(request, ep, None)
    state = await _db(gw, EP_GET_UPLOAD, principal, "api.ingest_upload_get", [("p_job_id", job_id, "uuid")], log)
    if state["storage"] != "supabase":
        raise Problem(409, "this upload is received by the gateway: PATCH its upload_url (TUS); it completes itself")
    if not state["completed"]:
        size = await _supabase_object_size(state["object_path"])
        if size is None:
            raise Problem(409, "the object is not in Supabase Storage yet")
        if size != state["length"]:
            raise Problem(409, f"the object in Supabase Storage has {size} bytes; the upload announced {state['length']}")
    outcome = await gw.call_primary(ep, principal, "api.ingest_upload_advance",
                                    [("p_job_id", job_id, "uuid"), ("p_expected_offset", state["offset"], "bigint"),
                                     ("p_new_offset", state["length"], "bigint")], log, idem)
    return gw._respond(ep, outcome, headers)


# ---- Supabase Storage (only when configured; tests: tests/ingest/test_supabase_mode.py) --------
async def _supabase_object_size(object_path: str) -> int | None:
    config = supabase_storage()
    if config is None:
        raise Problem(503, "Supabase Storage is not configured on this gateway")
    bucket = config[2]

    def size() -> int | None:
        from storage3.exceptions import StorageApiError
        try:
            info = supabase_client().storage.from_(bucket).info(object_path)
        except StorageApiError as exc:
            if str(exc.status) == "404":
                return None
            raise
        value = info.get("size")
        if value is None:
            value = (info.get("metadata") or {}).get("size")
        return int(value) if value is not None else None

    try:
        return await asyncio.to_thread(size)
    except Exception as exc:
        ERR.error("Supabase Storage info of %s failed: %s", object_path, exc)
        raise Problem(502, "Supabase Storage did not answer; retry") from None


HANDLERS = {"ingest_csv_create": ingest_csv_create, "ingest_csv_complete": ingest_csv_complete}


def tus_routes(gateway) -> list[Route]:
    """The TUS routes (not in the endpoint table: they are protocol, not one function call each)."""
    async def collection(request: Request) -> Response:
        if request.method == "OPTIONS":
            return await gateway.handle(request, EP_OPTIONS, tus_options)
        return await gateway.handle(request, EP_CREATE, tus_create)

    async def item(request: Request) -> Response:
        ep, serve = {"HEAD": (EP_HEAD, tus_head), "PATCH": (EP_PATCH, tus_patch),
                     "DELETE": (EP_DELETE, tus_delete)}[request.method]
        return await gateway.handle(request, ep, serve)

    return [Route(COLLECTION, collection, methods=["OPTIONS", "POST"]),
            Route(ITEM, item, methods=["HEAD", "PATCH", "DELETE"])]
