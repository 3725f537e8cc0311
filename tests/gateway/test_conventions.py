"""Problem details everywhere, If-Match, cursor pagination, rate limits, idempotency."""
from __future__ import annotations

import threading
import time
import uuid

import httpx
import psycopg
import pytest

from .conftest import World, idem, mint, product


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == status
    assert "Traceback" not in r.text and "psycopg" not in r.text
    return body


def test_unknown_route_405_415_400_are_problems(client: httpx.Client, world: World) -> None:
    _problem(client.get("/api/v1/nothing-here", headers=world.h("admin_a")), 404)
    _problem(client.put("/api/v1/products", headers=world.h("admin_a")), 405)
    _problem(client.post("/api/v1/products", content=b"external_id=1", headers=world.h(
        "admin_a", **{"Content-Type": "application/x-www-form-urlencoded", **idem()})), 415)
    _problem(client.post("/api/v1/products", content=b"{not json", headers=world.h(
        "admin_a", **{"Content-Type": "application/json", **idem()})), 400)
    _problem(client.get("/api/v1/products?limit=abc", headers=world.h("admin_a")), 400)
    _problem(client.get("/api/v1/products/not-a-uuid", headers=world.h("admin_a")), 404)
    _problem(client.get(f"/api/v1/products/{uuid.uuid4()}", headers=world.h("admin_a")), 404)
    _problem(client.get("/api/v1/products", params={"tags.any": "a\x00b"}, headers=world.h("admin_a")), 400)
    _problem(client.get("/api/v1/products", params={"updated_after": "yesterday"}, headers=world.h("admin_a")), 400)
    _problem(client.get("/api/v1/products", headers=world.h("admin_a", **{"X-Vendor-Id": ""})), 400)


def test_validation_errors_list_fields(client: httpx.Client, world: World) -> None:
    r = client.post("/api/v1/products", json={"items": [{"external_id": "v1", "nam": "typo"}]},
                    headers=world.h("admin_a", **idem()))
    body = _problem(r, 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"items[0].nam", "items[0].name", "items[0].price", "items[0].category_id"} <= fields
    body = _problem(client.get("/api/v1/products?limit=500", headers=world.h("admin_a")), 422)
    assert body["errors"][0]["field"] == "limit"
    # A constraint violation inside the database is a 422 too, without SQL in the answer.
    r = client.post("/api/v1/products", json={"items": [product("neg", world.category, price=-1)]},
                    headers=world.h("admin_a", **idem()))
    _problem(r, 422)


def test_post_without_idempotency_key_is_400(client: httpx.Client, world: World) -> None:
    body = _problem(client.post("/api/v1/products", json={"items": [product("nokey", world.category)]},
                                headers=world.h("admin_a")), 400)
    assert body["errors"][0]["field"] == "Idempotency-Key"


def test_idempotent_replay_and_payload_mismatch(client: httpx.Client, world: World, superuser_url: str) -> None:
    key = {"Idempotency-Key": f"replay-{uuid.uuid4()}"}
    payload = {"items": [product("idem-1", world.category)]}
    first = client.post("/api/v1/products", json=payload, headers=world.h("admin_a", **key))
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    assert first.json()["inserted"] == 1
    again = client.post("/api/v1/products", json=payload, headers=world.h("admin_a", **key))
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()          # the original body, not a new "unchanged: 1"
    other = {"items": [product("idem-1", world.category, price=9.99)]}
    body = _problem(client.post("/api/v1/products", json=other, headers=world.h("admin_a", **key)), 422)
    assert "Idempotency-Key" in body["detail"]
    with psycopg.connect(superuser_url) as su:
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (world.a,))
        price = su.execute("SELECT price FROM catalog.products WHERE vendor_id = %s AND external_id = 'idem-1'",
                           (world.a,)).fetchone()[0]
        stored = su.execute("SELECT status, response_body IS NOT NULL, expires_at - created_at FROM ops.idempotency_keys "
                            "WHERE vendor_id = %s AND key = %s", (world.a, key["Idempotency-Key"])).fetchone()
    assert float(price) == 1.25
    assert stored[0] == 200 and stored[1] and stored[2].total_seconds() == 24 * 3600
    # Keys are per vendor: the same key in vendor B is a new request.
    rb = client.post("/api/v1/products", json=payload, headers=world.h("admin_b", **key))
    assert rb.status_code == 200 and "idempotent-replayed" not in rb.headers


