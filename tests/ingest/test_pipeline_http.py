"""End to end through HTTP: POST /api/v1/ingest/csv, a tuspy upload, a real `odyssey worker`
running the pipeline, then GET /api/v1/jobs/{id}, the merged rows through the API, errors.csv
and cancellation, each attacked from the other vendor."""
from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from tusclient import client as tus_client

from .conftest import TUS, World, idem, stored_file, wait_for

REPO = Path(__file__).resolve().parents[2]

PRODUCTS_CSV = (
    "\ufeffcode;product_name;brands;categories;price;energy-kj_100g;salt_100g;serving_size;allergens;labels\r\n"
    "5000000000011;Oat drink;Oatly;{cat};3,49;250;0.1;250 ml;en:oats;vegan\r\n"
    "5000000000028;\"Greek; yogurt\";Fage;{cat};4.99;400;0.2;150 g;whey, casein;\r\n"
    "5000000000035;Bad price;X;{cat};abc;;;;;\r\n"
    "5000000000011;Repeated code;Y;{cat};1;;;;;\r\n"
    "5000000000042;Short row;Z\r\n"
    "5000000000059;Unknown category;Z;no-such-category;1;;;;;\r\n"
)

CUSTOMERS_CSV = (
    "Customer ID,Full Name,E-mail,Date of Birth,Sex,Weight (lbs),Height (ft/in),Activity,Conditions,Allergies\n"
    "c-1,Ana Ruiz,ana@example.com,1990-04-01,F,154,\"5'6\"\"\",moderately active,HTN,dairy\n"
    "c-2,Bo Chen,bo@example.com,1979-12-31,m,,,,,\n"
    "c-3,Cy Doe,cy@example.com,1985-01-01,male,1000,\"5'9\"\"\",light,,\n"
)


@pytest.fixture()
def worker(tmp_path: Path) -> Iterator[subprocess.Popen]:
    log = open(tmp_path / "worker.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker", "--kinds", "ingest.csv", "--lease", "10",
                             "--poll-interval", "0.5"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
    yield proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def upload(client: httpx.Client, world: World, user: str, data: bytes, mode: str) -> str:
    r = client.post(f"/api/v1/ingest/csv?mode={mode}", json={"size": len(data), "filename": f"{mode}.csv"},
                    headers=world.h(user, **idem()))
    assert r.status_code == 201, r.text
    body = r.json()
    uploader = tus_client.TusClient(client.base_url.join("/api/v1/uploads").__str__(),
                                    headers={"Authorization": world.h(user)["Authorization"]}).uploader(
        file_stream=io.BytesIO(data), url=body["upload_url"], chunk_size=64)
    uploader.upload()
    return body["job_id"]


def finished_job(client: httpx.Client, world: World, user: str, job_id: str) -> dict:
    def done():
        r = client.get(f"/api/v1/jobs/{job_id}", headers=world.h(user))
        assert r.status_code == 200, r.text
        return r.json() if r.json()["status"] in ("completed", "failed", "canceled") else None
    return wait_for(done, timeout=60, interval=0.2)


def test_products_file_end_to_end(client: httpx.Client, world: World, superuser_url: str, worker) -> None:
    with psycopg.connect(superuser_url) as su:
        code = su.execute("SELECT code FROM catalog.tax_categories WHERE id = %s", (world.category,)).fetchone()[0]
    data = PRODUCTS_CSV.format(cat=code).encode("utf-8")
    job_id = upload(client, world, "operator_a", data, "products")
    job = finished_job(client, world, "viewer_a", job_id)
    assert job["status"] == "completed" and job["phase"] == "done" and float(job["progress_pct"]) == 100
    totals = job["totals"]
    assert (totals["rows_read"], totals["inserted"], totals["rejected"]) == (6, 2, 4)
    assert totals["rows_read"] == totals["inserted"] + totals["updated"] + totals["unchanged"] + totals["rejected"]
    assert {m["header"]: m["field"] for m in job["mapping"]}["salt_100g"] == "sodium_mg"
    # A BOM settles UTF-8; "4.99", "0.1", "0.2" outvote "3,49": "1,234" would be read as 1234 here.
    assert job["format"] == {"encoding": "UTF8", "bom": True, "encoding_settled": True, "delimiter": ";", "columns": 10,
                             "decimal": ".", "decimal_from": "values"}
    assert job["error_url"] == f"/api/v1/jobs/{job_id}/errors.csv"

    page = client.get("/api/v1/products?limit=200", headers=world.h("viewer_a")).json()["items"]
    by_ext = {p["external_id"]: p for p in page if p["external_id"].startswith("50000000000")}
    assert set(by_ext) == {"5000000000011", "5000000000028"}
    oat = by_ext["5000000000011"]
    assert oat["name"] == "Oat drink" and oat["price"] == 3.49 and oat["barcode"] == "5000000000011"
    # 250 kJ/100 g over a 250 ml serving; salt 0.1 g/100 g -> sodium 40 mg/100 g
    assert abs(oat["nutrition"]["energy_kcal"] - 250 / 4.184 * 2.5) < 0.01
    assert abs(oat["nutrition"]["sodium_mg"] - 0.1 * 1000 / 2.5 * 2.5) < 0.01
    assert by_ext["5000000000028"]["name"] == "Greek; yogurt" and by_ext["5000000000028"]["allergens"] == ["milk"]

    r = client.get(job["error_url"], headers=world.h("operator_a"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["row_no"], x["field"], x["code"]) for x in rows] == [
        ("3", "price", "bad_number"), ("4", "external_id", "duplicate_in_file"), ("5", "", "wrong_field_count"),
        ("6", "category", "unknown_code")]
    # The other vendor sees neither the job nor its errors; a viewer may not read rejected rows.
    assert client.get(f"/api/v1/jobs/{job_id}", headers=world.h("admin_b")).status_code == 404
    assert client.get(job["error_url"], headers=world.h("admin_b")).status_code == 404
    assert client.get(job["error_url"], headers=world.h("viewer_a")).status_code == 403
    with psycopg.connect(superuser_url) as su:
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (world.a,))
        event = su.execute("SELECT event_type, data FROM hooks.events WHERE data ->> 'job_id' = %s", (job_id,)).fetchall()
    assert len(event) == 1 and event[0][0] == "job.completed" and event[0][1]["totals"]["inserted"] == 2

    # The same file again: nothing changes.
    again = finished_job(client, world, "viewer_a", upload(client, world, "operator_a", data, "products"))
    assert (again["totals"]["inserted"], again["totals"]["updated"], again["totals"]["unchanged"]) == (0, 0, 2)


