"""Every role against every endpoint, and every endpoint attacked with another vendor's ids."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import psycopg
import pytest

from .conftest import World, customer, idem, product

HEALTH = {"height_cm": 175, "weight_kg": 70, "age": 30, "gender": "male", "activity_level": "moderate",
          "conditions": ["hypertension"], "avoid_allergens": ["peanuts"]}
VENDOR_ROLES = ("admin_a", "operator_a", "viewer_a")
ADMIN_OPERATOR = {"admin_a", "operator_a"}


@dataclass
class Case:
    name: str
    method: str
    path: Callable[[World, object], str]
    allowed: set[str]
    body: Callable[[World], object] | None = None

    def send(self, client: httpx.Client, world: World, seeded, who: str) -> httpx.Response:
        headers = world.h(who, **idem()) if self.method != "GET" else world.h(who)
        body = self.body(world) if self.body else None
        return client.request(self.method, self.path(world, seeded), json=body, headers=headers)


def _fresh_product(world: World, client: httpx.Client) -> str:
    ext = f"rbac-{uuid.uuid4().hex[:10]}"
    assert client.post("/api/v1/products", json={"items": [product(ext, world.category)]},
                       headers=world.h("admin_a", **idem())).status_code == 200
    return next(p["id"] for p in client.get("/api/v1/products", params={"updated_after": "2000-01-01T00:00:00Z", "limit": 200},
                                            headers=world.h("admin_a")).json()["items"] if p["external_id"] == ext)


CASES = [
    Case("list products", "GET", lambda w, s: "/api/v1/products", set(VENDOR_ROLES)),
    Case("get product", "GET", lambda w, s: f"/api/v1/products/{s.products[w.a][1]}", set(VENDOR_ROLES)),
    Case("upsert products", "POST", lambda w, s: "/api/v1/products", ADMIN_OPERATOR,
         lambda w: {"items": [product("rbac-upsert", w.category)]}),
    Case("patch product", "PATCH", lambda w, s: f"/api/v1/products/{s.products[w.a][2]}", ADMIN_OPERATOR,
         lambda w: {"price": 2.5}),
    Case("list customers", "GET", lambda w, s: "/api/v1/customers", set(VENDOR_ROLES)),
    Case("get customer", "GET", lambda w, s: f"/api/v1/customers/{s.customers[w.a][0]}", set(VENDOR_ROLES)),
    Case("upsert customers", "POST", lambda w, s: "/api/v1/customers", ADMIN_OPERATOR,
         lambda w: {"items": [customer("rbac-c")]}),
    Case("patch customer", "PATCH", lambda w, s: f"/api/v1/customers/{s.customers[w.a][1]}", ADMIN_OPERATOR,
         lambda w: {"phone": "+1 512 555 0199"}),
    Case("put customer", "PUT", lambda w, s: f"/api/v1/customers/{s.customers[w.a][1]}", ADMIN_OPERATOR,
         lambda w: {"full_name": "Put Name", "email": "put@example.com", "location": {"city": "Austin"}, "age": 41}),
    Case("put health", "PUT", lambda w, s: f"/api/v1/customers/{s.customers[w.a][0]}/health", ADMIN_OPERATOR,
         lambda w: HEALTH),
    Case("get health", "GET", lambda w, s: f"/api/v1/customers/{s.customers[w.a][0]}/health", ADMIN_OPERATOR),
    Case("matches", "GET", lambda w, s: f"/api/v1/matches/{s.customers[w.a][0]}", ADMIN_OPERATOR),
    Case("search products", "GET", lambda w, s: "/api/v1/search/products?q=test", set(VENDOR_ROLES)),
    Case("search customers", "GET", lambda w, s: "/api/v1/search/customers?q=customer", ADMIN_OPERATOR),
    Case("list jobs", "GET", lambda w, s: "/api/v1/jobs", set(VENDOR_ROLES)),
    Case("get job", "GET", lambda w, s: f"/api/v1/jobs/{s.jobs[w.a]}", set(VENDOR_ROLES)),
    Case("performance", "GET", lambda w, s: "/api/v1/metrics/performance", set(VENDOR_ROLES)),
    Case("list taxonomy", "GET", lambda w, s: "/api/v1/taxonomy/categories", set(VENDOR_ROLES)),
    Case("create taxonomy", "POST", lambda w, s: "/api/v1/taxonomy/tags", set(),
         lambda w: {"code": f"rbac-{w.tag}", "label": "nope"}),
    Case("list synonyms", "GET", lambda w, s: "/api/v1/synonyms", set(VENDOR_ROLES)),
    Case("create synonym", "POST", lambda w, s: "/api/v1/synonyms", set(),
         lambda w: {"domain": "allergen", "canonical": f"rbac{w.tag}", "synonyms": ["x"]}),
    Case("list vendors", "GET", lambda w, s: "/api/v1/admin/vendors", set()),
    Case("create vendor", "POST", lambda w, s: "/api/v1/admin/vendors", set(), lambda w: {"name": f"Nope {w.tag}"}),
    Case("update vendor", "PATCH", lambda w, s: f"/api/v1/admin/vendors/{w.a}", set(), lambda w: {"name": f"Renamed {w.tag}"}),
    Case("get own vendor", "GET", lambda w, s: f"/api/v1/admin/vendors/{w.a}", set(VENDOR_ROLES)),
    Case("list members", "GET", lambda w, s: "/api/v1/members", {"admin_a"}),
    Case("change a role", "PUT", lambda w, s: f"/api/v1/members/{w.users['viewer_a']}", {"admin_a"},
         lambda w: {"role": "vendor_viewer"}),
    Case("list webhooks", "GET", lambda w, s: "/api/v1/webhooks", {"admin_a"}),
    Case("create webhook", "POST", lambda w, s: "/api/v1/webhooks", {"admin_a"},
         lambda w: {"url": "https://hooks.example.com/rbac", "event_types": ["job.completed"]}),
    Case("get webhook", "GET", lambda w, s: f"/api/v1/webhooks/{s.webhooks[w.a]}", {"admin_a"}),
    Case("update webhook", "PATCH", lambda w, s: f"/api/v1/webhooks/{s.webhooks[w.a]}", {"admin_a"},
         lambda w: {"description": "rbac"}),
    Case("rotate webhook secret", "POST", lambda w, s: f"/api/v1/webhooks/{s.webhooks[w.a]}/rotate-secret", {"admin_a"}),
    Case("webhook deliveries", "GET", lambda w, s: f"/api/v1/webhooks/{s.webhooks[w.a]}/deliveries", {"admin_a"}),
    Case("get mapping", "GET", lambda w, s: "/api/v1/mappings/customers", set(VENDOR_ROLES)),
    Case("put mapping", "PUT", lambda w, s: "/api/v1/mappings/customers", {"admin_a"},
         lambda w: {"map": {"Member No": {"field": "external_id"}}}),
    Case("preview mapping", "GET", lambda w, s: "/api/v1/mappings/customers/preview?header_line=Member%20No,Name,E-mail",
         set(VENDOR_ROLES)),
    Case("list connectors", "GET", lambda w, s: "/api/v1/connectors", ADMIN_OPERATOR),
    Case("put connector", "PUT", lambda w, s: "/api/v1/connectors/rbac-put", {"admin_a"},
         lambda w: {"base_url": "https://api.example.com/rbac", "auth_type": "api_key", "secret": "k"}),
    Case("get connector", "GET", lambda w, s: f"/api/v1/connectors/{s.connectors[w.a]}", ADMIN_OPERATOR),
    Case("test connector", "POST", lambda w, s: f"/api/v1/connectors/{s.connectors[w.a]}/test", {"admin_a"}),
    Case("sync connector", "POST", lambda w, s: f"/api/v1/connectors/{s.connectors[w.a]}/sync", ADMIN_OPERATOR),
    Case("delete connector", "DELETE", lambda w, s: f"/api/v1/connectors/{s.connectors[w.a]}-del", {"admin_a"}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_role_matrix(case: Case, client: httpx.Client, world: World, seeded) -> None:
    if case.name in ("get health", "matches"):   # a profile to read
        r = client.put(f"/api/v1/customers/{seeded.customers[world.a][0]}/health", json=HEALTH,
                       headers=world.h("admin_a", **idem()))
        assert r.status_code == 200, r.text
    for who in VENDOR_ROLES:
        r = case.send(client, world, seeded, who)
        if who in case.allowed:
            assert r.status_code < 300, f"{who}: {r.status_code} {r.text}"
            if case.name == "sync connector":  # one sync of a connector at a time: end this one for the next role
                assert client.post(f"/api/v1/jobs/{r.json()['id']}/cancel", headers=world.h("admin_a", **idem())).status_code == 200
        else:
            assert r.status_code == 403, f"{who} should be refused: {r.status_code} {r.text}"
            assert r.headers["content-type"].startswith("application/problem+json")


def test_delete_rights(client: httpx.Client, world: World) -> None:
    pid = _fresh_product(world, client)
    assert client.delete(f"/api/v1/products/{pid}", headers=world.h("viewer_a")).status_code == 403
    assert client.delete(f"/api/v1/products/{pid}", headers=world.h("operator_a")).status_code == 200
    assert client.get(f"/api/v1/products/{pid}", headers=world.h("viewer_a")).status_code == 404


def test_operator_cannot_change_roles_admin_can_and_it_is_audited(client: httpx.Client, world: World, superuser_url: str) -> None:
    target = world.users["viewer_a"]
    r = client.put(f"/api/v1/members/{target}", json={"role": "vendor_admin"}, headers=world.h("operator_a"))
    assert r.status_code == 403
    r = client.delete(f"/api/v1/members/{target}", headers=world.h("operator_a"))
    assert r.status_code == 403
    r = client.put(f"/api/v1/members/{target}", json={"role": "vendor_operator"}, headers=world.h("admin_a"))
    assert r.status_code == 200 and r.json()["role"] == "vendor_operator"
    r = client.put(f"/api/v1/members/{target}", json={"role": "vendor_viewer"}, headers=world.h("admin_a"))
    assert r.status_code == 200 and r.json()["role"] == "vendor_viewer"
    assert client.put(f"/api/v1/members/{target}", json={"role": "superadmin"}, headers=world.h("admin_a")).status_code == 422
    # nobody locks themselves out: an admin cannot change or remove their own membership
    me = world.users["admin_a"]
    assert client.put(f"/api/v1/members/{me}", json={"role": "vendor_viewer"}, headers=world.h("admin_a")).status_code == 403
    assert client.delete(f"/api/v1/members/{me}", headers=world.h("admin_a")).status_code == 403
    with psycopg.connect(superuser_url) as su:
        roles = su.execute("SELECT after->>'role' FROM audit.audit_log WHERE entity = 'core.user_links' AND action = 'update' "
                           "AND after->>'user_id' = %s AND actor_user_id = %s ORDER BY id", (target, world.users["admin_a"])).fetchall()
    assert [r[0] for r in roles][-2:] == ["vendor_operator", "vendor_viewer"]


def test_superadmin_admin_endpoints(client: httpx.Client, world: World) -> None:
    r = client.post("/api/v1/admin/vendors", json={"name": f"Made by API {world.tag}"}, headers=world.h("root", **idem()))
    assert r.status_code == 201, r.text
    vendor = r.json()["id"]
    new_user = f"member-{world.tag}"
    r = client.put(f"/api/v1/admin/vendors/{vendor}/members/{new_user}", json={"role": "vendor_admin", "email": f"{new_user}@test.example"},
                   headers=world.h("root"))
    assert r.status_code == 200, r.text
    # the new member works inside the new vendor right away (its partitions exist)
    h = {"Authorization": f"Bearer {__import__('tests.gateway.conftest', fromlist=['mint']).mint(new_user)}"}
    assert client.get("/api/v1/products", headers=h).json()["items"] == []
    r = client.post("/api/v1/products", json={"items": [product("first", world.category)]}, headers={**h, **idem()})
    assert r.status_code == 200, r.text
    listed = client.get(f"/api/v1/admin/vendors/{vendor}/members", headers=world.h("root")).json()["items"]
    assert [m["user_id"] for m in listed] == [new_user]
    r = client.patch(f"/api/v1/admin/vendors/{vendor}", json={"status": "suspended"}, headers=world.h("root"))
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    assert client.get("/api/v1/products", headers=h).status_code == 403     # suspended vendor
    assert client.delete(f"/api/v1/admin/vendors/{vendor}/members/{new_user}", headers=world.h("root")).status_code == 200
    # taxonomy and synonyms
    r = client.post("/api/v1/taxonomy/tags", json={"code": f"t-{world.tag}", "label": "Tag"}, headers=world.h("root", **idem()))
    assert r.status_code == 201, r.text
    tag_id = r.json()["id"]
    assert client.patch(f"/api/v1/taxonomy/tags/{tag_id}", json={"active": False}, headers=world.h("root")).json()["active"] is False
    assert client.get(f"/api/v1/taxonomy/tags/{tag_id}", headers=world.h("viewer_a")).json()["code"] == f"t-{world.tag}"
    assert client.delete(f"/api/v1/taxonomy/tags/{tag_id}", headers=world.h("root")).status_code == 200
    assert client.get(f"/api/v1/taxonomy/tags/{tag_id}", headers=world.h("viewer_a")).status_code == 404
    assert client.delete(f"/api/v1/taxonomy/categories/{world.category}", headers=world.h("root")).status_code == 409  # in use
    assert client.get("/api/v1/taxonomy/nonsense", headers=world.h("viewer_a")).status_code == 404
    r = client.post("/api/v1/synonyms", json={"domain": "allergen", "canonical": f"syn{world.tag}", "synonyms": ["Foo", "bar"]},
                    headers=world.h("root", **idem()))
    assert r.status_code == 201 and sorted(r.json()["synonyms"]) == ["bar", "foo"]
    sid = r.json()["id"]
    assert client.patch(f"/api/v1/synonyms/{sid}", json={"synonyms": ["baz"]}, headers=world.h("root")).json()["synonyms"] == ["baz"]
    assert client.delete(f"/api/v1/synonyms/{sid}", headers=world.h("root")).status_code == 200


# ---- cross-vendor attacks: vendor A's users with vendor B's ids ---------------------------------------
ATTACKS = [
    ("GET", "/api/v1/products/{pid}", None),
    ("PATCH", "/api/v1/products/{pid}", {"name": "pwned"}),
    ("DELETE", "/api/v1/products/{pid}", None),
    ("GET", "/api/v1/customers/{cid}", None),
    ("PATCH", "/api/v1/customers/{cid}", {"full_name": "pwned"}),
    ("PUT", "/api/v1/customers/{cid}", {"full_name": "pwned", "email": "p@example.com", "location": {}, "age": 1}),
    ("DELETE", "/api/v1/customers/{cid}", None),
    ("GET", "/api/v1/customers/{cid}/health", None),
    ("PUT", "/api/v1/customers/{cid}/health", HEALTH),
    ("GET", "/api/v1/matches/{cid}", None),
    ("GET", "/api/v1/jobs/{job}", None),
    ("GET", "/api/v1/admin/vendors/{vendor}", None),
    ("GET", "/api/v1/admin/vendors/{vendor}/members", None),
    ("PUT", "/api/v1/admin/vendors/{vendor}/members/{member}", {"role": "vendor_admin"}),
    ("DELETE", "/api/v1/admin/vendors/{vendor}/members/{member}", None),
    ("DELETE", "/api/v1/members/{member}", None),
    ("GET", "/api/v1/webhooks/{hook}", None),
    ("PATCH", "/api/v1/webhooks/{hook}", {"url": "https://attacker.example.com/"}),
    ("POST", "/api/v1/webhooks/{hook}/rotate-secret", None),
    ("GET", "/api/v1/webhooks/{hook}/deliveries", None),
    ("DELETE", "/api/v1/webhooks/{hook}", None),
    ("GET", "/api/v1/connectors/{source}", None),
    ("POST", "/api/v1/connectors/{source}/test", None),
    ("POST", "/api/v1/connectors/{source}/sync", None),
    ("DELETE", "/api/v1/connectors/{source}", None),
]


@pytest.mark.parametrize("method,template,body", ATTACKS, ids=[f"{m} {t}" for m, t, _ in ATTACKS])
def test_other_vendors_ids_are_404(method: str, template: str, body, client: httpx.Client, world: World, seeded,
                                   superuser_url: str) -> None:
    path = template.format(pid=seeded.products[world.b][0], cid=seeded.customers[world.b][0], job=seeded.jobs[world.b],
                           vendor=world.b, member=world.users["admin_b"], hook=seeded.webhooks[world.b],
                           source=seeded.connectors[world.b])
    before = _snapshot(superuser_url, world.b)
    for who in ("admin_a", "operator_a"):
        r = client.request(method, path, json=body, headers=world.h(who, **idem()))
        # The admin may use every endpoint: another vendor's id is simply not found. The operator may
        # also be refused by role first (memberships); either way nothing of B comes back.
        expected = {404} if who == "admin_a" else {403, 404}
        assert r.status_code in expected, f"{who} {method} {path}: {r.status_code} {r.text}"
        assert r.headers["content-type"].startswith("application/problem+json")
        text = r.text
        for secret in (world.b, seeded.products[world.b][0], seeded.customers[world.b][0], "admin_b"):
            if secret not in path:
                assert secret not in text
    assert _snapshot(superuser_url, world.b) == before


def _snapshot(superuser_url: str, vendor: str) -> tuple:
    with psycopg.connect(superuser_url) as su:
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        return (su.execute("SELECT array_agg((id, version, soft_deleted_at IS NULL) ORDER BY id) FROM catalog.products WHERE vendor_id = %s",
                           (vendor,)).fetchone(),
                su.execute("SELECT array_agg((id, version, soft_deleted_at IS NULL) ORDER BY id) FROM crm.customers WHERE vendor_id = %s",
                           (vendor,)).fetchone(),
                su.execute("SELECT array_agg((user_id, role) ORDER BY user_id) FROM core.user_links WHERE vendor_id = %s",
                           (vendor,)).fetchone(),
                su.execute("SELECT count(*) FROM health.customer_health_profiles WHERE vendor_id = %s", (vendor,)).fetchone(),
                su.execute("SELECT array_agg((id, url, updated_at) ORDER BY id) FROM hooks.webhook_endpoints WHERE vendor_id = %s",
                           (vendor,)).fetchone(),
                su.execute("SELECT array_agg((endpoint_id, secret) ORDER BY endpoint_id) FROM hooks.webhook_secrets WHERE vendor_id = %s",
                           (vendor,)).fetchone(),
                su.execute("SELECT array_agg((c.source, c.updated_at, c.last_test, s.secret) ORDER BY c.source) "
                           "FROM ingest.connectors c LEFT JOIN ingest.connector_secrets s ON s.connector_id = c.id WHERE c.vendor_id = %s",
                           (vendor,)).fetchone(),
                su.execute("SELECT count(*) FROM ingest.ingestion_jobs WHERE vendor_id = %s", (vendor,)).fetchone())


def test_lists_and_searches_never_show_another_vendor(client: httpx.Client, world: World, seeded) -> None:
    b_ids = set(seeded.products[world.b]) | set(seeded.customers[world.b]) | {seeded.jobs[world.b]}
    for path in ("/api/v1/products?limit=200", "/api/v1/customers?limit=200", "/api/v1/jobs?limit=200",
                 "/api/v1/search/products?q=test&limit=200", "/api/v1/search/customers?q=customer&limit=200",
                 "/api/v1/members?limit=200", "/api/v1/connectors?limit=200"):
        r = client.get(path, headers=world.h("admin_a"))
        assert r.status_code == 200, (path, r.text)
        items = r.json()["items"]
        assert items, path
        assert not {i.get("id") for i in items} & b_ids
        assert all(i.get("vendor_id", world.a) == world.a for i in items)
