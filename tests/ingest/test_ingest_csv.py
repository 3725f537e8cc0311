"""POST /api/v1/ingest/csv: a job awaiting its file and the absolute TUS upload URL; the gateway's
conventions (Idempotency-Key, the 6/min ingest limit, roles, problem+json); GET /api/v1/jobs shows
the phase and the upload progress."""
from __future__ import annotations

import base64
import time
import uuid

import httpx
import psycopg
from tusclient.client import TusClient

from ..gateway.conftest import Server, World, idem, mint
from .conftest import TUS, queue_jobs, sha256, stored_file


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def _create(client: httpx.Client, world: World, user: str, mode: str = "products", **body) -> httpx.Response:
    return client.post(f"/api/v1/ingest/csv?mode={mode}", json={"size": 10, "filename": "f.csv", **body},
                       headers=world.h(user, **idem()))


def test_creates_a_job_and_answers_the_upload_url(server: Server, client: httpx.Client, world: World,
                                                  superuser_url: str, tmp_path) -> None:
    data = b"external_id,name,price\n" + b"".join(b"p%d,Product %d,1.50\n" % (i, i) for i in range(2000))
    r = client.post("/api/v1/ingest/csv?mode=products", json={"size": len(data), "filename": "catalog.csv",
                                                              "metadata": {"source": "erp"}},
                    headers=world.h("operator_a", **idem()))
    assert r.status_code == 201, r.text
    body = r.json()
    job_id = body["job_id"]
    assert body["upload_url"] == f"{server.url}/api/v1/uploads/{job_id}"
    assert (body["mode"], body["status"], body["phase"]) == ("products", "queued", "awaiting_upload")
    assert body["upload"]["offset"] == 0 and body["upload"]["length"] == len(data) and body["upload"]["protocol"] == "tus"
    assert body["upload"]["storage"] == "local" and body["upload"]["object_path"] == f"{world.a}/{job_id}"
    assert "x-odyssey-wal-lsn" in r.headers

    job = client.get(f"/api/v1/jobs/{job_id}", headers=world.h("viewer_a")).json()
    assert job["phase"] == "awaiting_upload" and job["upload"] == {**job["upload"], "offset": 0, "length": len(data)}
    assert job["error_url"] is None and job["params"] == {"filename": "catalog.csv", "size": len(data), "source": "csv"}

    # The upload URL is a TUS upload that exists already: a TUS client PATCHes it.
    src = tmp_path / "catalog.csv"
    src.write_bytes(data)
    uploader = TusClient(f"{server.url}/api/v1/uploads", headers={"Authorization": f"Bearer {world.token('operator_a')}"}) \
        .uploader(file_path=str(src), url=body["upload_url"], chunk_size=16 * 1024, upload_checksum=True)
    uploader.upload_chunk()
    job = client.get(f"/api/v1/jobs/{job_id}", headers=world.h("operator_a")).json()
    assert job["phase"] == "awaiting_upload" and job["upload"]["offset"] == 16 * 1024
    uploader.upload()
    assert sha256(stored_file(world.a, job_id).read_bytes()) == sha256(data)
    job = client.get(f"/api/v1/jobs/{job_id}", headers=world.h("operator_a")).json()
    assert job["phase"] == "queued" and job["status"] == "queued" and job["upload"]["offset"] == len(data)
    assert job["upload"]["completed_at"] is not None
    assert [q[1] for q in queue_jobs(superuser_url, job_id)] == ["ingest.csv"]
    listed = client.get("/api/v1/jobs?limit=200", headers=world.h("operator_a")).json()["items"]
    assert [j["phase"] for j in listed if j["id"] == job_id] == ["queued"]


def test_idempotency_key_is_required_and_replays(client: httpx.Client, world: World) -> None:
    body = _problem(client.post("/api/v1/ingest/csv?mode=products", json={"size": 10}, headers=world.h("admin_a")), 400)
    assert body["errors"][0]["field"] == "Idempotency-Key"
    key = {"Idempotency-Key": f"ingest-{uuid.uuid4()}"}
    first = client.post("/api/v1/ingest/csv?mode=customers", json={"size": 99}, headers=world.h("admin_a", **key))
    again = client.post("/api/v1/ingest/csv?mode=customers", json={"size": 99}, headers=world.h("admin_a", **key))
    assert first.status_code == again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()                       # the same job, the same upload URL
    _problem(client.post("/api/v1/ingest/csv?mode=customers", json={"size": 98}, headers=world.h("admin_a", **key)), 422)


