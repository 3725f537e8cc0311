"""The gateway under test: the real `odyssey serve` (uvicorn) on loopback, against the test
cluster's primary and replica (ODYSSEY_ENV_FILE). Tokens are minted with python-jose, not with the
library the gateway verifies with. Every session creates its own vendors and users."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from jose import jwt as jose_jwt

from gateway.config import setting

REPO = Path(__file__).resolve().parents[2]
BASE_PORT = int(os.environ.get("ODYSSEY_TEST_HTTP_PORT", "8431"))
HIGH_LIMITS = '{"rate_limits": {"user_rpm": 100000, "vendor_rpm": 100000, "ingest_rpm": 100000}}'


def mint(user: str, *, secret: str | None = None, ttl: int = 600, claim: str = "sub", **extra) -> str:
    now = int(time.time())
    return jose_jwt.encode({claim: user, "iat": now, "exp": now + ttl, **extra},
                           secret or setting("ODYSSEY_JWT_SECRET"), algorithm="HS256")


class Server:
    def __init__(self, port: int, env: dict[str, str] | None = None, log_name: str = "gateway") -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = REPO / ".odyssey" / f"{log_name}-{port}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        full_env = {**os.environ, **(env or {})}
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
                                     cwd=REPO, env=full_env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url + "/health?probe=live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()  # never leave a half-started server holding the port
                raise RuntimeError(f"gateway did not start:\n{self.log_path.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()

    def log_lines(self) -> list[str]:
        return self.log_path.read_text().splitlines()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    srv = Server(BASE_PORT)
    yield srv
    srv.stop()


@dataclass
class World:
    """Two vendors with one user per role, a superadmin, a user of both vendors, a user of none."""
    tag: str
    a: str
    b: str
    category: int
    users: dict[str, str] = field(default_factory=dict)   # name -> user id

    def token(self, name: str, **kw) -> str:
        return mint(self.users[name], **kw)

    def h(self, name: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(name)}", **headers}


def _link(su: psycopg.Connection, vendor: str, user: str, role: str) -> None:
    su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
    su.execute("INSERT INTO core.user_links (user_id, vendor_id, role) VALUES (%s, %s, %s)", (user, vendor, role))


@pytest.fixture(scope="session")
def world(superuser_url: str) -> World:
    tag = uuid.uuid4().hex[:8]
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    with psycopg.connect(superuser_url, autocommit=True) as su:
        su.execute("INSERT INTO core.vendors (id, name, settings_json) VALUES (%s, %s, %s), (%s, %s, %s)",
                   (a, f"Vendor A {tag}", HIGH_LIMITS, b, f"Vendor B {tag}", HIGH_LIMITS))
        category = su.execute("INSERT INTO catalog.tax_categories (code, label) VALUES (%s, 'Test') RETURNING id",
                              (f"test-{tag}",)).fetchone()[0]
        w = World(tag, a, b, category)
        for name in ("admin_a", "operator_a", "viewer_a", "admin_b", "operator_b", "root", "both", "nobody"):
            uid = f"{name}-{tag}"
            w.users[name] = uid
            su.execute("INSERT INTO core.users (id, email) VALUES (%s, %s)", (uid, f"{uid}@test.example"))
        _link(su, a, w.users["admin_a"], "vendor_admin")
        _link(su, a, w.users["operator_a"], "vendor_operator")
        _link(su, a, w.users["viewer_a"], "vendor_viewer")
        _link(su, b, w.users["admin_b"], "vendor_admin")
        _link(su, b, w.users["operator_b"], "vendor_operator")
        _link(su, a, w.users["both"], "vendor_viewer")
        _link(su, b, w.users["both"], "vendor_admin")
        su.execute("INSERT INTO core.platform_admins (user_id, reason) VALUES (%s, 'tests')", (w.users["root"],))
    return w


@pytest.fixture(scope="session")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def product(external_id: str, category: int, **kw) -> dict:
    return {"external_id": external_id, "name": kw.pop("name", f"Product {external_id}"), "brand": kw.pop("brand", "Acme"),
            "description": kw.pop("description", "a test product"), "category_id": category,
            "price": kw.pop("price", 1.25), **kw}


def customer(external_id: str, **kw) -> dict:
    return {"external_id": external_id, "full_name": kw.pop("full_name", f"Customer {external_id}"),
            "email": kw.pop("email", f"{external_id}@example.com"), "age": kw.pop("age", 40),
            "location": kw.pop("location", {"city": "Austin", "state": "TX"}), **kw}


def idem() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


@dataclass
class Seeded:
    products: dict[str, list[str]]    # vendor -> product ids
    customers: dict[str, list[str]]   # vendor -> customer ids
    jobs: dict[str, str]              # vendor -> a job id
    webhooks: dict[str, str]          # vendor -> a webhook endpoint id
    connectors: dict[str, str]        # vendor -> a connector's source name (with a credential)


@pytest.fixture(scope="session")
def seeded(world: World, client: httpx.Client, superuser_url: str) -> Seeded:
    """Each vendor gets products, customers (one with a health profile), an ingestion job and a
    webhook endpoint and connectors (one to use, one to delete), written through the API by that
    vendor's admin (the job directly)."""
    products: dict[str, list[str]] = {}
    customers: dict[str, list[str]] = {}
    jobs: dict[str, str] = {}
    webhooks: dict[str, str] = {}
    connectors: dict[str, str] = {}
    for vendor, admin in ((world.a, "admin_a"), (world.b, "admin_b")):
        items = [product(f"p{i}", world.category, dietary_tags=["vegan"] if i % 2 else [],
                         allergens=["peanuts"] if i % 3 == 0 else []) for i in range(5)]
        r = client.post("/api/v1/products", json={"items": items}, headers=world.h(admin, **idem()))
        assert r.status_code == 200, r.text
        listed = client.get("/api/v1/products?limit=200", headers=world.h(admin)).json()["items"]
        products[vendor] = [p["id"] for p in listed]
        r = client.post("/api/v1/customers", json={"items": [customer("c1"), customer("c2")]}, headers=world.h(admin, **idem()))
        assert r.status_code == 200, r.text
        customers[vendor] = [c["id"] for c in client.get("/api/v1/customers", headers=world.h(admin)).json()["items"]]
        with psycopg.connect(superuser_url, autocommit=True) as su:
            su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
            jobs[vendor] = str(su.execute("INSERT INTO ingest.ingestion_jobs (vendor_id, mode) VALUES (%s, 'products') RETURNING id",
                                          (vendor,)).fetchone()[0])
        r = client.post("/api/v1/webhooks", json={"url": f"https://hooks.example.com/{admin}", "event_types": ["job.failed"]},
                        headers=world.h(admin, **idem()))
        assert r.status_code == 201, r.text
        webhooks[vendor] = r.json()["id"]
        connectors[vendor] = f"src-{admin.replace('_', '-')}"
        for source in (connectors[vendor], f"{connectors[vendor]}-del"):
            r = client.put(f"/api/v1/connectors/{source}", json={"base_url": f"http://127.0.0.1:9/{admin}/products",  # nothing listens: a test call ends at once
                                                                 "auth_type": "bearer", "secret": f"token-of-{admin}"},
                           headers=world.h(admin, **idem()))
            assert r.status_code == 200, r.text
    return Seeded(products, customers, jobs, webhooks, connectors)
