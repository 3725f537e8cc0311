"""An upload in Supabase Storage as a seekable binary stream for the ingest handler.

The object is streamed with one ranged GET (`Range: bytes=<offset>-`) on Storage's authenticated
object route, read in whatever pieces the handler asks for: memory stays flat whatever the file's
size. A connection that breaks mid-object is reopened at the byte where it broke (up to
ODYSSEY_SUPABASE_READ_RETRIES times in a row, with a growing pause), and the reopened object must
carry the ETag of the first answer, so a file replaced while being read fails the job instead of
splicing two files together. A missing object or a refused key is permanent; anything else is
left to the queue's retries."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx

from ..config import supabase_storage
from .handlers import PermanentError

READ_RETRIES = int(os.environ.get("ODYSSEY_SUPABASE_READ_RETRIES", 5))


class SupabaseObject:
    """read(n) -> up to n bytes (fewer only at the end), b"" at the end; seek(offset); a context manager."""

    def __init__(self, object_path: str, client: httpx.Client | None = None) -> None:
        config = supabase_storage()
        if config is None:
            raise PermanentError("this upload is in Supabase Storage, which is not configured on this worker "
                                 "(ODYSSEY_SUPABASE_URL, ODYSSEY_SUPABASE_SERVICE_KEY)")
        url, key, bucket = config
        self.url = f"{url}/storage/v1/object/authenticated/{quote(bucket, safe='')}/{quote(object_path, safe='/')}"
        self.object_path = object_path
        self._client = client or httpx.Client(headers={"Authorization": f"Bearer {key}", "apikey": key},
                                              timeout=httpx.Timeout(60.0, connect=10.0))
        self._own_client = client is None
        self._pos = 0
        self._etag: str | None = None
        self._length: int | None = None
        self._response: httpx.Response | None = None
        self._pieces: Iterator[bytes] | None = None
        self._pending = b""

    # ---- file protocol ---------------------------------------------------------------------
    def __enter__(self) -> SupabaseObject:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._drop()
        if self._own_client:
            self._client.close()

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence != os.SEEK_SET or offset < 0:
            raise ValueError("SupabaseObject seeks to absolute offsets only")
        if offset != self._pos:
            self._drop()
            self._pos = offset
        return self._pos

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        failures = 0
        while size < 0 or len(out) < size:
            if self._length is not None and self._pos >= self._length:
                break
            try:
                piece = self._next_piece(None if size < 0 else size - len(out))
            except (httpx.TransportError, httpx.StreamError) as exc:
                self._drop()
                failures += 1
                if failures > READ_RETRIES:
                    raise ConnectionError(f"Supabase Storage broke off {self.object_path} at byte {self._pos} "
                                          f"{failures} times: {exc}") from exc
                time.sleep(min(0.2 * 2 ** failures, 5.0))
                continue
            if not piece:
                if self._length is not None and self._pos < self._length:
                    self._drop()  # the server ended the body early: reopen where it stopped
                    failures += 1
                    if failures > READ_RETRIES:
                        raise ConnectionError(f"Supabase Storage kept ending {self.object_path} at byte {self._pos} "
                                              f"of {self._length}")
                    continue
                break
            failures = 0
            out += piece
            self._pos += len(piece)
        return bytes(out)

    # ---- the ranged GET --------------------------------------------------------------------
    def _next_piece(self, limit: int | None) -> bytes:
        if self._pending:
            piece, self._pending = (self._pending, b"") if limit is None else (self._pending[:limit], self._pending[limit:])
            return piece
        if self._pieces is None:
            if self._length is not None and self._pos >= self._length:
                return b""
            self._open()
        piece = next(self._pieces, b"")  # type: ignore[arg-type]
        if limit is not None and len(piece) > limit:
            piece, self._pending = piece[:limit], piece[limit:]
        return piece

    def _open(self) -> None:
        request = self._client.build_request("GET", self.url, headers={"Range": f"bytes={self._pos}-",
                                                                       "Accept-Encoding": "identity"})
        response = self._client.send(request, stream=True)
        if response.status_code == 416:  # the offset is at (or past) the end: nothing more to read
            response.close()
            self._pieces = iter(())
            return
        if response.status_code not in (200, 206):
            body = response.read()[:300].decode("utf-8", "replace")
            response.close()
            if response.status_code in (400, 401, 403, 404):  # Storage answers 400 for a missing object too
                raise PermanentError(f"Supabase Storage refused {self.object_path}: {response.status_code} {body}")
            raise httpx.TransportError(f"Supabase Storage answered {response.status_code}: {body}")
        etag = response.headers.get("etag")
        if self._etag is None:
            self._etag = etag
        elif etag != self._etag:
            response.close()
            raise PermanentError(f"the object {self.object_path} changed in Supabase Storage while it was being read")
        if response.status_code == 200 and self._pos > 0:
            response.close()  # no range support: a resumed read would start again from byte 0
            raise PermanentError("Supabase Storage ignored the Range header; the object cannot be read from an offset")
        total = _total_length(response)
        if total is not None:
            self._length = total
        self._response = response
        self._pieces = response.iter_raw()  # pieces as they arrive: a cut loses nothing already received

    def _drop(self) -> None:
        if self._response is not None:
            self._response.close()
        self._response, self._pieces, self._pending = None, None, b""


def _total_length(response: httpx.Response) -> int | None:
    """The object's size: the total of Content-Range (206), else Content-Length (200)."""
    content_range = response.headers.get("content-range", "")
    if "/" in content_range and not content_range.endswith("/*"):
        return int(content_range.rsplit("/", 1)[1])
    if response.status_code == 200 and response.headers.get("content-length"):
        return int(response.headers["content-length"])
    return None