def test_validation_and_roles(client: httpx.Client, world: World) -> None:
    body = _problem(client.post("/api/v1/ingest/csv?mode=recipes", json={"size": 0}, headers=world.h("admin_a", **idem())), 422)
    assert {e["field"] for e in body["errors"]} == {"mode", "size"}
    body = _problem(client.post("/api/v1/ingest/csv", json={"size": 10737418241}, headers=world.h("admin_a", **idem())), 422)
    assert {e["field"] for e in body["errors"]} == {"mode", "size"}
    body = _problem(_create(client, world, "admin_a", size="ten"), 422)
    assert body["errors"][0]["field"] == "size"
    body = _problem(_create(client, world, "admin_a", size=True), 422)
    assert body["errors"][0]["field"] == "size"
    body = _problem(_create(client, world, "admin_a", filename=["a"], metadata=[1]), 422)
    assert body["errors"][0]["field"] == "filename"
    body = _problem(_create(client, world, "admin_a", metadata=[1]), 422)
    assert body["errors"][0]["field"] == "metadata"
    _problem(client.post("/api/v1/ingest/csv?mode=products", content=b"size=10",
                         headers=world.h("admin_a", **idem(), **{"Content-Type": "text/plain"})), 415)
    # Roles: a viewer cannot start an ingestion; nobody without a membership can; no token is 401.
    body = _problem(_create(client, world, "viewer_a"), 403)
    assert "role" in body["detail"]
    _problem(_create(client, world, "nobody"), 403)
    _problem(client.post("/api/v1/ingest/csv?mode=products", json={"size": 10}, headers=idem()), 401)
    # A superadmin acts in a vendor only with X-Vendor-Id and X-Justification (break-glass).
    _problem(_create(client, world, "root"), 400)
    r = client.post("/api/v1/ingest/csv?mode=products", json={"size": 10},
                    headers=world.h("root", **idem(), **{"X-Vendor-Id": world.b, "X-Justification": "INC-42 reload"}))
    assert r.status_code == 201 and r.json()["upload"]["object_path"].startswith(world.b + "/")


def test_an_empty_filename_still_gives_valid_tus_headers(client: httpx.Client, world: World) -> None:
    job = _create(client, world, "admin_a", filename="").json()
    r = client.head(job["upload_url"], headers=world.h("admin_a", **TUS))
    assert r.status_code == 200
    assert dict(p.partition(" ")[::2] for p in r.headers["upload-metadata"].split(",")) == {
        "mode": base64.b64encode(b"products").decode(), "filename": ""}


def test_the_seventh_ingestion_within_a_minute_is_429(client: httpx.Client, world: World, superuser_url: str) -> None:
    vendor, user = str(uuid.uuid4()), f"ingest-limited-{world.tag}"
    with psycopg.connect(superuser_url, autocommit=True) as su:   # PRD defaults: 6 ingest requests per minute
        su.execute("INSERT INTO core.vendors (id, name) VALUES (%s, %s)", (vendor, f"Ingest limited {world.tag}"))
        su.execute("INSERT INTO core.users (id, email) VALUES (%s, %s)", (user, f"{user}@test.example"))
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        su.execute("INSERT INTO core.user_links (user_id, vendor_id, role) VALUES (%s, %s, 'vendor_operator')", (user, vendor))
        left = su.execute("SELECT 60 - extract(second FROM now())").fetchone()[0]
    if left < 10:                      # the seven requests must fall into one one-minute window
        time.sleep(float(left) + 0.5)
    headers = {"Authorization": f"Bearer {mint(user)}"}
    responses = [client.post("/api/v1/ingest/csv?mode=products", json={"size": 10}, headers={**headers, **idem()})
                 for _ in range(7)]
    assert [r.status_code for r in responses] == [201] * 6 + [429]
    assert responses[5].headers["ratelimit-limit"] == "6" and responses[5].headers["ratelimit-remaining"] == "0"
    body = _problem(responses[6], 429)
    assert "ingest" in body["detail"] and 1 <= int(responses[6].headers["retry-after"]) <= 60
    # Uploading is not ingesting: the TUS requests of a job do not count against that limit.
    url = responses[0].json()["upload_url"]
    for _ in range(3):
        assert client.head(url, headers={**headers, **TUS}).status_code == 200
    r = client.patch(url, content=b"0123456789", headers={**headers, **TUS, "Content-Type": "application/offset+octet-stream",
                                                          "Upload-Offset": "0"})
    assert r.status_code == 204 and r.headers["upload-offset"] == "10"