def test_key_in_flight_is_409(client: httpx.Client, world: World, superuser_url: str) -> None:
    key = f"inflight-{uuid.uuid4()}"
    with psycopg.connect(superuser_url) as su:
        # Hold the key's lock the way an unfinished first request does.
        su.execute("SELECT pg_advisory_lock(hashtextextended(%s, 7))", (f"{world.a}/{key}",))
        body = _problem(client.post("/api/v1/products", json={"items": [product("inflight", world.category)]},
                                    headers=world.h("admin_a", **{"Idempotency-Key": key})), 409)
        assert "in progress" in body["detail"]
        su.execute("SELECT pg_advisory_unlock_all()")
    assert client.post("/api/v1/products", json={"items": [product("inflight", world.category)]},
                       headers=world.h("admin_a", **{"Idempotency-Key": key})).status_code == 200


def test_two_concurrent_requests_with_one_key_write_once(server, world: World, superuser_url: str) -> None:
    key = f"race-{uuid.uuid4()}"
    payload = {"items": [product(f"race-{i}", world.category) for i in range(3000)]}
    results: list[httpx.Response] = []
    barrier = threading.Barrier(2)

    def send() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            barrier.wait()
            results.append(c.post("/api/v1/products", json=payload, headers=world.h("admin_a", **{"Idempotency-Key": key})))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses in ([200, 200], [200, 409]), [r.text for r in results]
    fresh = [r for r in results if r.status_code == 200 and "idempotent-replayed" not in r.headers]
    assert len(fresh) == 1 and fresh[0].json()["inserted"] == 3000
    if statuses == [200, 200]:
        replayed = [r for r in results if r.headers.get("idempotent-replayed") == "true"]
        assert len(replayed) == 1 and replayed[0].json() == fresh[0].json()
    with psycopg.connect(superuser_url) as su:
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (world.a,))
        assert su.execute("SELECT count(*), max(version) FROM catalog.products WHERE vendor_id = %s AND external_id LIKE 'race-%%'",
                          (world.a,)).fetchone() == (3000, 1)


def test_if_match_stale_is_412_and_changes_nothing(client: httpx.Client, world: World, seeded) -> None:
    pid = seeded.products[world.a][0]
    r = client.get(f"/api/v1/products/{pid}", headers=world.h("operator_a"))
    assert r.status_code == 200
    etag, version = r.headers["etag"], r.json()["version"]
    assert etag == f'"{version}"'
    ok = client.patch(f"/api/v1/products/{pid}", json={"name": "Renamed once"}, headers=world.h("operator_a", **{"If-Match": etag}))
    assert ok.status_code == 200 and ok.json()["version"] == version + 1 and ok.headers["etag"] == f'"{version + 1}"'
    stale = client.patch(f"/api/v1/products/{pid}", json={"name": "Lost update"}, headers=world.h("operator_a", **{"If-Match": etag}))
    _problem(stale, 412)
    now = client.get(f"/api/v1/products/{pid}", headers=world.h("operator_a")).json()
    assert now["name"] == "Renamed once" and now["version"] == version + 1
    _problem(client.delete(f"/api/v1/products/{pid}", headers=world.h("operator_a", **{"If-Match": etag})), 412)
    _problem(client.patch(f"/api/v1/products/{pid}", json={"external_id": "moved"}, headers=world.h("operator_a")), 422)
    # customers too
    cid = seeded.customers[world.a][0]
    c = client.get(f"/api/v1/customers/{cid}", headers=world.h("operator_a"))
    cetag = c.headers["etag"]
    assert client.patch(f"/api/v1/customers/{cid}", json={"phone": "+1 512 555 0100"},
                        headers=world.h("operator_a", **{"If-Match": cetag})).status_code == 200
    _problem(client.put(f"/api/v1/customers/{cid}", json={"full_name": "X", "email": "x@example.com", "location": {}},
                        headers=world.h("operator_a", **{"If-Match": cetag})), 412)


