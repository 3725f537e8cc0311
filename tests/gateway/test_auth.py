"""Authentication (JWT verified on every call) and principal resolution (vendor and role from
user_links; X-Vendor-Id; superadmin break-glass)."""
from __future__ import annotations

import base64
import json
import time

import httpx
import psycopg
from jose import jwt as jose_jwt

from .conftest import World, mint


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    assert "Traceback" not in r.text
    return body


def test_missing_and_malformed_authorization_is_401(client: httpx.Client, world: World) -> None:
    r = client.get("/api/v1/products")
    _problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")
    _problem(client.get("/api/v1/products", headers={"Authorization": "Basic abc"}), 401)
    _problem(client.get("/api/v1/products", headers={"Authorization": "Bearer not.a.jwt"}), 401)


def test_valid_token_is_accepted_with_sub_or_userId(client: httpx.Client, world: World, seeded) -> None:
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {mint(world.users['admin_a'])}"}).status_code == 200
    token = mint(world.users["admin_a"], claim="userId")
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_expired_token_is_rejected(client: httpx.Client, world: World) -> None:
    now = int(time.time())
    token = jose_jwt.encode({"sub": world.users["admin_a"], "iat": now - 7200, "exp": now - 3600},
                            __import__("gateway.config", fromlist=["setting"]).setting("ODYSSEY_JWT_SECRET"), algorithm="HS256")
    assert "expired" in _problem(client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}), 401)["detail"]


def test_token_without_exp_is_rejected(client: httpx.Client, world: World) -> None:
    from gateway.config import setting
    token = jose_jwt.encode({"sub": world.users["admin_a"]}, setting("ODYSSEY_JWT_SECRET"), algorithm="HS256")
    _problem(client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}), 401)


def test_wrongly_signed_token_is_rejected(client: httpx.Client, world: World) -> None:
    token = mint(world.users["admin_a"], secret="not-the-secret")
    _problem(client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}), 401)
    # A valid signature over different claims: tampering with the payload breaks it.
    good = mint(world.users["admin_a"]).split(".")
    forged = ".".join([good[0], _b64({"sub": world.users["root"], "exp": int(time.time()) + 600}), good[2]])
    _problem(client.get("/api/v1/products", headers={"Authorization": f"Bearer {forged}"}), 401)


def test_alg_none_is_rejected(client: httpx.Client, world: World) -> None:
    for alg in ("none", "None", "NONE"):
        token = f'{_b64({"alg": alg, "typ": "JWT"})}.{_b64({"sub": world.users["root"], "exp": int(time.time()) + 600})}.'
        _problem(client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}), 401)


def test_other_algorithms_are_rejected(client: httpx.Client, world: World) -> None:
    from gateway.config import setting
    token = jose_jwt.encode({"sub": world.users["admin_a"], "exp": int(time.time()) + 600},
                            setting("ODYSSEY_JWT_SECRET"), algorithm="HS512")
    _problem(client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}), 401)


def test_user_without_membership_is_403(client: httpx.Client, world: World) -> None:
    _problem(client.get("/api/v1/products", headers=world.h("nobody")), 403)
    _problem(client.get("/api/v1/products", headers={"Authorization": f"Bearer {mint('never-heard-of-them')}"}), 403)


def test_user_of_several_vendors_must_choose_one(client: httpx.Client, world: World, seeded) -> None:
    body = _problem(client.get("/api/v1/products", headers=world.h("both")), 403)
    assert "X-Vendor-Id" in body["detail"]
    ra = client.get("/api/v1/products", headers=world.h("both", **{"X-Vendor-Id": world.a}))
    rb = client.get("/api/v1/products", headers=world.h("both", **{"X-Vendor-Id": world.b}))
    assert ra.status_code == rb.status_code == 200
    assert {p["vendor_id"] for p in ra.json()["items"]} == {world.a}
    assert {p["vendor_id"] for p in rb.json()["items"]} == {world.b}
    # The role follows the chosen link: viewer in A cannot write, admin in B can.
    item = {"items": [{"external_id": "both-x", "name": "x", "brand": "b", "description": "d",
                       "category_id": world.category, "price": 1}]}
    _problem(client.post("/api/v1/products", json=item, headers=world.h("both", **{"X-Vendor-Id": world.a, "Idempotency-Key": "k-a"})), 403)
    assert client.post("/api/v1/products", json=item,
                       headers=world.h("both", **{"X-Vendor-Id": world.b, "Idempotency-Key": "k-b"})).status_code == 200


def test_x_vendor_id_of_a_vendor_one_is_not_linked_to_is_403(client: httpx.Client, world: World, superuser_url: str) -> None:
    r = client.get("/api/v1/products", headers=world.h("admin_a", **{"X-Vendor-Id": world.b}))
    _problem(r, 403)
    # the refusal is audited (and visible to vendor B's admins: it names their vendor)
    with psycopg.connect(superuser_url) as su:
        rows = su.execute("SELECT actor_user_id, vendor_id::text FROM audit.audit_log WHERE action = 'authz_denied' "
                          "AND request_id = %s", (r.headers["x-request-id"],)).fetchall()
    assert rows == [(world.users["admin_a"], world.b)]
    _problem(client.get("/api/v1/products", headers=world.h("admin_a", **{"X-Vendor-Id": "not-a-uuid"})), 400)


def test_superadmin_break_glass_needs_justification_and_is_audited(client: httpx.Client, world: World,
                                                                  superuser_url: str, seeded) -> None:
    # Without a vendor, vendor endpoints say which headers are needed.
    _problem(client.get("/api/v1/products", headers=world.h("root")), 400)
    _problem(client.get("/api/v1/products", headers=world.h("root", **{"X-Vendor-Id": world.a})), 403)
    reason = f"ticket-{world.tag}"
    r = client.get("/api/v1/products", headers=world.h("root", **{"X-Vendor-Id": world.a, "X-Justification": reason}))
    assert r.status_code == 200 and r.json()["items"]
    with psycopg.connect(superuser_url) as su:
        rows = su.execute("SELECT actor_user_id, actor_role, vendor_id::text, justification, request_id FROM audit.audit_log "
                          "WHERE action = 'break_glass' AND justification = %s", (reason,)).fetchall()
    assert rows == [(world.users["root"], "superadmin", world.a, reason, r.headers["x-request-id"])]


def test_break_glass_stays_audited_when_the_request_fails(client: httpx.Client, world: World, superuser_url: str,
                                                          seeded) -> None:
    # The request's own transaction rolls back (404, 422): the break-glass record, written at
    # admission in its own committed statement, stays -- exactly once per request.
    reason = f"incident-{world.tag}"
    bg = world.h("root", **{"X-Vendor-Id": world.a, "X-Justification": reason})
    missing = client.get("/api/v1/products/00000000-0000-4000-8000-000000000000", headers=bg)
    _problem(missing, 404)
    invalid = client.post("/api/v1/products", headers={**bg, "Idempotency-Key": f"bg-{world.tag}"},
                          json={"items": [{"external_id": "x"}]})
    _problem(invalid, 422)
    with psycopg.connect(superuser_url) as su:
        rows = su.execute("SELECT request_id, actor_role, vendor_id::text FROM audit.audit_log "
                          "WHERE action = 'break_glass' AND justification = %s ORDER BY id", (reason,)).fetchall()
    assert rows == [(missing.headers["x-request-id"], "superadmin", world.a),
                    (invalid.headers["x-request-id"], "superadmin", world.a)]
