#!/usr/bin/env python3
"""Benchmark of the HTTP gateway beside the same calls made directly in SQL, in the same run.

  scripts/bench_gateway.py [--products 500000] [--customers 40] [--requests 400] [--port 8436] [--vendor UUID]

Uses the cluster of the env file (ODYSSEY_ENV_FILE, default .env). Creates (once) a bench vendor
with --products products (generated in SQL), --customers customers with health profiles -- or, with
--vendor, measures an existing vendor (scripts/bench_domain.py's 500k realistic products:
b0000000-0000-4000-8000-000000000001) and up to --customers of its customers with profiles -- starts
`odyssey serve` on --port, then measures P50/P95/P99 of
  * search   GET /api/v1/search/products?q=<word>            vs  api.search_products(...)
  * matches  GET /api/v1/matches/{customer} (miss, then hit)  vs  api.match_products(...)
with 1 and 8 concurrent clients. The SQL side pays what the gateway pays inside PostgreSQL (one
transaction, api.resolve_principal + role switch, the api call, pipelined in one round trip as the
gateway sends them); the difference is the gateway's overhead (HTTP, JWT, admission/rate limit
statement, JSON). HTTP requests go through aiohttp (--client httpx: ~1.3 ms more client time each). Prints a table and writes JSON to
bench-results/gateway-<timestamp>.json."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
import httpx  # noqa: E402
import jwt  # noqa: E402
import psycopg  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from gateway.config import require  # noqa: E402

WORDS = ["oat", "almond", "kale", "quinoa", "lentil", "yogurt", "salmon", "chicken", "tofu", "rice", "apple",
         "berry", "cocoa", "peanut", "sesame", "spinach", "tomato", "bean", "coconut", "honey", "cheddar", "wheat"]
KINDS = ["bar", "bites", "chips", "soup", "bowl", "salad", "snack", "granola", "crackers", "butter", "drink"]
BENCH_LIMITS = {"rate_limits": {"user_rpm": 10_000_000, "vendor_rpm": 10_000_000, "ingest_rpm": 1000}}


def pct(values: list[float], p: float) -> float:
    data = sorted(values)
    k = (len(data) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(data) - 1)
    return round(data[lo] + (data[hi] - data[lo]) * (k - lo), 3)


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": pct(values, 0.5), "p95": pct(values, 0.95), "p99": pct(values, 0.99),
            "mean": round(statistics.fmean(values), 3)}


def setup_existing(vendor: str, customers: int) -> tuple[str, str, list[str]]:
    """An existing vendor (e.g. scripts/bench_domain.py's 500k-product vendor) and its customers that
    have a health profile; a bench admin user is linked to it."""
    with psycopg.connect(require("ODYSSEY_SUPERUSER_URL"), autocommit=True) as su:
        if not su.execute("SELECT 1 FROM core.vendors WHERE id = %s", (vendor,)).fetchone():
            raise SystemExit(f"no vendor {vendor}")
        su.execute("UPDATE core.vendors SET settings_json = settings_json || %s WHERE id = %s", (Jsonb(BENCH_LIMITS), vendor))
        user = f"bench-admin-{vendor[:8]}"
        su.execute("INSERT INTO core.users (id, email) VALUES (%s, %s) ON CONFLICT DO NOTHING", (user, f"{user}@bench.example"))
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        su.execute("INSERT INTO core.user_links (user_id, vendor_id, role) VALUES (%s, %s, 'vendor_admin') ON CONFLICT DO NOTHING",
                   (user, vendor))
        ids = [str(r[0]) for r in su.execute("SELECT customer_id FROM health.customer_health_profiles WHERE vendor_id = %s "
                                             "ORDER BY customer_id LIMIT %s", (vendor, customers)).fetchall()]
    return vendor, user, ids


def setup(products: int, customers: int) -> tuple[str, str, list[str]]:
    name = f"bench-{products}"
    with psycopg.connect(require("ODYSSEY_SUPERUSER_URL"), autocommit=True) as su:
        row = su.execute("SELECT id FROM core.vendors WHERE name = %s", (name,)).fetchone()
        if row:
            vendor = str(row[0])
        else:
            vendor = str(uuid.uuid4())
            su.execute("INSERT INTO core.vendors (id, name, settings_json) VALUES (%s, %s, %s)", (vendor, name, Jsonb(BENCH_LIMITS)))
        user = f"bench-admin-{vendor[:8]}"
        su.execute("INSERT INTO core.users (id, email) VALUES (%s, %s) ON CONFLICT DO NOTHING", (user, f"{user}@bench.example"))
        su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        su.execute("INSERT INTO core.user_links (user_id, vendor_id, role) VALUES (%s, %s, 'vendor_admin') ON CONFLICT DO NOTHING",
                   (user, vendor))
        category = su.execute("INSERT INTO catalog.tax_categories (code, label) VALUES ('bench', 'Bench') "
                              "ON CONFLICT (code) DO UPDATE SET label = EXCLUDED.label RETURNING id").fetchone()[0]
        have = su.execute("SELECT count(*) FROM catalog.products WHERE vendor_id = %s", (vendor,)).fetchone()[0]
        batch = 50_000
        t0 = time.monotonic()
        for start in range(have, products, batch):
            n = min(batch, products - start)
            su.execute("""
                INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price,
                                              dietary_tags, allergens, nutrition)
                SELECT catalog.product_id(%(v)s, 'b' || g), %(v)s, 'b' || g,
                       initcap((%(w)s::text[])[1 + g %% 22] || ' ' || (%(k)s::text[])[1 + (g / 22) %% 11]) || ' ' || g,
                       'Brand ' || (g %% 97), 'A ' || (%(w)s::text[])[1 + (g / 7) %% 22] || ' product, batch ' || (g / 1000),
                       %(c)s, round((1 + g %% 2000 / 100.0)::numeric, 2),
                       CASE WHEN g %% 3 = 0 THEN ARRAY['vegan'] ELSE '{}' END,
                       CASE WHEN g %% 5 = 0 THEN ARRAY['peanuts'] WHEN g %% 7 = 0 THEN ARRAY['milk'] ELSE '{}' END,
                       jsonb_build_object('energy_kcal', 50 + g %% 500, 'sodium_mg', g %% 900, 'fiber_g', g %% 12,
                                          'protein_g', g %% 30, 'sugars_g', g %% 40)
                  FROM generate_series(%(s)s, %(e)s) g""",
                       {"v": vendor, "w": WORDS, "k": KINDS, "c": category, "s": start, "e": start + n - 1})
            print(f"  products {start + n}/{products} ({time.monotonic() - t0:.0f} s)", flush=True)
        if have < products:
            su.execute("ANALYZE catalog.products")
        su.execute("""
            INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, gender, location)
            SELECT crm.customer_id(%(v)s, 'bc' || g), %(v)s, 'bc' || g, 'Bench Customer ' || g, 'bc' || g || '@bench.example',
                   30 + g %% 40, CASE WHEN g %% 2 = 0 THEN 'male' ELSE 'female' END::crm.gender, '{}'
              FROM generate_series(1, %(n)s) g
            ON CONFLICT (vendor_id, id) DO NOTHING""", {"v": vendor, "n": customers})
        ids = [str(r[0]) for r in su.execute("SELECT id FROM crm.customers WHERE vendor_id = %s ORDER BY id LIMIT %s",
                                             (vendor, customers)).fetchall()]
    return vendor, user, ids


def token(user: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": user, "iat": now, "exp": now + 7200}, require("ODYSSEY_JWT_SECRET"), algorithm="HS256")


async def http_run(url: str, auth: str, paths: list[str], concurrency: int, client: str = "aiohttp") -> list[float]:
    """Latencies of GET paths over `concurrency` keep-alive connections. aiohttp (default) is the
    leaner client: measured against a bare Starlette route on this machine, a request cost ~1.3 ms
    more through httpx's AsyncClient -- time a gateway overhead figure should not include."""
    if client == "aiohttp":
        return await _aiohttp_run(url, auth, paths, concurrency)
    queue = list(paths)
    times: list[float] = []
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {auth}"}, timeout=60,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        async def worker() -> None:
            while queue:
                path = queue.pop()
                t = time.perf_counter()
                r = await client.get(path)
                times.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    raise SystemExit(f"{path}: {r.status_code} {r.text[:300]}")
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return times


