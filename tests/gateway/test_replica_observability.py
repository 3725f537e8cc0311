"""Read replica routing (freshness, lag, read-your-writes, fallback), the performance view, logs,
Prometheus metrics and the OpenAPI document."""
from __future__ import annotations

import json
import time
import uuid

import httpx
import psycopg
import pytest

from gateway.routes import ENDPOINTS

from .conftest import REPO, Server, World, idem, mint, product


def test_search_is_served_by_the_caught_up_replica(client: httpx.Client, world: World, seeded, replica_url: str) -> None:
    # An idle replica that has replayed everything it received is fresh, whatever the age of the
    # last transaction. Asked while the replica stood still (caught up, same replay position before
    # and after the request), the answer must say fresh with lag 0.
    state = "SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), pg_last_wal_replay_lsn()::text"
    deadline = time.monotonic() + 15
    with psycopg.connect(replica_url, autocommit=True) as rep:
        while True:
            before = rep.execute(state).fetchone()
            r = client.get("/api/v1/search/products", params={"q": "test"}, headers=world.h("viewer_a"))
            after = rep.execute(state).fetchone()
            still = before[0] and after[0] and before[1] == after[1]
            if (r.json().get("items") and still) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    body = r.json()
    assert r.status_code == 200 and body["served_by"] == "replica" == r.headers["x-odyssey-served-by"]
    assert body["items"]
    assert still, "the replica never stood still for one request in 15 s"
    assert body["freshness"] == "fresh" and body["replica_lag_seconds"] == 0


def test_a_write_without_idempotency_key_carries_its_wal_token(client: httpx.Client, world: World) -> None:
    # A PATCH without Idempotency-Key is pipelined (resolve, call, Sync, WAL position in one round
    # trip): its token is read after the commit, so a read presenting it sees the new name.
    name = f"Okra{uuid.uuid4().hex[:8]}"
    w = client.post("/api/v1/products", json={"items": [product(f"ryw2-{name}", world.category, name=name)]},
                    headers=world.h("admin_a", **idem()))
    found = client.get("/api/v1/search/products", params={"q": name},
                       headers=world.h("viewer_a", **{"X-Odyssey-Wal-Lsn": w.headers["x-odyssey-wal-lsn"]}))
    pid = found.json()["items"][0]["id"]
    renamed = f"Kohlrabi{uuid.uuid4().hex[:8]}"
    p = client.patch(f"/api/v1/products/{pid}", json={"name": renamed}, headers=world.h("operator_a"))
    assert p.status_code == 200, p.text
    token = p.headers["x-odyssey-wal-lsn"]
    assert token != w.headers["x-odyssey-wal-lsn"], "the token is the PATCH's own position, after the POST's"
    r = client.get("/api/v1/search/products", params={"q": renamed},
                   headers=world.h("viewer_a", **{"X-Odyssey-Wal-Lsn": token}))
    assert [i["name"] for i in r.json()["items"]] == [renamed], r.text  # never a stale answer


def test_read_your_writes_with_the_wal_token(client: httpx.Client, world: World, replica_url: str) -> None:
    name = f"Zucchini{uuid.uuid4().hex[:8]}"
    w = client.post("/api/v1/products", json={"items": [product(f"ryw-{name}", world.category, name=name)]},
                    headers=world.h("admin_a", **idem()))
    assert w.status_code == 200
    token = w.headers["x-odyssey-wal-lsn"]
    r = client.get("/api/v1/search/products", params={"q": name}, headers=world.h("viewer_a", **{"X-Odyssey-Wal-Lsn": token}))
    assert r.status_code == 200
    assert [i["name"] for i in r.json()["items"]] == [name], r.text  # never a stale answer
    assert r.json()["served_by"] in ("replica", "primary")
    # A position the replica cannot have replayed: the primary answers, and says so.
    far = client.get("/api/v1/search/products", params={"q": name},
                     headers=world.h("viewer_a", **{"X-Odyssey-Wal-Lsn": "FFFFFFFF/FFFFFFFF"}))
    assert far.status_code == 200 and far.json()["served_by"] == "primary" and far.json()["freshness"] == "live"
    assert far.headers["x-odyssey-served-by"] == "primary"
    assert client.get("/api/v1/search/products", headers=world.h("viewer_a", **{"X-Odyssey-Wal-Lsn": "yesterday"})).status_code == 400