def test_if_none_match_is_304_until_the_version_moves(client: httpx.Client, world: World, seeded) -> None:
    pid = seeded.products[world.a][1]
    first = client.get(f"/api/v1/products/{pid}", headers=world.h("viewer_a"))
    etag = first.headers["etag"]
    same = client.get(f"/api/v1/products/{pid}", headers=world.h("viewer_a", **{"If-None-Match": etag}))
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
    listed = client.get(f"/api/v1/products/{pid}", headers=world.h("viewer_a", **{"If-None-Match": f'"999999", W/{etag}'}))
    assert listed.status_code == 304, "a list of tags, weakly compared"
    assert client.get(f"/api/v1/products/{pid}", headers=world.h("viewer_a", **{"If-None-Match": "*"})).status_code == 304
    other = client.get(f"/api/v1/products/{pid}", headers=world.h("viewer_a", **{"If-None-Match": '"999999"'}))
    assert other.status_code == 200 and other.json()["id"] == pid
    assert client.patch(f"/api/v1/products/{pid}", json={"name": "Changed for 304"},
                        headers=world.h("operator_a", **{"If-Match": etag})).status_code == 200
    moved = client.get(f"/api/v1/products/{pid}", headers=world.h("viewer_a", **{"If-None-Match": etag}))
    assert moved.status_code == 200 and moved.json()["name"] == "Changed for 304" and moved.headers["etag"] != etag
    # another vendor's product stays a 404 whatever the precondition
    _problem(client.get(f"/api/v1/products/{pid}", headers=world.h("operator_b", **{"If-None-Match": "*"})), 404)


