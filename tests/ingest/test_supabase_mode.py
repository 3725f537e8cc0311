"""Supabase Storage mode, end to end against the Storage stand-in (tests/ingest/storage_standin.py):
the gateway signs the upload with storage3, tuspy uploads to the resumable /sign endpoint with the
headers and metadata the gateway answered, /complete checks the object's size and queues the job,
and a real `odyssey worker` streams the object with ranged GETs (gateway/worker/supabase_source.py),
resuming where a cut connection stopped. The reader is also tested on its own."""
from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from tusclient import client as tus_client

from gateway.worker.handlers import PermanentError
from gateway.worker.supabase_source import SupabaseObject

from .conftest import BASE_PORT, Server, World, idem, wait_for
from .storage_standin import StorageStandIn

REPO = Path(__file__).resolve().parents[2]
STANDIN_PORT = BASE_PORT + 7
GATEWAY_PORT = BASE_PORT + 8
KEY = "service-key-of-the-stand-in"
BUCKET = "ingest"


@pytest.fixture(scope="module")
def storage() -> Iterator[StorageStandIn]:
    standin = StorageStandIn(STANDIN_PORT, KEY).start()
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def supabase_env(storage: StorageStandIn) -> dict[str, str]:
    return {"ODYSSEY_SUPABASE_URL": storage.url, "ODYSSEY_SUPABASE_SERVICE_KEY": KEY, "ODYSSEY_SUPABASE_BUCKET": BUCKET,
            "ODYSSEY_SUPABASE_READ_RETRIES": "3"}


@pytest.fixture(scope="module")
def sb_client(supabase_env: dict[str, str]) -> Iterator[httpx.Client]:
    srv = Server(GATEWAY_PORT, env=supabase_env, log_name="gateway-supabase")
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        yield c
    srv.stop()


@pytest.fixture()
def sb_worker(supabase_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen]:
    log = open(tmp_path / "worker.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker", "--kinds", "ingest.csv", "--lease", "10",
                             "--poll-interval", "0.5", "--reap-interval", "1"], cwd=REPO, stdout=log,
                            stderr=subprocess.STDOUT, env={**os.environ, **supabase_env})
    yield proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