@pytest.fixture(scope="module")
def no_replica_server() -> Server:
    from tests.gateway.conftest import BASE_PORT
    srv = Server(BASE_PORT + 1, env={"ODYSSEY_REPLICA_URL": "postgresql://odyssey_gateway:x@127.0.0.1:9/odyssey?connect_timeout=1",
                                     "ODYSSEY_REPLICA_TIMEOUT": "0.5"}, log_name="gateway-noreplica")
    yield srv
    srv.stop()


def test_replica_down_falls_back_to_the_primary(no_replica_server: Server, world: World, seeded) -> None:
    with httpx.Client(base_url=no_replica_server.url, timeout=30) as c:
        for _ in range(2):
            r = c.get("/api/v1/search/products", params={"q": "test"}, headers=world.h("viewer_a"))
            assert r.status_code == 200, r.text
            assert r.json()["served_by"] == "primary" and r.json()["items"]
        health = c.get("/health").json()
        assert health["checks"]["primary"] == "up" and health["checks"]["replica"].startswith("down")


def test_performance_view_uses_real_percentiles(client: httpx.Client, world: World, superuser_url: str) -> None:
    vendor, user = str(uuid.uuid4()), f"perf-{world.tag}"
    with psycopg.connect(superuser_url, autocommit=True) as su:
        su.execute("INSERT INTO core.vendors (id, name) VALUES (%s, %s)", (vendor, f"Perf {world.tag}"))
        su.execute("INSERT INTO core.users (id, email) VALUES (%s, %s)", (user, f"{user}@test.example"))
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        su.execute("INSERT INTO core.user_links (user_id, vendor_id, role) VALUES (%s, %s, 'vendor_viewer')", (user, vendor))
        # 100 search samples of 1..100 ms and one outlier: a mean would say ~11 ms, p95 is 95.05.
        su.execute("INSERT INTO ops.request_metrics (vendor_id, route, method, status, latency_ms) "
                   "SELECT %s, '/api/v1/search/products', 'GET', 200, g FROM generate_series(1, 100) g", (vendor,))
        su.execute("INSERT INTO ops.request_metrics (vendor_id, route, method, status, latency_ms, at) "
                   "VALUES (%s, '/api/v1/search/products', 'GET', 200, 99999, now() - interval '2 hours'), "
                   "(%s, '/api/v1/matches/{customer_id}', 'GET', 500, 5, now()), "
                   "(%s, '/api/v1/products', 'GET', 404, 3, now())", (vendor, vendor, vendor))
        su.execute("INSERT INTO ingest.ingestion_jobs (vendor_id, mode, status) VALUES (%s, 'products', 'queued'), "
                   "(%s, 'products', 'completed'), (%s, 'customers', 'completed')", (vendor, vendor, vendor))
        # Written straight to the primary: present the commit position, as a client of the API would
        # with a write's X-Odyssey-Wal-Lsn, so a replica that has not replayed it yet is not used.
        lsn = su.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
    r = client.get("/api/v1/metrics/performance",
                   headers={"Authorization": f"Bearer {mint(user)}", "X-Odyssey-Wal-Lsn": lsn})
    assert r.status_code == 200, r.text
    body = r.json()
    search = body["latency"]["search"]
    assert search["requests"] == 100 and float(search["p95_ms"]) == 95.05 and float(search["p50_ms"]) == 50.5
    assert search["slo_p95_ms"] == 300 and search["within_slo"] is True
    assert body["latency"]["matches"]["requests"] == 0          # the failed one is not a latency sample
    assert body["requests"]["server_errors"] == 1 and body["requests"]["client_errors"] >= 1
    assert body["jobs_24h"]["completed"] == 2 and body["jobs_24h"]["queued"] == 1 and body["queue_depth"] == 1
    assert "served_by" in body and "replica_lag_seconds" in body