def test_pagination_is_exactly_once(client: httpx.Client, world: World) -> None:
    items = [product(f"page-{i:03d}", world.category, brand=f"Pager{world.tag}") for i in range(37)]
    assert client.post("/api/v1/products", json={"items": items}, headers=world.h("admin_b", **idem())).status_code == 200
    for params in ({"brand": f"Pager{world.tag}"}, {"brand": f"Pager{world.tag}", "q": "test product", "sort": "relevance"}):
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            r = client.get("/api/v1/products", params={**params, "limit": 5, **({"cursor": cursor} if cursor else {})},
                           headers=world.h("admin_b"))
            assert r.status_code == 200, r.text
            body = r.json()
            assert len(body["items"]) <= 5
            seen += [p["external_id"] for p in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 37 and pages == 8
        assert set(seen) == {p["external_id"] for p in items}
    _problem(client.get("/api/v1/products?cursor=garbage!", headers=world.h("admin_b")), 400)


def test_list_filters(client: httpx.Client, world: World, seeded) -> None:
    vegan = client.get("/api/v1/products", params={"tags.any": "vegan", "limit": 200}, headers=world.h("viewer_a")).json()["items"]
    assert vegan and all("vegan" in p["dietary_tags"] for p in vegan)
    safe = client.get("/api/v1/products", params={"allergens.none": "peanuts", "limit": 200}, headers=world.h("viewer_a")).json()["items"]
    assert safe and all("peanuts" not in p["allergens"] for p in safe)
    future = client.get("/api/v1/products", params={"updated_after": "2999-01-01T00:00:00Z"}, headers=world.h("viewer_a")).json()
    assert future["items"] == [] and future["next_cursor"] is None


def test_product_list_is_served_by_the_search_path(client: httpx.Client, world: World) -> None:
    # Label words are normalized as search does them ("dairy" excludes whey and milk), q ranks name
    # matches first, and inactive products stay listed (search alone shows active ones by default).
    brand = f"Lister{world.tag}"
    items = [product("ls-whey", world.category, brand=brand, name="Quinoa whey shake", allergens=["whey"]),
             product("ls-milk", world.category, brand=brand, name="Plain bar", allergens=["milk"],
                     description="quinoa inside"),
             product("ls-none", world.category, brand=brand, name="Quinoa crisp", status="inactive")]
    assert client.post("/api/v1/products", json={"items": items}, headers=world.h("admin_b", **idem())).status_code == 200
    listed = client.get("/api/v1/products", params={"brand": brand, "allergens.none": "dairy"}, headers=world.h("admin_b"))
    assert [p["external_id"] for p in listed.json()["items"]] == ["ls-none"]
    ranked = client.get("/api/v1/products", params={"brand": brand, "q": "quinoa", "sort": "relevance"},
                        headers=world.h("admin_b")).json()["items"]
    assert [p["external_id"] for p in ranked][-1] == "ls-milk" and len(ranked) == 3
    assert {"nutrition", "version", "description"} <= ranked[0].keys(), "items are full products"


def test_rate_limit_429_with_headers(client: httpx.Client, world: World, superuser_url: str) -> None:
    vendor = str(uuid.uuid4())
    user = f"limited-{world.tag}"
    with psycopg.connect(superuser_url, autocommit=True) as su:
        su.execute("INSERT INTO core.vendors (id, name, settings_json) VALUES (%s, %s, '{\"rate_limits\": {\"user_rpm\": 5}}')",
                   (vendor, f"Limited {world.tag}"))
        su.execute("INSERT INTO core.users (id, email) VALUES (%s, %s)", (user, f"{user}@test.example"))
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        su.execute("INSERT INTO core.user_links (user_id, vendor_id, role) VALUES (%s, %s, 'vendor_viewer')", (user, vendor))
    headers = {"Authorization": f"Bearer {mint(user)}"}
    responses = [client.get("/api/v1/products", headers=headers) for _ in range(12)]
    ok = [r for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    assert ok and limited and len(ok) + len(limited) == 12
    assert ok[0].headers["ratelimit-limit"] == "5"
    first = limited[0]
    _problem(first, 429)
    assert 1 <= int(first.headers["retry-after"]) <= 60
    assert first.headers["ratelimit-remaining"] == "0" and first.headers["ratelimit-limit"] == "5"


def test_default_limits_are_the_prd_ones(superuser_url: str, world: World) -> None:
    """60/min per user, 600/min per vendor, 6/min per vendor on ingest when the vendor sets nothing."""
    vendor = str(uuid.uuid4())
    user = f"defaults-{world.tag}"
    with psycopg.connect(superuser_url, autocommit=True) as su:
        su.execute("INSERT INTO core.vendors (id, name) VALUES (%s, %s)", (vendor, f"Defaults {world.tag}"))
        su.execute("INSERT INTO core.users (id, email) VALUES (%s, %s)", (user, f"{user}@test.example"))
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        su.execute("INSERT INTO core.user_links (user_id, vendor_id, role) VALUES (%s, %s, 'vendor_admin')", (user, vendor))
        with su.transaction():  # one transaction: one now(), one window
            first = su.execute("SELECT api.rate_limit_take(%s, NULL, false)", (user,)).fetchone()[0]
            ingest = [su.execute("SELECT api.rate_limit_take(%s, NULL, true)", (user,)).fetchone()[0] for _ in range(7)]
        assert first["scope"] == "user" and first["limit"] == 60 and first["remaining"] == 59
        assert ingest[0]["scope"] == "ingest" and ingest[0]["limit"] == 6
        assert ingest[5]["allowed"] and not ingest[6]["allowed"]
        # The vendor window is shared by every user of the vendor (and every gateway process).
        with su.transaction():
            su.execute("INSERT INTO ops.rate_limit_counters (bucket, window_start, hits) "
                       "VALUES (%s, date_trunc('minute', now()), 600) "
                       "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = 600", (f"v:{vendor}",))
            vend = su.execute("SELECT api.rate_limit_take(%s, NULL, false)", (user,)).fetchone()[0]
        assert vend["scope"] == "vendor" and vend["limit"] == 600 and not vend["allowed"]


def test_a_failed_statement_in_the_pipeline_leaves_connections_usable(client: httpx.Client, world: World) -> None:
    """The gateway sends resolve and call in one pipeline. When resolve fails (a user of two vendors
    without X-Vendor-Id), PostgreSQL skips the call -- including the Parse of a statement the driver
    would be preparing at that moment; counted as prepared anyway, its next use failed with 500
    (prepared statement does not exist). Alternate failing and good requests past the driver's
    prepare threshold: every one gets its own answer."""
    for _ in range(15):
        bad = client.get("/api/v1/search/products", params={"q": "granola"}, headers=world.h("both"))
        assert bad.status_code == 403, bad.text
        good = client.get("/api/v1/search/products", params={"q": "granola"}, headers=world.h("viewer_a"))
        assert good.status_code == 200, good.text
