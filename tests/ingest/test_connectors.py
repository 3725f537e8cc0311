"""Connectors end to end (PRD §5.5, §6.3): configured through the real gateway, synced by real
`odyssey worker` processes from a vendor API on loopback (tests/ingest/vendor_api_standin.py: a
third party's stand-in, cursor-paged, with its own auth and failures the test scripts). Covers the
rate limit, Retry-After and backoff, incremental syncs, refusals, OAuth 2.0 client credentials, a
worker killed mid-sync (the next one resumes at the page after the last committed one) and the
outbound address policy."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from .conftest import BASE_PORT, World, idem, wait_for
from .test_pipeline_http import finished_job
from .vendor_api_standin import VendorApi

REPO = Path(__file__).resolve().parents[2]
API_PORT = BASE_PORT + 10
PAGING = {"items_path": "data.items", "next_cursor_path": "paging.next", "page_size": 10, "since_param": "updated_since"}


@pytest.fixture()
def api() -> Iterator[VendorApi]:
    a = VendorApi(API_PORT)
    yield a
    a.close()


def _start_worker(log_path: Path, *args: str, allow_private: bool = True) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "ODYSSEY_OUTBOUND_ALLOW_PRIVATE"}
    if allow_private:
        env["ODYSSEY_OUTBOUND_ALLOW_PRIVATE"] = "1"
    return subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker", "--kinds", "ingest.api,connector.test",
                             "--poll-interval", "0.5", *args], cwd=REPO, stdout=open(log_path, "a"),
                            stderr=subprocess.STDOUT, env=env)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.fixture()
def conn_worker(tmp_path: Path) -> Iterator[subprocess.Popen]:
    proc = _start_worker(tmp_path / "worker.log", "--lease", "10")
    yield proc
    _stop(proc)


@pytest.fixture()
def category_code(world: World, superuser_url: str) -> str:
    with psycopg.connect(superuser_url) as su:
        return su.execute("SELECT code FROM catalog.tax_categories WHERE id = %s", (world.category,)).fetchone()[0]


def _items(prefix: str, n: int, category: str, start: int = 0) -> list[dict]:
    return [{"sku": f"{prefix}-{i}", "title": f"Connector item {prefix} {i}", "category": category, "price": 1 + i / 4,
             "allergens": ["milk"] if i % 3 == 0 else [], "nutrition": {"energy_kcal": 100 + i, "sodium_mg": 5 * i},
             "_updated": time.time() - 3600} for i in range(start, start + n)]


def _put(client: httpx.Client, world: World, source: str, body: dict, who: str = "admin_a") -> httpx.Response:
    return client.put(f"/api/v1/connectors/{source}", json=body, headers=world.h(who, **idem()))


def _sync(client: httpx.Client, world: World, source: str, who: str = "operator_a") -> dict:
    r = client.post(f"/api/v1/connectors/{source}/sync", headers=world.h(who, **idem()))
    assert r.status_code == 202, r.text
    return r.json()


def _connector(client: httpx.Client, world: World, source: str) -> dict:
    r = client.get(f"/api/v1/connectors/{source}", headers=world.h("operator_a"))
    assert r.status_code == 200, r.text
    return r.json()


def _vendor_products(client: httpx.Client, world: World, prefix: str) -> dict[str, dict]:
    items = client.get("/api/v1/products", params={"updated_after": "2000-01-01T00:00:00Z", "limit": 200},
                       headers=world.h("viewer_a")).json()["items"]
    return {p["external_id"]: p for p in items if p["external_id"].startswith(prefix + "-")}


def test_test_sync_and_incremental_sync_through_the_api(client: httpx.Client, world: World, api: VendorApi,
                                                         category_code: str, conn_worker) -> None:
    source, prefix = f"shop-{uuid.uuid4().hex[:6]}", f"cx{uuid.uuid4().hex[:5]}"
    api.items = _items(prefix, 23, category_code)
    body = {"base_url": f"{api.url}/products", "auth_type": "bearer", "secret": api.token, "rate_limit_rpm": 120,
            "paging": PAGING}
    assert _put(client, world, source, body, "operator_a").status_code == 403
    r = _put(client, world, source, body)
    assert r.status_code == 200, r.text
    assert api.token not in r.text and r.json()["has_secret"] is True

    # The test: one call of the first page, reported in last_test.
    r = client.post(f"/api/v1/connectors/{source}/test", headers=world.h("admin_a", **idem()))
    assert r.status_code == 202 and r.json()["status"] == "queued", r.text
    test = wait_for(lambda: (t := _connector(client, world, source)["last_test"])["status"] == "done" and t, timeout=20, interval=0.2)
    assert (test["ok"], test["items"], test["next_cursor"], test["http_status"]) == (True, 10, "c10", 200), test
    assert {c["header"]: c["field"] for c in test["mapping"]}["sku"] == "external_id"
    assert api.page_requests()[-1][2]["authorization"] == f"Bearer {api.token}"

    # The sync: the first page is answered 429 (Retry-After: 1), then 500, then served.
    api.requests.clear()
    api.script[:] = [(429, {"Retry-After": "1"}, b'{"error": "slow down"}'), (500, {}, b"oops")]
    job = _sync(client, world, source)
    assert job["mode"] == "products" and job["params"]["connector"] == source
    again = client.post(f"/api/v1/connectors/{source}/sync", headers=world.h("operator_a", **idem()))
    assert again.status_code == 409 and job["id"] in again.json()["detail"]
    done = finished_job(client, world, "viewer_a", job["id"])
    assert done["status"] == "completed", done
    assert {k: done["totals"][k] for k in ("rows_read", "inserted", "updated", "rejected")} == \
        {"rows_read": 23, "inserted": 23, "updated": 0, "rejected": 0}
    pages = api.page_requests()
    assert [q.get("cursor", [None])[0] for _, q, _, _ in pages] == [None, None, None, "c10", "c20"], "retried page 1, then paged on"
    assert pages[1][3] - pages[0][3] >= 0.95, "waited the 429's Retry-After"
    assert all(b[3] - a[3] >= 0.45 for a, b in zip(pages, pages[1:])), "120 rpm: at least 0.5 s between calls"
    assert all("updated_since" not in q for _, q, _, _ in pages), "the first sync is a full one"
    live = _vendor_products(client, world, prefix)
    assert len(live) == 23
    assert live[f"{prefix}-3"]["allergens"] == ["milk"] and live[f"{prefix}-3"]["nutrition"]["sodium_mg"] == 15
    cursor = _connector(client, world, source)["cursor"]
    assert cursor["status"] == "ok" and cursor["job_id"] == job["id"] and cursor["watermark"] and cursor["last_error"] is None

    # The next sync asks for what changed since the watermark: one changed item, one new.
    api.items[5] = {**api.items[5], "price": 99.5, "_updated": time.time() + 5}
    api.items.append({**_items(prefix, 1, category_code, start=23)[0], "_updated": time.time() + 5})
    api.requests.clear()
    job2 = _sync(client, world, source, "admin_a")
    assert job2["params"]["since"] == cursor["watermark"]
    done2 = finished_job(client, world, "viewer_a", job2["id"])
    assert {k: done2["totals"][k] for k in ("rows_read", "inserted", "updated")} == {"rows_read": 2, "inserted": 1, "updated": 1}
    assert [q["updated_since"][0] for _, q, _, _ in api.page_requests()] == [cursor["watermark"]]
    assert float(_vendor_products(client, world, prefix)[f"{prefix}-5"]["price"]) == 99.5


def test_a_customers_connector_fills_customers_and_health_profiles(client: httpx.Client, world: World, api: VendorApi,
                                                                   superuser_url: str, conn_worker) -> None:
    source, tag = f"crm-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:6]
    api.items = [
        {"member_id": f"{tag}-1", "name": "Ann Lee", "email": f"ann-{tag}@example.com", "age": 40, "gender": "female",
         "activity_level": "moderate", "conditions": ["HTN"], "avoid_allergens": ["dairy"],
         "body": {"height_cm": 165, "weight_kg": 60}, "macro_targets": {"per_serving_max": {"sodium_mg": 400}}},
        {"member_id": f"{tag}-2", "name": "Bo Chen", "email": f"bo-{tag}@example.com", "age": 52},
        {"member_id": f"{tag}-3", "name": "Cy Doe", "email": "not-an-email", "age": 30},
    ]
    assert _put(client, world, source, {"base_url": f"{api.url}/members", "mode": "customers", "auth_type": "bearer",
                                        "secret": api.token, "rate_limit_rpm": 600, "paging": PAGING}).status_code == 200
    done = finished_job(client, world, "operator_a", _sync(client, world, source)["id"])
    assert done["status"] == "completed" and done["mode"] == "customers", done
    assert {k: done["totals"][k] for k in ("rows_read", "inserted", "rejected")} == {"rows_read": 3, "inserted": 2, "rejected": 1}
    errors = client.get(done["error_url"], headers=world.h("operator_a")).text
    assert "email" in errors and "Cy Doe" in errors, "the bad item is reported per row, with its values"
    with psycopg.connect(superuser_url) as su:
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (world.a,))
        ann = su.execute(
            "SELECT h.height_cm, h.weight_kg, h.conditions, h.avoid_allergens, round(h.bmi::numeric, 1), h.macro_targets "
            "FROM crm.customers c JOIN health.customer_health_profiles h ON h.vendor_id = c.vendor_id AND h.customer_id = c.id "
            "WHERE c.vendor_id = %s AND c.external_id = %s", (world.a, f"{tag}-1")).fetchone()
    assert (float(ann[0]), float(ann[1]), ann[2], ann[3], float(ann[4])) == (165.0, 60.0, ["hypertension"], ["milk"], 22.0)
    assert ann[5]["per_serving_max"] == {"sodium_mg": 400}, "an object that maps to a field arrives whole"


def test_a_refusing_api_fails_the_sync_at_once(client: httpx.Client, world: World, api: VendorApi, conn_worker) -> None:
    source = f"refuse-{uuid.uuid4().hex[:6]}"
    assert _put(client, world, source, {"base_url": f"{api.url}/products", "auth_type": "api_key", "auth_header": "X-Key",
                                        "secret": "wrong", "rate_limit_rpm": 600, "paging": PAGING}).status_code == 200
    api.requests.clear()
    job = _sync(client, world, source)
    done = finished_job(client, world, "operator_a", job["id"])
    assert done["status"] == "failed" and done["totals"]["error"]["code"] == "api_refused", done
    assert "HTTP 401" in done["totals"]["error"]["message"]
    [request] = api.page_requests()
    assert request[2]["x-key"] == "wrong" and "authorization" not in request[2], "the key goes in the connector's header"
    cursor = _connector(client, world, source)["cursor"]
    assert cursor["status"] == "error" and "HTTP 401" in cursor["last_error"]


def test_oauth2_client_credentials_and_a_revoked_token(client: httpx.Client, world: World, api: VendorApi,
                                                        category_code: str, conn_worker) -> None:
    source, prefix = f"oauth-{uuid.uuid4().hex[:6]}", f"ox{uuid.uuid4().hex[:5]}"
    api.auth = "oauth2"
    api.items = _items(prefix, 15, category_code)
    assert _put(client, world, source, {"base_url": f"{api.url}/products", "auth_type": "oauth2",
                                        "token_url": f"{api.url}/oauth/token", "secret": ":".join(api.client),
                                        "rate_limit_rpm": 600, "paging": PAGING}).status_code == 200
    api.script[:] = [(401, {}, b'{"error": "token revoked"}')]    # the first token is refused once: a new one is fetched
    done = finished_job(client, world, "viewer_a", _sync(client, world, source)["id"])
    assert done["status"] == "completed" and done["totals"]["inserted"] == 15, done
    assert len(api.issued) == 2
    assert api.page_requests()[-1][2]["authorization"] == f"Bearer {api.issued[-1]}"


def test_a_worker_killed_mid_sync_is_taken_over_at_its_page(client: httpx.Client, world: World, api: VendorApi,
                                                           category_code: str, superuser_url: str, tmp_path: Path) -> None:
    source, prefix = f"crash-{uuid.uuid4().hex[:6]}", f"kx{uuid.uuid4().hex[:5]}"
    api.items = _items(prefix, 120, category_code)
    api.delay = 0.25
    assert _put(client, world, source, {"base_url": f"{api.url}/products", "auth_type": "bearer", "secret": api.token,
                                        "rate_limit_rpm": 6000, "paging": PAGING}).status_code == 200
    first = _start_worker(tmp_path / "w1.log", "--lease", "2", "--reap-interval", "1")
    second = None
    try:
        job = _sync(client, world, source)

        def pages_committed() -> int:
            with psycopg.connect(superuser_url) as su:
                return int(su.execute("SELECT coalesce((checkpoint #>> '{fetch,pages}')::int, 0) FROM ingest.ingestion_jobs WHERE id = %s",
                                      (job["id"],)).fetchone()[0])
        wait_for(lambda: pages_committed() >= 4, timeout=30, interval=0.05)
        first.kill()                                   # kill -9, mid-fetch
        first.wait(timeout=10)
        at_kill = pages_committed()
        requested_before = len(api.page_requests())
        second = _start_worker(tmp_path / "w2.log", "--lease", "2", "--reap-interval", "1")
        done = finished_job(client, world, "viewer_a", job["id"])
    finally:
        _stop(first)
        if second is not None:
            _stop(second)
    assert done["status"] == "completed" and done["attempt"] == 2, done
    assert {k: done["totals"][k] for k in ("rows_read", "inserted", "rejected")} == {"rows_read": 120, "inserted": 120, "rejected": 0}
    later = [q.get("cursor", [None])[0] for _, q, _, _ in api.page_requests()[requested_before:]]
    assert later[0] == f"c{at_kill * 10}", f"the new worker asked for the page after the last committed one ({at_kill}), not page 1"
    assert len(api.page_requests()) <= 12 + 1, "at most the page in flight at the kill is fetched twice"
    assert len(_vendor_products(client, world, prefix)) == 120


def test_private_addresses_are_refused_without_the_opt_in(client: httpx.Client, world: World, api: VendorApi,
                                                          tmp_path: Path) -> None:
    source = f"ssrf-{uuid.uuid4().hex[:6]}"
    assert _put(client, world, source, {"base_url": f"{api.url}/products", "paging": PAGING}).status_code == 200
    worker = _start_worker(tmp_path / "w.log", "--lease", "10", allow_private=False)
    try:
        api.requests.clear()
        assert client.post(f"/api/v1/connectors/{source}/test", headers=world.h("admin_a", **idem())).status_code == 202
        test = wait_for(lambda: (t := _connector(client, world, source)["last_test"])["status"] == "done" and t, timeout=20, interval=0.2)
    finally:
        _stop(worker)
    assert test["ok"] is False and "non-public address (127.0.0.1)" in test["error"], test
    assert api.page_requests() == [], "no call was made"
