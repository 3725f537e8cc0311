"""Uploads and CSV ingestion against the real `odyssey serve` on loopback (ports
ODYSSEY_TEST_HTTP_PORT + 5 and + 6: the gateway tests use the first five), with the world of the
gateway tests (two vendors, one user per role). TUS clients: tuspy (a client we did not write) and
raw sockets where a client must misbehave (vanish mid-PATCH, hold a PATCH open)."""
from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg
import pytest

from gateway.config import upload_dir

from ..gateway.conftest import BASE_PORT, Server, World, idem, mint, world  # noqa: F401  (world: a fixture)

INGEST_PORT = BASE_PORT + 5
CHECKPOINT_PORT = BASE_PORT + 6
TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    srv = Server(INGEST_PORT, log_name="gateway-ingest")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_file(vendor: str, job_id: str) -> Path:
    return upload_dir() / vendor / job_id


def create_upload(client: httpx.Client, world: World, user: str, size: int, mode: str = "products",
                  filename: str = "f.csv") -> str:
    """A TUS creation (POST /api/v1/uploads); returns the absolute upload URL."""
    import base64

    meta = f"mode {base64.b64encode(mode.encode()).decode()},filename {base64.b64encode(filename.encode()).decode()}"
    r = client.post("/api/v1/uploads", headers=world.h(user, **TUS, **{"Upload-Length": str(size), "Upload-Metadata": meta}))
    assert r.status_code == 201, r.text
    return r.headers["location"]


def head_offset(client: httpx.Client, world: World, user: str, url: str) -> int:
    r = client.head(url, headers=world.h(user, **TUS))
    assert r.status_code == 200, (r.status_code, r.headers)
    return int(r.headers["upload-offset"])


def open_patch(url: str, token: str, offset: int, declared: int, data: bytes) -> socket.socket:
    """A PATCH announcing `declared` bytes of which only `data` is sent; the socket stays open."""
    u = urlparse(url)
    sock = socket.create_connection((u.hostname, u.port))
    head = (f"PATCH {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nAuthorization: Bearer {token}\r\n"
            f"Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Upload-Offset: {offset}\r\nContent-Length: {declared}\r\n\r\n")
    sock.sendall(head.encode() + data)
    return sock


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)


def queue_jobs(superuser_url: str, job_id: str) -> list[tuple]:
    with psycopg.connect(superuser_url) as su:
        return su.execute("SELECT id, kind, payload, dedupe_key FROM queue.jobs WHERE payload ->> 'job_id' = %s",
                          (job_id,)).fetchall()


def job_row(superuser_url: str, vendor: str, job_id: str) -> dict:
    with psycopg.connect(superuser_url) as su:
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        row = su.execute("SELECT status::text, phase, queue_job_id FROM ingest.ingestion_jobs WHERE id = %s", (job_id,)).fetchone()
    return {"status": row[0], "phase": row[1], "queue_job_id": row[2]}