@pytest.fixture()
def reader_env(supabase_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in supabase_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("gateway.worker.supabase_source.READ_RETRIES", 3)


def _object(storage: StorageStandIn, path: str, size: int) -> bytes:
    data = random.Random(size).randbytes(size)
    storage.objects[(BUCKET, path)] = data
    storage.faults.drop_after, storage.faults.drops, storage.faults.ranges = None, 0, []
    return data


# ---- the reader ---------------------------------------------------------------------------------
def test_the_reader_streams_seeks_and_resumes_a_cut_connection(storage: StorageStandIn, reader_env) -> None:
    data = _object(storage, "v/one", 300_000)
    with SupabaseObject("v/one") as obj:
        got = bytearray()
        for size in (1, 4095, 70_000, 10**6):
            got += obj.read(size)
        assert bytes(got) == data and obj.read(10) == b"" and obj.tell() == len(data)
        assert obj.seek(123_456) == 123_456 and obj.read(10) == data[123_456:123_466]
        assert obj.read() == data[123_466:]
    assert storage.faults.ranges == ["bytes=0-", "bytes=123456-"]

    storage.faults.ranges, storage.faults.drop_after, storage.faults.drops = [], 50_000, 2
    with SupabaseObject("v/one") as obj:
        assert obj.read(1_000_000) == data  # one call: the reader reopens twice where the body stopped
    assert storage.faults.ranges == ["bytes=0-", "bytes=50000-", "bytes=100000-"]

    storage.faults.ranges, storage.faults.drops = [], 10  # more cuts in a row than READ_RETRIES (3)
    storage.faults.drop_after = 0
    with SupabaseObject("v/one") as obj, pytest.raises(ConnectionError, match="broke off|kept ending"):
        obj.read(10)
    assert len(storage.faults.ranges) == 4


def test_the_reader_refuses_a_replaced_object_a_missing_one_and_a_wrong_key(storage: StorageStandIn, reader_env,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    data = _object(storage, "v/two", 100_000)
    storage.faults.drop_after, storage.faults.drops = 20_000, 1
    with SupabaseObject("v/two") as obj:
        assert obj.read(10) == data[:10]
        storage.objects[(BUCKET, "v/two")] = b"x" * 100_000   # replaced while the first GET is open
        with pytest.raises(PermanentError, match="changed in Supabase Storage"):
            obj.read(50_000)
    with SupabaseObject("v/none") as obj, pytest.raises(PermanentError, match="refused v/none: 400"):
        obj.read(1)
    monkeypatch.setenv("ODYSSEY_SUPABASE_SERVICE_KEY", "not-the-key")
    with SupabaseObject("v/two") as obj, pytest.raises(PermanentError, match="403"):
        obj.read(1)
    monkeypatch.delenv("ODYSSEY_SUPABASE_URL")
    with pytest.raises(PermanentError, match="not configured on this worker"):
        SupabaseObject("v/two")


# ---- end to end ---------------------------------------------------------------------------------
def _products(category_code: str, n: int) -> bytes:
    lines = ["code,product_name,brands,categories,price"]
    lines += [f"77{i:011d},Storage product {i} with a long enough name,Brand {i % 7},{category_code},{1 + i % 50}.25"
              for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def _start(sb_client: httpx.Client, world: World, user: str, data: bytes) -> dict:
    r = sb_client.post("/api/v1/ingest/csv?mode=products", json={"size": len(data), "filename": "p.csv"},
                       headers=world.h(user, **idem()))
    assert r.status_code == 201, r.text
    return r.json()


def _tus_upload(body: dict, data: bytes) -> None:
    upload = body["upload"]
    uploader = tus_client.TusClient(body["upload_url"], headers=upload["headers"]).uploader(
        file_stream=io.BytesIO(data), chunk_size=64 * 1024, metadata=upload["metadata"])
    uploader.upload()


def test_a_file_in_storage_is_ingested_by_the_worker(sb_client: httpx.Client, world: World, storage: StorageStandIn,
                                                       superuser_url: str, sb_worker) -> None:
    with psycopg.connect(superuser_url) as su:
        code = su.execute("SELECT code FROM catalog.tax_categories WHERE id = %s", (world.category,)).fetchone()[0]
    data = _products(code, 3000)
    body = _start(sb_client, world, "operator_a", data)
    job_id, upload = body["job_id"], body["upload"]
    assert body["upload_url"] == f"{storage.url}/storage/v1/upload/resumable/sign"
    assert upload["storage"] == "supabase" and upload["object_path"] == f"{world.a}/{job_id}"
    assert upload["metadata"] == {"bucketName": BUCKET, "objectName": f"{world.a}/{job_id}", "contentType": "text/csv"}
    complete = f"/api/v1/ingest/csv/{job_id}/complete"
    early = sb_client.post(complete, headers=world.h("operator_a", **idem()))
    assert early.status_code == 409 and "not in Supabase Storage yet" in early.json()["detail"]

    _tus_upload(body, data)
    assert storage.objects[(BUCKET, f"{world.a}/{job_id}")] == data
    storage.faults.ranges, storage.faults.drop_after, storage.faults.drops = [], 100_000, 1
    assert sb_client.post(complete, headers=world.h("admin_b", **idem())).status_code == 404
    done = sb_client.post(complete, headers=world.h("operator_a", **idem()))
    assert done.status_code == 200, done.text

    def finished():
        r = sb_client.get(f"/api/v1/jobs/{job_id}", headers=world.h("viewer_a")).json()
        return r if r["status"] in ("completed", "failed", "canceled") else None
    job = wait_for(finished, timeout=60, interval=0.2)
    assert job["status"] == "completed", job
    assert (job["totals"]["rows_read"], job["totals"]["inserted"], job["totals"]["rejected"]) == (3000, 3000, 0)
    assert "bytes=100000-" in storage.faults.ranges, storage.faults.ranges  # the cut read resumed there
    with psycopg.connect(superuser_url) as su:
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (world.a,))
        n = su.execute("SELECT count(*) FROM catalog.products WHERE vendor_id = %s AND external_id LIKE '77%%'",
                       (world.a,)).fetchone()[0]
    assert n == 3000


def test_an_expired_upload_in_storage_is_removed_from_storage(sb_client: httpx.Client, world: World,
                                                               storage: StorageStandIn, superuser_url: str,
                                                               sb_worker) -> None:
    data = b"code,product_name\n1234567,never completed\n"
    body = _start(sb_client, world, "operator_a", data)
    _tus_upload(body, data)
    key = (BUCKET, body["upload"]["object_path"])
    assert key in storage.objects
    with psycopg.connect(superuser_url) as su:
        su.execute("UPDATE ingest.uploads SET expires_at = now() - interval '1 second' WHERE job_id = %s",
                   (body["job_id"],))
    job = wait_for(lambda: (r := sb_client.get(f"/api/v1/jobs/{body['job_id']}", headers=world.h("operator_a")).json())
                   ["status"] != "queued" and r, timeout=30, interval=0.25)
    assert job["status"] == "failed" and job["totals"]["error"]["code"] == "upload_expired", job
    wait_for(lambda: key not in storage.objects, timeout=10)


def test_the_cli_uploads_to_storage_resumes_and_completes(sb_client: httpx.Client, world: World,
                                                          storage: StorageStandIn, superuser_url: str,
                                                          tmp_path: Path) -> None:
    src = tmp_path / "big.csv"
    src.write_bytes(b"code,product_name\n" + b"".join(b"88%011d,Product %d\n" % (i, i) for i in range(700_000)))
    size = src.stat().st_size                    # about 19 MB: four 6 MiB chunks
    state = tmp_path / "state.json"
    cli = [sys.executable, "-m", "gateway.cli", "ingest", str(src), "--mode", "products", "--url", str(sb_client.base_url),
           "--user", world.users["operator_a"], "--state-file", str(state), "--no-wait", "--no-progress"]
    storage.tus_authorization.clear()
    proc = subprocess.Popen(cli, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: any(len(u["data"]) >= 6 * 1024 * 1024 for u in storage.uploads.values()
                         if u["length"] == size), timeout=60, interval=0.01)
    proc.kill()
    out = proc.communicate()[0]
    job_id = out.split("job ", 1)[1][:36]
    upload = next(u for u in storage.uploads.values() if u["length"] == size)
    sent = len(upload["data"])
    assert 0 < sent < size and sent % (6 * 1024 * 1024) == 0

    done = subprocess.run(cli, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"job {job_id}: big.csv resuming at byte {sent} of {size}" in done.stdout
    assert "status queued, phase queued" in done.stdout
    assert storage.objects[(BUCKET, f"{world.a}/{job_id}")] == src.read_bytes()
    assert set(storage.tus_authorization) == {None}   # the gateway's bearer token never went to Storage
    again = subprocess.run(cli, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and f"job {job_id}: big.csv already uploaded" in again.stdout
    with psycopg.connect(superuser_url) as su:
        jobs = su.execute("SELECT count(*) FROM queue.jobs WHERE kind = 'ingest.csv' AND payload ->> 'job_id' = %s",
                          (job_id,)).fetchone()[0]
    assert jobs == 1
    canceled = sb_client.post(f"/api/v1/jobs/{job_id}/cancel", headers=world.h("operator_a", **idem()))
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