def test_gateway_ships_its_own_latency_samples(client: httpx.Client, world: World, superuser_url: str) -> None:
    r = client.get("/api/v1/jobs", headers=world.h("viewer_a"))
    req_start = time.monotonic()
    with psycopg.connect(superuser_url, autocommit=True) as su:
        while True:
            n = su.execute("SELECT count(*) FROM ops.request_metrics WHERE vendor_id = %s AND route = '/api/v1/jobs'",
                           (world.a,)).fetchone()[0]
            if n or time.monotonic() - req_start > 5:
                break
            time.sleep(0.2)
    assert r.status_code == 200 and n >= 1


def test_one_json_log_line_per_request(client: httpx.Client, server: Server, world: World, seeded) -> None:
    r = client.post("/api/v1/customers", json={"items": [{"external_id": "log-1", "full_name": "Log", "email": "l@example.com",
                                                          "age": 3, "location": {}}]}, headers=world.h("operator_a", **idem()))
    rid = r.headers["x-request-id"]
    time.sleep(0.2)
    lines = [json.loads(line) for line in server.log_lines() if line.startswith("{") and rid in line]
    assert len(lines) == 1
    line = lines[0]
    assert {"req_id", "user_id", "vendor_id", "role", "route", "status", "latency_ms", "rows_read", "rows_written"} <= line.keys()
    assert line["user_id"] == world.users["operator_a"] and line["vendor_id"] == world.a and line["role"] == "vendor_operator"
    assert line["route"] == "/api/v1/customers" and line["status"] == 200 and line["rows_written"] == 1
    custom = client.get("/api/v1/customers?limit=2", headers=world.h("operator_a", **{"X-Request-Id": f"mine-{world.tag}"}))
    assert custom.headers["x-request-id"] == f"mine-{world.tag}"
    time.sleep(0.2)
    line = next(json.loads(x) for x in server.log_lines() if f"mine-{world.tag}" in x)
    assert line["rows_read"] == 2 and line["rows_written"] == 0


def test_prometheus_metrics(client: httpx.Client, world: World, seeded) -> None:
    client.get("/api/v1/search/products?q=test", headers=world.h("viewer_a"))
    text = client.get("/metrics").text
    for name in ("odyssey_http_requests_total", "odyssey_http_request_duration_seconds_bucket", "odyssey_http_errors_total",
                 "odyssey_db_pool_connections", "odyssey_replica_lag_seconds"):
        assert name in text
    assert 'route="/api/v1/search/products"' in text


def test_health(client: httpx.Client) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["checks"]["primary"] == "up" and body["checks"]["replica"] == "up"
    assert client.get("/health?probe=live").json() == {"status": "ok"}


def test_openapi_document_covers_every_route(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    schemas = spec["components"]["schemas"]
    for ep in ENDPOINTS:
        op = spec["paths"][ep.path][ep.method.lower()]
        content = op["responses"][str(ep.status)]["content"]
        if ep.response_schema == "ErrorsCsv":   # errors.csv: a CSV document, not JSON
            assert content == {"text/csv": {"schema": {"type": "string"}}}
        else:
            ok = content["application/json"]["schema"]["$ref"].split("/")[-1]
            assert ok in schemas
        for code in ("400", "401", "403", "404", "429", "500"):
            assert op["responses"][code]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
        if ep.request_schema:
            assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(ep.request_schema)
        path_params = {p["name"] for p in op["parameters"] if p["in"] == "path"}
        assert path_params == {a.key for a in ep.args if a.source == "path"}
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"].split("/")[-1])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(spec)
    assert refs <= schemas.keys()
    # OpenAPI 3.1 schemas are JSON Schema 2020-12: each must compile (references resolved in the document).
    import jsonschema_rs
    for name in schemas:
        jsonschema_rs.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})