def test_customers_file_end_to_end(client: httpx.Client, world: World, superuser_url: str, worker) -> None:
    job_id = upload(client, world, "admin_a", CUSTOMERS_CSV.encode(), "customers")
    job = finished_job(client, world, "admin_a", job_id)
    assert job["status"] == "completed", job
    assert (job["totals"]["inserted"], job["totals"]["rejected"]) == (2, 1)
    with psycopg.connect(superuser_url) as su:
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (world.a,))
        ana = su.execute(
            "SELECT h.weight_kg, h.height_cm, h.activity_level::text, h.conditions, h.avoid_allergens, h.bmi IS NOT NULL "
            "FROM crm.customers c JOIN health.customer_health_profiles h ON h.vendor_id = c.vendor_id AND h.customer_id = c.id "
            "WHERE c.vendor_id = %s AND c.external_id = 'c-1'", (world.a,)).fetchone()
        cy = su.execute("SELECT count(*) FROM crm.customers WHERE vendor_id = %s AND external_id = 'c-3'", (world.a,)).fetchone()[0]
    assert abs(float(ana[0]) - 154 * 0.45359237) < 0.01 and abs(float(ana[1]) - 66 * 2.54) < 0.01
    assert ana[2:5] == ("moderate", ["hypertension"], ["milk"]) and ana[5]
    assert cy == 0   # 1,000 lb is out of range: the row is rejected whole, customer included
    rows = list(csv.DictReader(io.StringIO(client.get(job["error_url"], headers=world.h("admin_a")).text)))
    assert [(x["row_no"], x["code"]) for x in rows] == [("3", "rejected")] and "weight" in rows[0]["message"]


def test_a_malformed_file_fails_whole_and_a_job_can_be_canceled(client: httpx.Client, world: World, worker) -> None:
    job = finished_job(client, world, "admin_a", upload(client, world, "admin_a", b"\x00\x01\x02binary", "products"))
    assert job["status"] == "failed" and job["totals"]["error"]["code"] == "binary_file"
    wrong_mode = finished_job(client, world, "admin_a", upload(client, world, "admin_a", CUSTOMERS_CSV.encode(), "products"))
    assert wrong_mode["status"] == "failed" and "customers file" in wrong_mode["totals"]["error"]["message"]

    r = client.post("/api/v1/ingest/csv?mode=products", json={"size": 100}, headers=world.h("admin_a", **idem()))
    pending = r.json()["job_id"]
    assert client.post(f"/api/v1/jobs/{pending}/cancel", headers=world.h("admin_b", **idem())).status_code == 404
    r = client.post(f"/api/v1/jobs/{pending}/cancel", headers=world.h("admin_a", **idem()))
    assert r.status_code == 200 and r.json()["status"] == "canceled"
    assert client.post(f"/api/v1/jobs/{pending}/cancel", headers=world.h("admin_a", **idem())).status_code == 409


def test_an_expired_upload_fails_its_job_and_its_bytes_are_deleted(client: httpx.Client, world: World,
                                                                    superuser_url: str, worker) -> None:
    r = client.post("/api/v1/ingest/csv?mode=products", json={"size": 100, "filename": "late.csv"},
                    headers=world.h("operator_a", **idem()))
    assert r.status_code == 201, r.text
    job_id, url = r.json()["job_id"], r.json()["upload_url"]
    sent = client.patch(url, content=b"code;name\n1234567;half", headers=world.h(
        "operator_a", **TUS, **{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}))
    assert sent.status_code == 204, sent.text
    path = stored_file(world.a, job_id)
    assert path.stat().st_size == 22
    with psycopg.connect(superuser_url) as su:
        su.execute("UPDATE ingest.uploads SET expires_at = now() - interval '1 second' WHERE job_id = %s", (job_id,))

    def ended():
        body = client.get(f"/api/v1/jobs/{job_id}", headers=world.h("operator_a")).json()
        return body if body["status"] != "queued" else None
    job = wait_for(ended, timeout=30, interval=0.25)  # the worker sweeps every --reap-interval (10 s)
    assert job["status"] == "failed" and job["totals"]["error"]["code"] == "upload_expired", job
    assert "22 of 100 bytes" in job["totals"]["error"]["message"]
    wait_for(lambda: not path.exists(), timeout=10)
    gone = client.head(url, headers=world.h("operator_a", **TUS))
    assert gone.status_code == 410
    with psycopg.connect(superuser_url) as su:
        events = su.execute("SELECT count(*) FROM hooks.events WHERE event_type = 'job.failed' AND data ->> 'job_id' = %s",
                            (job_id,)).fetchone()[0]
    assert events == 1
