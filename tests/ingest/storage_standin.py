"""A stand-in for the Supabase Storage API (storage-api, the service behind <project>/storage/v1):
the few routes Odyssey uses, with the behaviour their clients rely on, served on loopback by
uvicorn in a thread. Supabase itself is a third party and out of reach from here; this is not a
mock of our code: the gateway, the worker and the storage3/tuspy clients run unchanged against it.

Routes (service key in `Authorization: Bearer` unless signed):
- POST   /storage/v1/object/upload/sign/{bucket}/{path}   -> {"url": "/object/upload/sign/...?token=T"}
- POST   /storage/v1/upload/resumable/sign                  TUS 1.0 creation, token in x-signature,
                                                             bucketName/objectName in Upload-Metadata
- HEAD   /storage/v1/upload/resumable/sign/{id}             Upload-Offset / Upload-Length
- PATCH  /storage/v1/upload/resumable/sign/{id}             offset-checked append; the object exists once complete
- GET    /storage/v1/object/info/{bucket}/{path}            {"size", "etag", ...}; 404 problem otherwise
- GET    /storage/v1/object/authenticated/{bucket}/{path}   Range bytes=N- (206, Content-Range, ETag); 416 past the end
- DELETE /storage/v1/object/{bucket}                        {"prefixes": [...]}

Faults for the tests: `drop_after` bytes into a GET the connection is cut, for `drops` GETs."""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class Faults:
    drop_after: int | None = None   # cut a GET's connection after this many body bytes ...
    drops: int = 0                  # ... for this many GETs
    gets: int = 0                   # object GETs served (ranged or not)
    ranges: list[str] = field(default_factory=list)


