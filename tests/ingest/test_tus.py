"""The gateway's TUS 1.0 server: uploads by tuspy, resumption after an interrupted client (chunks
left unsent, or a client gone mid-PATCH), byte-identical files, tenant isolation, checksums,
offsets, locking, termination, and completion queuing exactly one ingest.csv worker job."""
from __future__ import annotations

import base64
import hashlib
import os
import uuid

import httpx
import psycopg
import pytest
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError

from ..gateway.conftest import Server, World
from .conftest import (CHECKPOINT_PORT, TUS, create_upload, head_offset, job_row, open_patch, queue_jobs, sha256,
                       stored_file, wait_for)


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["tus-resumable"] == "1.0.0"
    if r.request.method == "HEAD":   # a HEAD answer has no body
        assert r.content == b"" and "upload-offset" not in r.headers
        return {}
    body = r.json()
    assert body["status"] == status and {"type", "title", "detail"} <= body.keys()
    return body


def _tus(server: Server, world: World, user: str) -> TusClient:
    return TusClient(server.url + "/api/v1/uploads", headers={"Authorization": f"Bearer {world.token(user)}"})


def _patch(client: httpx.Client, world: World, user: str, url: str, offset: int, data: bytes, **extra: str) -> httpx.Response:
    return client.patch(url, content=data, headers=world.h(user, **TUS, **{
        "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset), **extra}))


def test_options_advertises_the_protocol(client: httpx.Client) -> None:
    r = client.options("/api/v1/uploads")
    assert r.status_code == 204
    assert r.headers["tus-resumable"] == "1.0.0" and r.headers["tus-version"] == "1.0.0"
    assert set(r.headers["tus-extension"].split(",")) == {"creation", "expiration", "termination", "checksum"}
    assert r.headers["tus-max-size"] == "10737418240"
    assert set(r.headers["tus-checksum-algorithm"].split(",")) == {"sha1", "md5", "sha256"}


def test_tuspy_uploads_a_file_byte_for_byte_and_completion_queues_one_job(
        server: Server, client: httpx.Client, world: World, superuser_url: str, tmp_path) -> None:
    data = os.urandom(700_001)
    src = tmp_path / "catalog.csv"
    src.write_bytes(data)
    uploader = _tus(server, world, "operator_a").uploader(
        file_path=str(src), chunk_size=128 * 1024, upload_checksum=True,
        metadata={"mode": "products", "filename": "catalog.csv", "source": "erp"})
    uploader.upload()
    job_id = uploader.url.rsplit("/", 1)[1]
    assert uploader.url == f"{server.url}/api/v1/uploads/{job_id}"
    assert sha256(stored_file(world.a, job_id).read_bytes()) == sha256(data)

    r = client.head(uploader.url, headers=world.h("viewer_a", **TUS))   # a viewer may watch the progress
    assert r.status_code == 200 and r.headers["upload-offset"] == r.headers["upload-length"] == str(len(data))
    assert r.headers["cache-control"] == "no-store" and "upload-expires" not in r.headers  # complete: no expiry
    meta = dict(pair.split(" ") for pair in r.headers["upload-metadata"].split(","))
    assert base64.b64decode(meta["filename"]) == b"catalog.csv" and base64.b64decode(meta["source"]) == b"erp"

    jobs = queue_jobs(superuser_url, job_id)
    assert len(jobs) == 1 and jobs[0][1] == "ingest.csv" and jobs[0][2] == {"job_id": job_id} and jobs[0][3] == job_id
    assert job_row(superuser_url, world.a, job_id) == {"status": "queued", "phase": "queued", "queue_job_id": jobs[0][0]}
    body = client.get(f"/api/v1/jobs/{job_id}", headers=world.h("viewer_a")).json()
    assert body["phase"] == "queued" and body["upload"]["offset"] == body["upload"]["length"] == len(data)
    assert body["params"] == {"filename": "catalog.csv", "size": len(data), "source": "csv"}
    # A complete upload takes no more bytes.
    _problem(_patch(client, world, "operator_a", uploader.url, len(data), b""), 409)
    assert len(queue_jobs(superuser_url, job_id)) == 1


def test_interrupted_after_some_chunks_resumes_from_the_server_offset(
        server: Server, client: httpx.Client, world: World, superuser_url: str, tmp_path) -> None:
    data = os.urandom(5 * 64 * 1024 + 17)
    src = tmp_path / "people.csv"
    src.write_bytes(data)
    first = _tus(server, world, "admin_a").uploader(file_path=str(src), chunk_size=64 * 1024,
                                                     metadata={"mode": "customers", "filename": "people.csv"})
    first.upload_chunk()
    first.upload_chunk()
    assert head_offset(client, world, "admin_a", first.url) == 2 * 64 * 1024
    assert queue_jobs(superuser_url, first.url.rsplit("/", 1)[1]) == []     # not complete: nothing queued

    # A new client process knows only the URL: it asks the server where to continue.
    second = _tus(server, world, "admin_a").uploader(file_path=str(src), url=first.url, chunk_size=64 * 1024)
    assert second.offset == 2 * 64 * 1024
    second.upload()
    job_id = first.url.rsplit("/", 1)[1]
    assert sha256(stored_file(world.a, job_id).read_bytes()) == sha256(data)
    assert len(queue_jobs(superuser_url, job_id)) == 1


def test_a_client_gone_mid_patch_keeps_what_arrived_and_resumes(
        server: Server, client: httpx.Client, world: World, superuser_url: str, tmp_path) -> None:
    data = os.urandom(300_000)
    url = create_upload(client, world, "operator_a", len(data))
    sock = open_patch(url, world.token("operator_a"), 0, len(data), data[:123_457])   # announces all, sends part
    sock.close()                                                                     # ... and vanishes
    assert wait_for(lambda: head_offset(client, world, "operator_a", url) == 123_457)
    job_id = url.rsplit("/", 1)[1]
    assert stored_file(world.a, job_id).read_bytes() == data[:123_457]

    src = tmp_path / "rest.csv"
    src.write_bytes(data)
    uploader = _tus(server, world, "operator_a").uploader(file_path=str(src), url=url, chunk_size=100_000)
    assert uploader.offset == 123_457
    uploader.upload()
    assert sha256(stored_file(world.a, job_id).read_bytes()) == sha256(data)
    assert len(queue_jobs(superuser_url, job_id)) == 1


def test_bytes_a_dead_gateway_never_recorded_are_discarded(client: httpx.Client, world: World) -> None:
    data = os.urandom(50_000)
    url = create_upload(client, world, "admin_a", len(data))
    job_id = url.rsplit("/", 1)[1]
    assert _patch(client, world, "admin_a", url, 0, data[:20_000]).status_code == 204
    with open(stored_file(world.a, job_id), "ab") as f:   # written, never recorded (the gateway died)
        f.write(b"garbage" * 1000)
    r = _patch(client, world, "admin_a", url, 20_000, data[20_000:])
    assert r.status_code == 204 and r.headers["upload-offset"] == str(len(data))
    assert stored_file(world.a, job_id).read_bytes() == data


def test_another_vendor_gets_404_on_head_patch_and_delete(server: Server, client: httpx.Client, world: World) -> None:
    url = create_upload(client, world, "admin_a", 1000)
    assert _patch(client, world, "admin_a", url, 0, b"x" * 100).status_code == 204
    for user in ("admin_b", "operator_b"):
        _problem(client.head(url, headers=world.h(user, **TUS)), 404)
        _problem(_patch(client, world, user, url, 100, b"y" * 10), 404)
        _problem(client.delete(url, headers=world.h(user, **TUS)), 404)
    # A user of both vendors acting in B does not see it either; in A (viewer there) may read it.
    _problem(client.head(url, headers=world.h("both", **TUS, **{"X-Vendor-Id": world.b})), 404)
    assert client.head(url, headers=world.h("both", **TUS, **{"X-Vendor-Id": world.a})).status_code == 200
    assert head_offset(client, world, "admin_a", url) == 100
    assert stored_file(world.a, url.rsplit("/", 1)[1]).read_bytes() == b"x" * 100
    # Unknown ids and non-UUIDs are 404 too.
    _problem(client.head(f"{server.url}/api/v1/uploads/{uuid.uuid4()}", headers=world.h("admin_a", **TUS)), 404)
    _problem(client.head(f"{server.url}/api/v1/uploads/not-a-uuid", headers=world.h("admin_a", **TUS)), 404)


def test_roles_viewer_reads_but_does_not_write(client: httpx.Client, world: World) -> None:
    url = create_upload(client, world, "operator_a", 10)
    assert head_offset(client, world, "viewer_a", url) == 0
    _problem(_patch(client, world, "viewer_a", url, 0, b"0123456789"), 403)
    _problem(client.delete(url, headers=world.h("viewer_a", **TUS)), 403)
    _problem(client.post("/api/v1/uploads", headers=world.h("viewer_a", **TUS, **{
        "Upload-Length": "10", "Upload-Metadata": "mode " + base64.b64encode(b"products").decode()})), 403)
    assert head_offset(client, world, "operator_a", url) == 0
    assert not stored_file(world.a, url.rsplit("/", 1)[1]).exists()   # the refused PATCH wrote nothing
    _problem(client.head(url, headers={**TUS}), 401)


def test_checksum_mismatch_is_460_and_keeps_nothing(client: httpx.Client, world: World) -> None:
    url = create_upload(client, world, "admin_a", 100)
    good = base64.b64encode(hashlib.sha256(b"a" * 40).digest()).decode()
    assert _patch(client, world, "admin_a", url, 0, b"a" * 40, **{"Upload-Checksum": f"sha256 {good}"}).status_code == 204
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    body = _problem(_patch(client, world, "admin_a", url, 40, b"b" * 30, **{"Upload-Checksum": f"md5 {wrong}"}), 460)
    assert "checksum" in body["detail"].lower()
    assert head_offset(client, world, "admin_a", url) == 40
    assert stored_file(world.a, url.rsplit("/", 1)[1]).read_bytes() == b"a" * 40
    sha1 = base64.b64encode(hashlib.sha1(b"b" * 30).digest()).decode()
    r = _patch(client, world, "admin_a", url, 40, b"b" * 30, **{"Upload-Checksum": f"sha1 {sha1}"})
    assert r.status_code == 204 and r.headers["upload-offset"] == "70"
    _problem(_patch(client, world, "admin_a", url, 70, b"c", **{"Upload-Checksum": "crc32 AAAAAA=="}), 400)
    _problem(_patch(client, world, "admin_a", url, 70, b"c", **{"Upload-Checksum": "sha1 not-base64"}), 400)
    assert head_offset(client, world, "admin_a", url) == 70


def test_offsets_media_type_length_and_version(client: httpx.Client, world: World) -> None:
    url = create_upload(client, world, "admin_a", 100)
    assert _patch(client, world, "admin_a", url, 0, b"x" * 10).status_code == 204
    body = _problem(_patch(client, world, "admin_a", url, 5, b"y" * 10), 409)          # not the server's offset
    assert "offset 10" in body["detail"]
    _problem(_patch(client, world, "admin_a", url, 11, b"y" * 10), 409)
    _problem(_patch(client, world, "admin_a", url, 10, b"y" * 91), 413)               # past Upload-Length
    r = client.patch(url, content=b"y", headers=world.h("admin_a", **TUS, **{"Content-Type": "application/octet-stream",
                                                                              "Upload-Offset": "10"}))
    _problem(r, 415)
    r = client.patch(url, content=b"y", headers=world.h("admin_a", **TUS, **{"Content-Type": "application/offset+octet-stream"}))
    _problem(r, 400)                                                                    # no Upload-Offset
    r = client.patch(url, content=b"y", headers=world.h("admin_a", **{"Tus-Resumable": "0.2.2",
                                                                       "Content-Type": "application/offset+octet-stream",
                                                                       "Upload-Offset": "10"}))
    _problem(r, 412)
    assert r.headers["tus-version"] == "1.0.0"
    _problem(client.head(url, headers=world.h("admin_a")), 412)                         # no Tus-Resumable at all
    r = _patch(client, world, "admin_a", url, 10, b"")                                  # an empty PATCH is fine
    assert r.status_code == 204 and r.headers["upload-offset"] == "10" and "upload-expires" in r.headers
    assert head_offset(client, world, "admin_a", url) == 10


def test_creation_validates_length_and_metadata(client: httpx.Client, world: World) -> None:
    def create(**headers: str) -> httpx.Response:
        return client.post("/api/v1/uploads", headers=world.h("admin_a", **TUS, **headers))

    products = "mode " + base64.b64encode(b"products").decode()
    _problem(create(**{"Upload-Length": "10737418241", "Upload-Metadata": products}), 413)
    _problem(create(**{"Upload-Metadata": products}), 400)                                    # no Upload-Length
    _problem(create(**{"Upload-Length": "ten", "Upload-Metadata": products}), 400)
    _problem(create(**{"Upload-Length": "10", "Upload-Metadata": "mode !!!"}), 400)            # not base64
    body = _problem(create(**{"Upload-Length": "0", "Upload-Metadata": "mode " + base64.b64encode(b"recipes").decode()}), 422)
    assert {e["field"] for e in body["errors"]} == {"mode", "size"}
    body = _problem(create(**{"Upload-Length": "10"}), 422)
    assert [e["field"] for e in body["errors"]] == ["mode"]
    r = create(**{"Upload-Length": "10", "Upload-Metadata": products + ",name " + base64.b64encode("prix é.csv".encode()).decode()})
    assert r.status_code == 201 and r.headers["tus-resumable"] == "1.0.0" and "upload-expires" in r.headers
    assert r.json()["upload"]["filename"] == "prix é.csv" and r.json()["upload_url"] == r.headers["location"]


def test_concurrent_patches_do_not_interleave(client: httpx.Client, world: World) -> None:
    data = os.urandom(200_000)
    url = create_upload(client, world, "admin_a", len(data))
    holder = open_patch(url, world.token("admin_a"), 0, len(data), data[:50_000])     # a PATCH in progress
    try:
        job_id = url.rsplit("/", 1)[1]
        wait_for(lambda: stored_file(world.a, job_id).exists())   # created and flock-ed by that PATCH
        _problem(_patch(client, world, "admin_a", url, 0, b"z" * 1000), 423)
    finally:
        holder.close()
    assert wait_for(lambda: head_offset(client, world, "admin_a", url) == 50_000)
    assert _patch(client, world, "admin_a", url, 50_000, data[50_000:]).status_code == 204
    assert stored_file(world.a, url.rsplit("/", 1)[1]).read_bytes() == data


def test_termination_cancels_the_job_and_removes_the_bytes(
        server: Server, client: httpx.Client, world: World, superuser_url: str, tmp_path) -> None:
    url = create_upload(client, world, "operator_a", 1000)
    job_id = url.rsplit("/", 1)[1]
    assert _patch(client, world, "operator_a", url, 0, b"q" * 300).status_code == 204
    r = client.delete(url, headers=world.h("operator_a", **TUS))
    assert r.status_code == 204 and r.headers["tus-resumable"] == "1.0.0"
    assert not stored_file(world.a, job_id).exists()
    _problem(client.head(url, headers=world.h("operator_a", **TUS)), 410)
    assert "terminated" in _problem(_patch(client, world, "operator_a", url, 300, b"q"), 410)["detail"]
    _problem(client.delete(url, headers=world.h("operator_a", **TUS)), 410)
    assert client.get(f"/api/v1/jobs/{job_id}", headers=world.h("operator_a")).json()["status"] == "canceled"
    # Terminating a completed upload whose job has not started removes its queued worker job.
    src = tmp_path / "done.csv"
    src.write_bytes(b"external_id,name\n1,x\n")
    done = _tus(server, world, "operator_a").uploader(file_path=str(src), metadata={"mode": "products"})
    done.upload()
    done_id = done.url.rsplit("/", 1)[1]
    assert len(queue_jobs(superuser_url, done_id)) == 1
    assert client.delete(done.url, headers=world.h("operator_a", **TUS)).status_code == 204
    assert queue_jobs(superuser_url, done_id) == []
    assert job_row(superuser_url, world.a, done_id)["status"] == "canceled"
    # tuspy sees the terminated upload as gone.
    with pytest.raises(TusCommunicationError):
        _tus(server, world, "operator_a").uploader(file_path=str(src), url=done.url)


def test_expired_upload_is_gone(client: httpx.Client, world: World, superuser_url: str) -> None:
    url = create_upload(client, world, "admin_a", 100)
    with psycopg.connect(superuser_url, autocommit=True) as su:
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (world.a,))
        su.execute("UPDATE ingest.uploads SET expires_at = now() - interval '1 second' WHERE job_id = %s", (url.rsplit("/", 1)[1],))
    _problem(client.head(url, headers=world.h("admin_a", **TUS)), 410)
    assert "expired" in _problem(_patch(client, world, "admin_a", url, 0, b"late"), 410)["detail"]


def test_a_long_patch_records_progress_while_it_runs(world: World) -> None:
    """Every ODYSSEY_UPLOAD_CHECKPOINT_BYTES of a running PATCH is fsynced and recorded: a gateway that
    dies mid-request loses at most that much (shown here with a 64 KiB checkpoint)."""
    srv = Server(CHECKPOINT_PORT, env={"ODYSSEY_UPLOAD_CHECKPOINT_BYTES": str(64 * 1024)}, log_name="gateway-checkpoint")
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            data = os.urandom(400_000)
            url = create_upload(c, world, "admin_a", len(data))
            sock = open_patch(url, world.token("admin_a"), 0, len(data), data[:300_000])
            try:
                # The request is still open (100,000 bytes to come) and the offset already moved.
                # At least everything but the last (unrecorded) checkpoint's worth of what was sent.
                offset = wait_for(lambda: head_offset(c, world, "admin_a", url) >= 300_000 - 64 * 1024 and
                                  head_offset(c, world, "admin_a", url))
                assert offset <= 300_000
                sock.sendall(data[300_000:])
                response = sock.recv(65536).decode()
            finally:
                sock.close()
            assert response.startswith("HTTP/1.1 204") and "upload-offset: 400000" in response.lower()
            assert stored_file(world.a, url.rsplit("/", 1)[1]).read_bytes() == data
    finally:
        srv.stop()
