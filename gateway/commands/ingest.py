"""odyssey ingest FILE --mode products|customers: start a CSV ingestion through the API, upload the
file with TUS (tuspy) -- to the gateway's own endpoint, or to Supabase Storage's signed resumable
endpoint when the gateway answers that (then ask the gateway to complete it) -- and follow the job
until it ends. Resumable: an interrupted run leaves the
upload on the server; running the same command on the same, unchanged file continues from the
server's offset (the upload URL is remembered per file path, size and mtime)."""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from ..config import setting

EXIT_COMPLETED, EXIT_JOB_FAILED, EXIT_USAGE, EXIT_TIMEOUT, EXIT_UPLOAD = 0, 1, 2, 3, 4
TERMINAL = ("completed", "failed", "canceled")
STATE_TTL = 48 * 3600  # uploads expire after 24 h; remembered ones are forgotten after 48 h

EPILOG = """\
Authentication: --token TOKEN, or --user USER_ID to mint a local development token (HS256 with
ODYSSEY_JWT_SECRET, as `odyssey token` does); without either, ODYSSEY_TOKEN.

Resuming: the upload URL of FILE is remembered in the state file, keyed by the file's absolute
path, size and modification time (and the gateway URL, vendor and mode). Run the same command again
after an interruption and the upload continues from the offset the server reports (TUS HEAD);
--new starts over with a new job. A file whose upload already completed is not uploaded again:
the command follows that job (use --new to ingest it once more).

Supabase Storage: when the gateway answers that uploads go to Supabase Storage, the file goes to
Storage's signed resumable endpoint in the chunk size Storage takes (6 MiB, not --chunk-size) with
the signed headers the gateway gave (the bearer token is never sent to Storage); then the command
asks the gateway to complete the upload (POST .../complete, which checks the object and queues the
job). Resuming works the same way while the signature is valid.

Exit status: 0 the job completed (with --no-wait: the upload completed and the job is queued);
1 the job failed or was canceled; 2 usage or configuration error; 3 --timeout expired while
waiting for the job; 4 the API refused the request or the upload failed (run again to resume).
"""


def _size(text: str) -> int:
    units = {"": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gib": 1 << 30}
    value = text.strip().lower()
    number = value.rstrip("kmgib")
    try:
        size = int(number) * units[value[len(number):]]
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 8MiB, 512K, 1048576)") from None
    if size < 1:
        raise argparse.ArgumentTypeError("the chunk size must be at least 1 byte")
    return size


def _default_url() -> str:
    return setting("ODYSSEY_URL") or f"http://127.0.0.1:{setting('ODYSSEY_HTTP_PORT', '8080') or 8080}"


