"""Webhook delivery end to end: an endpoint created through the API, an ingestion job whose end
writes the outbox event, a real `odyssey worker` that POSTs it to a receiver on loopback. The
receiver checks every request the way notes.md tells vendors to (HMAC-SHA256 over
timestamp + "\\n" + raw body with Python's hmac, constant-time compare, fresh timestamp), answers
as the test scripts it, and the deliveries API reports what happened."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from gateway.worker.outbound import refused_address as _refused_address

from .conftest import BASE_PORT, World, idem, wait_for
from .test_pipeline_http import finished_job, upload

REPO = Path(__file__).resolve().parents[2]
RECEIVER_PORT = BASE_PORT + 9


class Receiver:
    """Records each POST (headers, raw body) and answers the next scripted status (then 200)."""

    def __init__(self, port: int) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.script: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver(RECEIVER_PORT)
    yield r
    r.server.shutdown()


@pytest.fixture()
def hook_worker(tmp_path: Path) -> Iterator[subprocess.Popen]:
    log = open(tmp_path / "worker.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker", "--kinds", "ingest.csv,webhook.deliver",
                             "--lease", "10", "--poll-interval", "0.5"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "ODYSSEY_OUTBOUND_ALLOW_PRIVATE": "1"})
    yield proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def _verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> None:
    """What a receiver must do (notes.md): recompute the signature, compare in constant time, reject stale timestamps."""
    timestamp = headers["x-timestamp"]
    expected = "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, headers["x-signature"]), "the signature does not verify"
    assert abs(time.time() - int(timestamp)) <= tolerance, "stale timestamp"


def _create(client: httpx.Client, world: World, body: dict) -> dict:
    r = client.post("/api/v1/webhooks", json=body, headers=world.h("admin_a", **idem()))
    assert r.status_code == 201, r.text
    return r.json()


def _deliveries(client: httpx.Client, world: World, endpoint: str) -> list[dict]:
    r = client.get(f"/api/v1/webhooks/{endpoint}/deliveries", headers=world.h("admin_a"))
    assert r.status_code == 200, r.text
    assert "whsec_" not in r.text
    return r.json()["items"]


def test_a_job_event_is_signed_retried_and_delivered_once(client: httpx.Client, world: World, receiver: Receiver,
                                                            hook_worker) -> None:
    endpoint = _create(client, world, {"url": f"{receiver.url}/completed", "event_types": ["job.completed"], "retries_max": 3})
    assert client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=world.h("operator_a")).status_code == 403
    assert client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries", headers=world.h("admin_b")).status_code == 404
    receiver.requests.clear()
    receiver.script[:] = [500]                     # the first attempt fails: the queue retries it
    tag = uuid.uuid4().hex[:8]
    rows = f"Customer ID,Full Name,E-mail,Date of Birth,Sex\nwh-{tag},Wendy Hook,wh-{tag}@example.com,1990-04-01,F\n"
    job_id = upload(client, world, "operator_a", rows.encode(), "customers")
    assert finished_job(client, world, "operator_a", job_id)["status"] == "completed"

    wait_for(lambda: len(receiver.requests) >= 2, timeout=40, interval=0.2)
    time.sleep(1)
    assert len(receiver.requests) == 2, "delivered exactly once after one failure"
    (h1, b1), (h2, b2) = receiver.requests
    for headers, body in receiver.requests:
        _verify(endpoint["secret"], headers, body)
        assert headers["content-type"] == "application/json" and headers["x-event-type"] == "job.completed"
    assert b1 == b2 and h1["x-idempotency-key"] == h2["x-idempotency-key"]
    assert (h1["x-delivery-attempt"], h2["x-delivery-attempt"]) == ("1", "2")
    event = json.loads(b2)
    assert set(event) == {"vendor_id", "event_id", "event_type", "occurred_at", "data"}
    assert event["vendor_id"] == world.a and event["event_id"] == h2["x-idempotency-key"]
    assert event["data"]["job_id"] == job_id and event["data"]["totals"]["inserted"] == 1
    wrong = "v1=" + hmac.new(b"not-the-secret", h2["x-timestamp"].encode() + b"\n" + b2, hashlib.sha256).hexdigest()
    assert not hmac.compare_digest(wrong, h2["x-signature"])   # the check above can fail

    [delivery] = wait_for(lambda: [d for d in _deliveries(client, world, endpoint["id"]) if d["status"] == "delivered"] or None,
                          timeout=10)
    assert (delivery["attempt"], delivery["response_status"], delivery["last_error"]) == (2, 200, None)
    assert delivery["event_id"] == event["event_id"] and delivery["payload"] == event


def test_a_refusing_endpoint_dead_letters_the_delivery(client: httpx.Client, world: World, receiver: Receiver,
                                                       hook_worker) -> None:
    endpoint = _create(client, world, {"url": f"{receiver.url}/failed", "event_types": ["job.failed"], "retries_max": 0})
    receiver.requests.clear()
    receiver.script[:] = [410]
    job_id = upload(client, world, "operator_a", b"\x00\x01\x02binary", "products")
    assert finished_job(client, world, "operator_a", job_id)["status"] == "failed"

    def dead():
        items = [d for d in _deliveries(client, world, endpoint["id"]) if d["payload"]["data"]["job_id"] == job_id]
        return items if items and items[0]["status"] == "dead" else None
    [delivery] = wait_for(dead, timeout=30, interval=0.25)
    assert (delivery["attempt"], delivery["response_status"]) == (1, 410) and "HTTP 410" in delivery["last_error"]
    assert len([r for r in receiver.requests if json.loads(r[1])["data"]["job_id"] == job_id]) == 1
    assert client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries?status=dead", headers=world.h("admin_a")).json()["items"]
    assert client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=world.h("admin_a")).json() == {"deleted": True}


def test_workers_refuse_private_addresses_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ODYSSEY_OUTBOUND_ALLOW_PRIVATE", raising=False)
    for url in ("http://127.0.0.1:9/x", "http://localhost/x", "https://10.1.2.3/x", "https://169.254.169.254/latest",
                "https://[::1]/x"):
        assert "non-public address" in (_refused_address(url) or ""), url
    assert "non-public address (fe80::1)" in (_refused_address("https://[fe80::1%lo]/x") or "")  # a zoned link-local
    assert "does not resolve" in (_refused_address("https://no-such-host.invalid/x") or "")
    monkeypatch.setenv("ODYSSEY_OUTBOUND_ALLOW_PRIVATE", "1")
    assert _refused_address("http://127.0.0.1:9/x") is None