class StorageStandIn:
    def __init__(self, port: int, service_key: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.key = service_key
        self.objects: dict[tuple[str, str], bytes] = {}
        self.tokens: dict[str, tuple[str, str]] = {}
        self.uploads: dict[str, dict] = {}
        self.faults = Faults()
        self.tus_authorization: list[str | None] = []   # Authorization headers sent to the TUS routes
        self.app = Starlette(routes=[
            Route("/storage/v1/object/upload/sign/{bucket}/{path:path}", self.sign, methods=["POST"]),
            Route("/storage/v1/upload/resumable/sign", self.tus_create, methods=["POST"]),
            Route("/storage/v1/upload/resumable/sign/{id}", self.tus_upload, methods=["HEAD", "PATCH"]),
            Route("/storage/v1/object/info/{bucket}/{path:path}", self.info, methods=["GET"]),
            Route("/storage/v1/object/authenticated/{bucket}/{path:path}", self.get, methods=["GET"]),
            Route("/storage/v1/object/{bucket}", self.remove, methods=["DELETE"]),
        ])
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> StorageStandIn:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the Storage stand-in did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    # ---- helpers -------------------------------------------------------------------------
    @staticmethod
    def _error(status: int, error: str, message: str) -> JSONResponse:
        return JSONResponse({"statusCode": str(status), "error": error, "message": message}, status_code=status)

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.key}"

    @staticmethod
    def _etag(data: bytes) -> str:
        return '"' + hashlib.md5(data).hexdigest() + '"'

    # ---- routes ----------------------------------------------------------------------------
    async def sign(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._error(403, "Unauthorized", "invalid signature")
        bucket, path = request.path_params["bucket"], request.path_params["path"]
        token = secrets.token_urlsafe(24)
        self.tokens[token] = (bucket, path)
        return JSONResponse({"url": f"/object/upload/sign/{bucket}/{path}?token={token}"})

    async def tus_create(self, request: Request) -> Response:
        self.tus_authorization.append(request.headers.get("authorization"))
        if request.headers.get("tus-resumable") != "1.0.0":
            return Response(status_code=412, headers={"Tus-Version": "1.0.0"})
        target = self.tokens.get(request.headers.get("x-signature", ""))
        meta = {}
        for item in (request.headers.get("upload-metadata") or "").split(","):
            if item.strip():
                key, _, value = item.strip().partition(" ")
                meta[key] = base64.b64decode(value).decode() if value else ""
        if target is None or target != (meta.get("bucketName"), meta.get("objectName")):
            return self._error(403, "Unauthorized", "the signature does not cover this object")
        if (target in self.objects):
            return self._error(409, "Duplicate", "The resource already exists")
        length = request.headers.get("upload-length")
        if length is None or not length.isdigit():
            return Response("Upload-Length is required", status_code=400)
        upload_id = secrets.token_hex(8)
        self.uploads[upload_id] = {"target": target, "length": int(length), "data": bytearray(),
                                   "token": request.headers["x-signature"]}
        return Response(status_code=201, headers={"Location": f"{self.url}/storage/v1/upload/resumable/sign/{upload_id}",
                                                  "Tus-Resumable": "1.0.0"})

    async def tus_upload(self, request: Request) -> Response:
        self.tus_authorization.append(request.headers.get("authorization"))
        upload = self.uploads.get(request.path_params["id"])
        if upload is None or request.headers.get("x-signature") != upload["token"]:
            return Response(status_code=404)
        headers = {"Tus-Resumable": "1.0.0", "Upload-Length": str(upload["length"]), "Cache-Control": "no-store"}
        if request.method == "HEAD":
            return Response(status_code=200, headers={**headers, "Upload-Offset": str(len(upload["data"]))})
        if request.headers.get("content-type") != "application/offset+octet-stream":
            return Response(status_code=415)
        if request.headers.get("upload-offset") != str(len(upload["data"])):
            return Response(status_code=409)
        body = await request.body()
        if len(upload["data"]) + len(body) > upload["length"]:
            return Response(status_code=413)
        upload["data"] += body
        if len(upload["data"]) == upload["length"]:
            self.objects[upload["target"]] = bytes(upload["data"])
        return Response(status_code=204, headers={**headers, "Upload-Offset": str(len(upload["data"]))})

    async def info(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._error(403, "Unauthorized", "invalid signature")
        data = self.objects.get((request.path_params["bucket"], request.path_params["path"]))
        if data is None:
            return self._error(404, "not_found", "Object not found")
        return JSONResponse({"name": request.path_params["path"], "size": len(data), "etag": self._etag(data),
                             "content_type": "text/csv", "metadata": {}})

    async def get(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._error(403, "Unauthorized", "invalid signature")
        key = (request.path_params["bucket"], request.path_params["path"])
        data = self.objects.get(key)
        if data is None:
            return self._error(400, "not_found", "Object not found")  # storage-api answers 400 here
        self.faults.gets += 1
        range_header = request.headers.get("range")
        self.faults.ranges.append(range_header or "")
        start = 0
        if range_header:
            if not range_header.startswith("bytes=") or not range_header.endswith("-"):
                return Response(status_code=416)
            start = int(range_header[len("bytes="):-1])
            if start >= len(data):
                return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
        body = data[start:]
        headers = {"ETag": self._etag(data), "Accept-Ranges": "bytes", "Content-Type": "text/csv"}
        if range_header:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        status = 206 if range_header else 200
        cut = None
        if self.faults.drops > 0 and self.faults.drop_after is not None:
            self.faults.drops -= 1
            cut = self.faults.drop_after

        async def stream():
            sent = 0
            for i in range(0, len(body), 4096):
                piece = body[i:i + 4096]
                if cut is not None and sent + len(piece) > cut:
                    yield piece[:cut - sent]
                    raise ConnectionResetError("the stand-in cut the connection")  # uvicorn closes it mid-body
                sent += len(piece)
                yield piece

        return StreamingResponse(stream(), status_code=status,
                                 headers={**headers, "Content-Length": str(len(body))})

    async def remove(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._error(403, "Unauthorized", "invalid signature")
        bucket = request.path_params["bucket"]
        removed = []
        for prefix in (await request.json()).get("prefixes", []):
            if self.objects.pop((bucket, prefix), None) is not None:
                removed.append({"name": prefix, "bucket_id": bucket})
        return JSONResponse(removed)