def _default_state_file() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "odyssey" / "uploads.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("file", type=Path, metavar="FILE", help="the CSV file to ingest")
    parser.add_argument("--mode", required=True, choices=["products", "customers"], help="what the file holds")
    parser.add_argument("--url", default=None,
                        help="the gateway's base URL (default: ODYSSEY_URL, else http://127.0.0.1:<ODYSSEY_HTTP_PORT or 8080>)")
    auth = parser.add_mutually_exclusive_group()
    auth.add_argument("--token", default=None, help="bearer token (default: ODYSSEY_TOKEN)")
    auth.add_argument("--user", metavar="USER_ID", default=None,
                      help="mint a local development token for this user instead (needs ODYSSEY_JWT_SECRET)")
    parser.add_argument("--vendor", metavar="VENDOR_ID", default=None,
                        help="X-Vendor-Id: the vendor to ingest into (for users of several vendors, or a superadmin)")
    parser.add_argument("--justification", default=None, help="X-Justification (a superadmin acting inside a vendor; audited)")
    parser.add_argument("--chunk-size", type=_size, default=_size("32MiB"), metavar="BYTES",
                        help="bytes per PATCH request, held in memory while sent (default 32MiB; K/M/G suffixes)")
    parser.add_argument("--retries", type=int, default=3,
                        help="retries of a failed chunk, each from the server's offset (default 3)")
    parser.add_argument("--no-wait", action="store_true", help="exit when the upload is complete (the job is queued)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="stop waiting for the job after this many seconds (exit 3); default: wait until it ends")
    parser.add_argument("--poll-interval", type=float, default=2.0, metavar="SECONDS",
                        help="how often the job is polled (default 2)")
    parser.add_argument("--state-file", type=Path, default=None,
                        help="where upload URLs are remembered (default: $XDG_CACHE_HOME/odyssey/uploads.json, "
                             "i.e. ~/.cache/odyssey/uploads.json)")
    parser.add_argument("--new", action="store_true", help="start a new upload (and job) even if FILE has one")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


class UploadStore:
    """Upload URLs of files, in a small JSON file (flock-ed while read-modify-written)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                data = json.loads(self.path.read_text()) if self.path.exists() else {}
            except ValueError:
                data = {}
            entries = data.get("uploads", {}) if isinstance(data, dict) else {}
            yield entries
            now = time.time()
            entries = {k: v for k, v in entries.items() if now - v.get("saved_at", 0) < STATE_TTL}
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"uploads": entries}, indent=1))
            os.replace(tmp, self.path)

    def get(self, key: str) -> dict | None:
        with self._locked() as entries:
            return entries.get(key)

    def put(self, key: str, entry: dict) -> None:
        with self._locked() as entries:
            entries[key] = {**entry, "saved_at": time.time()}

    def forget(self, key: str) -> None:
        with self._locked() as entries:
            entries.pop(key, None)


def file_key(path: Path, url: str, mode: str, vendor: str | None) -> str:
    stat = path.stat()
    return hashlib.sha256(json.dumps([str(path.resolve()), stat.st_size, stat.st_mtime_ns, url, mode, vendor]).encode()).hexdigest()


def say(text: str) -> None:
    print(text, flush=True)


def _problem_text(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    text = f"HTTP {response.status_code}: {body.get('detail') or body.get('title') or body}"
    for error in body.get("errors") or []:
        text += f"\n  {error.get('field')}: {error.get('message')} ({error.get('code')})"
    return text


def _token(args: argparse.Namespace) -> str | None:
    if args.token:
        return args.token
    if args.user:
        import jwt

        secret = setting("ODYSSEY_JWT_SECRET")
        if not secret:
            return None
        now = int(time.time())
        return jwt.encode({"sub": args.user, "iat": now, "exp": now + 24 * 3600}, secret, algorithm="HS256")
    return setting("ODYSSEY_TOKEN") or None


def main(args: argparse.Namespace) -> int:
    import httpx

    path: Path = args.file
    if not path.is_file():
        print(f"error: {path} is not a file", file=sys.stderr)
        return EXIT_USAGE
    size = path.stat().st_size
    if size == 0:
        print(f"error: {path} is empty", file=sys.stderr)
        return EXIT_USAGE
    token = _token(args)
    if not token:
        print("error: no credentials: give --token, set ODYSSEY_TOKEN, or --user USER_ID (with ODYSSEY_JWT_SECRET)",
              file=sys.stderr)
        return EXIT_USAGE
    base = (args.url or _default_url()).rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    if args.vendor:
        headers["X-Vendor-Id"] = args.vendor
    if args.justification:
        headers["X-Justification"] = args.justification
    store = UploadStore(args.state_file or _default_state_file())
    key = file_key(path, base, args.mode, args.vendor)

    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        try:
            entry = _start_or_resume(http, store, key, path, size, args)
            if isinstance(entry, int):
                return entry
            status = _upload(base, headers, store, key, path, size, entry, args)
            if status == EXIT_COMPLETED and entry["storage"] == "supabase":
                status = _complete(http, store, key, entry)
            if status != EXIT_COMPLETED:
                return status
            job_id = entry["job_id"]
            if args.no_wait:
                body = http.get(f"/api/v1/jobs/{job_id}").json()
                say(f"job {job_id}: upload complete, status {body.get('status')}, phase {body.get('phase')}")
                return EXIT_COMPLETED
            return _follow(http, base, job_id, args)
        except httpx.HTTPError as exc:
            print(f"error: {base}: {exc}", file=sys.stderr)
            return EXIT_UPLOAD


def _start_or_resume(http, store: UploadStore, key: str, path: Path, size: int, args: argparse.Namespace):
    """FILE's remembered upload (with the server's offset), or a new one; or an exit status.

    An entry: job_id, storage ('local': the gateway's TUS endpoint, upload_url made by the API;
    'supabase': Storage's signed resumable endpoint create_url, upload_url once created there, the
    signed headers and metadata, complete_url and its Idempotency-Key), offset."""
    import httpx

    entry = None if args.new else store.get(key)
    if entry and entry.get("upload_url") and not entry.get("uploaded"):
        if entry["storage"] == "local":
            response = http.head(entry["upload_url"], headers={"Tus-Resumable": "1.0.0"})
        else:  # Storage gets its signed headers, never the gateway's bearer token
            response = httpx.head(entry["upload_url"], headers={"Tus-Resumable": "1.0.0", **entry["headers"]}, timeout=60)
        if response.status_code == 200:
            offset = int(response.headers["upload-offset"])
            verb = "already uploaded" if offset >= size else f"resuming at byte {offset} of {size}"
            say(f"job {entry['job_id']}: {path.name} {verb}")
            return {**entry, "offset": offset}
        if response.status_code in (403, 404, 410):
            say(f"job {entry['job_id']}: the earlier upload is gone (HTTP {response.status_code}); starting a new one")
            store.forget(key)
            entry = None
        else:
            print(f"error: cannot resume {entry['upload_url']}: HTTP {response.status_code}", file=sys.stderr)
            return EXIT_UPLOAD
    if entry:
        say(f"job {entry['job_id']}: {path.name} " + ("already uploaded" if entry.get("uploaded") else "uploading"))
        return {**entry, "offset": size if entry.get("uploaded") else 0}
    response = http.post("/api/v1/ingest/csv", params={"mode": args.mode},
                         json={"size": size, "filename": path.name, "metadata": {"client": "odyssey-cli"}},
                         headers={"Idempotency-Key": f"odyssey-ingest-{uuid.uuid4()}"})
    if response.status_code != 201:
        print(f"error: the ingestion was refused: {_problem_text(response)}", file=sys.stderr)
        return EXIT_UPLOAD
    body = response.json()
    upload = body["upload"]
    entry = {"job_id": body["job_id"], "storage": upload["storage"], "file": str(path.resolve()), "size": size}
    if upload["storage"] == "local":
        entry["upload_url"] = body["upload_url"]
    else:
        entry.update(create_url=body["upload_url"], upload_url=None, headers=upload["headers"],
                     metadata=upload["metadata"], chunk_size=upload.get("chunk_size"),
                     complete_url=upload["complete_url"], complete_key=f"odyssey-ingest-{uuid.uuid4()}")
    store.put(key, entry)
    say(f"job {body['job_id']}: uploading {path.name} ({size} bytes) to {body['upload_url']}")
    return {**entry, "offset": 0}


def _progress(args: argparse.Namespace, *columns):
    from rich.console import Console
    from rich.progress import Progress

    return Progress(*columns, console=Console(stderr=True), disable=args.no_progress)


def _upload(base: str, headers: dict, store: UploadStore, key: str, path: Path, size: int, entry: dict,
            args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn
    from tusclient.client import TusClient
    from tusclient.exceptions import TusCommunicationError

    job_id, local = entry["job_id"], entry["storage"] == "local"
    if entry["offset"] < size:
        if local:
            client = TusClient(f"{base}/api/v1/uploads", headers=dict(headers))
            options = {"chunk_size": args.chunk_size, "upload_checksum": True}
        else:  # Storage takes chunks of the size it announced (6 MiB), and its signed headers only
            client = TusClient(entry["create_url"], headers=dict(entry["headers"]))
            options = {"chunk_size": int(entry.get("chunk_size") or args.chunk_size), "metadata": entry["metadata"]}
        try:
            with _progress(args, TextColumn("upload"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                           TimeRemainingColumn()) as bar:
                task = bar.add_task("upload", total=size, completed=entry["offset"])
                uploader = client.uploader(file_path=str(path), url=entry.get("upload_url"),
                                           retries=max(0, args.retries), retry_delay=1, **options)
                if not uploader.url:
                    uploader.set_url(uploader.create_url())
                    entry["upload_url"] = uploader.url
                    _remember(store, key, entry)
                bar.update(task, completed=uploader.offset)
                while uploader.offset < size:
                    uploader.upload_chunk()
                    bar.update(task, completed=uploader.offset)
        except TusCommunicationError as exc:
            detail = exc.response_content.decode(errors="replace") if isinstance(exc.response_content, bytes) else ""
            try:
                detail = json.loads(detail).get("detail", detail)
            except (ValueError, AttributeError):
                pass
            print(f"error: the upload stopped ({exc}{': ' + detail if detail else ''}); run the same command again to resume",
                  file=sys.stderr)
            return EXIT_UPLOAD
        except KeyboardInterrupt:
            print("interrupted; run the same command again to resume", file=sys.stderr)
            return 130
    say(f"job {job_id}: upload complete ({size} bytes)")
    return EXIT_COMPLETED


def _remember(store: UploadStore, key: str, entry: dict) -> None:
    """Saves an upload entry for resuming (the server's offset is asked again each run, never stored)."""
    store.put(key, {k: v for k, v in entry.items() if k != "offset"})


def _complete(http, store: UploadStore, key: str, entry: dict) -> int:
    """Supabase Storage mode: the object is in Storage; the gateway checks it and queues the job
    (POST complete_url, with the Idempotency-Key remembered for this upload: a rerun replays it)."""
    _remember(store, key, {**entry, "uploaded": True})
    response = http.post(entry["complete_url"], headers={"Idempotency-Key": entry["complete_key"]})
    if response.status_code != 200:
        print(f"error: job {entry['job_id']}: the upload could not be completed: {_problem_text(response)}", file=sys.stderr)
        return EXIT_UPLOAD
    return EXIT_COMPLETED


def _follow(http, base: str, job_id: str, args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    body: dict[str, Any] = {}
    with _progress(args, TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn()) as bar:
        task = bar.add_task("job", total=100)
        while True:
            response = http.get(f"/api/v1/jobs/{job_id}")
            if response.status_code != 200:
                print(f"error: cannot read job {job_id}: {_problem_text(response)}", file=sys.stderr)
                return EXIT_UPLOAD
            body = response.json()
            bar.update(task, completed=float(body.get("progress_pct") or 0),
                       description=f"job {body.get('status')} / {body.get('phase')}")
            if body.get("status") in TERMINAL:
                break
            if deadline is not None and time.monotonic() >= deadline:
                say(f"job {job_id}: still {body.get('status')} (phase {body.get('phase')}) after {args.timeout:g} s; "
                      f"follow it with GET {base}/api/v1/jobs/{job_id}")
                return EXIT_TIMEOUT
            time.sleep(max(0.1, args.poll_interval))
    status = body.get("status")
    say(f"job {job_id}: {status}; totals {json.dumps(body.get('totals') or {})}")
    if body.get("error_url"):
        say(f"errors: {base}{body['error_url']}")
    return EXIT_COMPLETED if status == "completed" else EXIT_JOB_FAILED