async def _aiohttp_run(url: str, auth: str, paths: list[str], concurrency: int) -> list[float]:
    queue = list(paths)
    times: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base_url=url, headers={"Authorization": f"Bearer {auth}"}, connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        async def worker() -> None:
            while queue:
                path = queue.pop()
                t = time.perf_counter()
                async with session.get(path) as r:
                    body = await r.read()
                times.append((time.perf_counter() - t) * 1000)
                if r.status != 200:
                    raise SystemExit(f"{path}: {r.status} {body[:300]!r}")
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return times


async def sql_run(user: str, calls: list[tuple[str, list]], concurrency: int, replica: bool) -> list[float]:
    url = require("ODYSSEY_REPLICA_URL" if replica else "ODYSSEY_DATABASE_URL")
    queue = list(calls)
    times: list[float] = []

    async def worker() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            while queue:
                sql, params = queue.pop()
                t = time.perf_counter()
                # as the gateway does: both statements in one pipeline, one implicit transaction
                resolve, call = conn.cursor(), conn.cursor()
                async with conn.pipeline():
                    await resolve.execute("SELECT set_config('role', r.db_role, true) FROM api.resolve_principal(%s, NULL, NULL) r", (user,))
                    await call.execute(sql, params)
                await call.fetchone()
                times.append((time.perf_counter() - t) * 1000)
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--products", type=int, default=500_000)
    ap.add_argument("--customers", type=int, default=40)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--port", type=int, default=8436)
    ap.add_argument("--client", choices=("aiohttp", "httpx"), default="aiohttp",
                    help="HTTP client of the timed requests (default aiohttp, the leaner one)")
    ap.add_argument("--vendor", help="measure this existing vendor (its customers with health profiles) instead of "
                                     "building bench-<products>; e.g. b0000000-0000-4000-8000-000000000001, the 500k-product "
                                     "vendor of scripts/bench_domain.py")
    args = ap.parse_args()

    if args.vendor:
        vendor, user, customers = setup_existing(args.vendor, args.customers)
        print(f"vendor {vendor}: {len(customers)} customers with health profiles", flush=True)
    else:
        print(f"setting up the bench vendor ({args.products} products, {args.customers} customers)", flush=True)
        vendor, user, customers = setup(args.products, args.customers)
    auth = token(user)
    log = open(REPO / ".odyssey" / "bench-gateway.log", "w") if (REPO / ".odyssey").exists() else subprocess.DEVNULL
    server = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(args.port)], cwd=REPO,
                              stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ODYSSEY_POOL_MAX": "16"})
    url = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/health?probe=live").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        # health profiles (through the API: validation and derivations run)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {auth}"}, timeout=60) as c:
            for i, cid in enumerate(customers if not args.vendor else []):
                body = {"height_cm": 160 + i % 30, "weight_kg": 60 + i % 40, "age": 30 + i % 40,
                        "gender": "male" if i % 2 else "female", "activity_level": "moderate",
                        "conditions": [["hypertension"], ["type2_diabetes"], [], ["celiac"]][i % 4],
                        "avoid_allergens": ["peanuts"] if i % 3 == 0 else []}
                r = c.put(f"/api/v1/customers/{cid}/health", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                if r.status_code != 200:
                    raise SystemExit(f"health PUT: {r.status_code} {r.text[:300]}")
        rng = random.Random(7)
        results: dict = {"products": args.products, "customers": len(customers), "requests": args.requests, "runs": {}}
        for conc in (1, 8):
            words = [rng.choice(WORDS) for _ in range(args.requests)]
            http = asyncio.run(http_run(url, auth, [f"/api/v1/search/products?q={w}&limit=20" for w in words], conc, args.client))
            sql = asyncio.run(sql_run(user, [("SELECT api.search_products(%s, '{}'::jsonb, NULL, NULL, 20)::text", [w]) for w in words],
                                      conc, replica=True))
            results["runs"][f"search c={conc}"] = {"http": summary(http), "sql": summary(sql)}
            # matches: the first call per customer after a catalog change is a miss, the next ones hit
            with psycopg.connect(require("ODYSSEY_SUPERUSER_URL"), autocommit=True) as su:
                su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
                su.execute("DELETE FROM matching.matches_cache WHERE vendor_id = %s", (vendor,))
            # the same customers both ways, the cache emptied before each
            http_miss = asyncio.run(http_run(url, auth, [f"/api/v1/matches/{c}?k=20" for c in customers], conc, args.client))
            with psycopg.connect(require("ODYSSEY_SUPERUSER_URL"), autocommit=True) as su:
                su.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
                su.execute("DELETE FROM matching.matches_cache WHERE vendor_id = %s", (vendor,))
            sql_miss = asyncio.run(sql_run(user, [("SELECT api.match_products(%s, 20)::text", [c]) for c in customers],
                                           conc, replica=False))
            reps = max(1, args.requests // len(customers))
            http_hit = asyncio.run(http_run(url, auth, [f"/api/v1/matches/{c}?k=20" for c in customers] * reps, conc, args.client))
            sql_hit = asyncio.run(sql_run(user, [("SELECT api.match_products(%s, 20)::text", [c]) for c in customers] * reps,
                                          conc, replica=False))
            results["runs"][f"matches miss c={conc}"] = {"http": summary(http_miss), "sql": summary(sql_miss)}
            results["runs"][f"matches hit c={conc}"] = {"http": summary(http_hit), "sql": summary(sql_hit)}
    finally:
        server.terminate()
        server.wait(10)
    print(f"\n{'run':<22} {'http p50':>9} {'p95':>8} {'p99':>8} | {'sql p50':>8} {'p95':>8} {'p99':>8} | {'overhead p50':>12} {'ratio p95':>9}")
    for name, r in results["runs"].items():
        h, s = r["http"], r["sql"]
        r["overhead_p50_ms"] = round(h["p50"] - s["p50"], 3)
        r["ratio_p95"] = round(h["p95"] / s["p95"], 2) if s["p95"] else None
        print(f"{name:<22} {h['p50']:>9} {h['p95']:>8} {h['p99']:>8} | {s['p50']:>8} {s['p95']:>8} {s['p99']:>8} | "
              f"{r['overhead_p50_ms']:>12} {r['ratio_p95']:>9}")
    out = REPO / "bench-results"
    out.mkdir(exist_ok=True)
    path = out / f"gateway-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"\nwritten {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
