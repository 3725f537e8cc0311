#!/usr/bin/env python3
"""Benchmark of the foundation (issue 2): partitioning at PRD scale of tenants.

Creates --vendors vendors (default 50) on the cluster of the env file (default: the dev cluster of
`scripts/cluster up`), reports the seconds to create their partitions, loads --products products per
vendor, then measures planning and execution time (EXPLAIN ANALYZE, SUMMARY) of vendor-scoped
statements run as prepared statements by a vendor role under RLS:
  lookup  (vendor_id, id)              -> must prune to one leaf
  list    newest 50 of a vendor        -> the vendor's 16 leaves
  fts     websearch query of a vendor  -> the vendor's 16 leaves
each with generic plans (plan_cache_mode = force_generic_plan) and custom plans, beside a baseline:
the same rows in one unpartitioned table with the same indexes, measured in the same run.
Everything it creates is removed at the end (unless --keep).

Usage: scripts/bench_partitions.py [--vendors 50] [--products 2000] [--runs 300] [--keep]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gateway.config import require  # noqa: E402

QUERIES = {
    "lookup": ("SELECT * FROM {t} WHERE vendor_id = $1 AND id = $2", "uuid, uuid"),
    "list": ("SELECT id, name, updated_at FROM {t} WHERE vendor_id = $1 AND soft_deleted_at IS NULL "
             "ORDER BY updated_at DESC, id DESC LIMIT 50", "uuid"),
    "fts": ("SELECT id, name FROM {t} WHERE vendor_id = $1 AND search_tsv @@ websearch_to_tsquery('english', $2) "
            "ORDER BY updated_at DESC, id DESC LIMIT 20", "uuid, text"),
}
WORDS = ["oat", "almond", "protein", "crunchy", "organic", "vanilla", "cocoa", "granola", "yogurt",
         "honey", "berry", "quinoa", "lentil", "spicy", "smoked", "salmon", "rice", "coconut"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary(values: list[float]) -> str:
    return f"p50 {pct(values, .5):7.3f}  p95 {pct(values, .95):7.3f}  p99 {pct(values, .99):7.3f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vendors", type=int, default=50)
    ap.add_argument("--products", type=int, default=2000, help="products per vendor")
    ap.add_argument("--runs", type=int, default=300, help="measured executions per query and mode")
    ap.add_argument("--keep", action="store_true", help="keep the bench vendors and tables")
    args = ap.parse_args()
    url = require("ODYSSEY_SUPERUSER_URL")
    rnd = random.Random(7)
    vendors = [uuid.UUID(int=rnd.getrandbits(128), version=4) for _ in range(args.vendors)]

    cleanup(url, leftovers_only=True)
    try:
        return run(args, url, rnd, vendors)
    finally:
        if not args.keep:
            cleanup(url)


def cleanup(url: str, leftovers_only: bool = False) -> None:
    """Offboard (drop) every bench vendor and the baseline table."""
    with psycopg.connect(url, autocommit=True) as su:
        t0 = time.perf_counter()
        bench = [r[0] for r in su.execute("select id from core.vendors where name like 'bench vendor %'")]
        for v in bench:
            su.execute("select app.offboard_vendor(%s, false)", (v,))
            su.execute("delete from core.vendors where id = %s", (v,))
        su.execute("drop schema if exists bench cascade")
        if bench and not leftovers_only:
            print(f"\ncleanup: offboarded (dropped) {len(bench)} vendors in {time.perf_counter() - t0:.1f} s")


def run(args: argparse.Namespace, url: str, rnd: random.Random, vendors: list[uuid.UUID]) -> int:
    with psycopg.connect(url, autocommit=True) as su:
        existing = su.execute("select count(*) from app.vendor_partitioned_tables").fetchone()[0]
        cat = su.execute("select id from catalog.tax_categories order by id limit 1").fetchone()
        if cat is None:
            cat = su.execute("insert into catalog.tax_categories (code, label) values ('bench', 'Bench') returning id").fetchone()
        category_id = cat[0]

        print(f"== creating {args.vendors} vendors ({existing} vendor-partitioned tables each)")
        per_vendor: list[float] = []
        t0 = time.perf_counter()
        for i, v in enumerate(vendors):
            t = time.perf_counter()
            su.execute("insert into core.vendors (id, name) values (%s, %s)", (v, f"bench vendor {i} {v}"))
            per_vendor.append((time.perf_counter() - t) * 1000)
        total = time.perf_counter() - t0
        leaves = su.execute("select count(*) from pg_class where relnamespace = 'partitions'::regnamespace "
                            "and relkind = 'r'").fetchone()[0]
        print(f"partition creation: {total:.1f} s for {args.vendors} vendors "
              f"({statistics.mean(per_vendor):.0f} ms/vendor mean, p95 {pct(per_vendor, .95):.0f} ms); "
              f"{leaves} leaf tables in the cluster")

        print(f"== loading {args.products} products per vendor")
        t0 = time.perf_counter()
        for v in vendors:
            with su.transaction():
                su.execute("select set_config('odyssey.vendor_id', %s, true)", (str(v),))
                su.execute(
                    """insert into catalog.products (id, vendor_id, external_id, name, brand, description,
                                                     category_id, price, allergens, dietary_tags)
                       select catalog.product_id(%(v)s, 'SKU-' || g), %(v)s, 'SKU-' || g,
                              (%(w)s::text[])[1 + g %% 18] || ' ' || (%(w)s::text[])[1 + (g / 18) %% 18] || ' bar ' || g,
                              'Brand ' || (g %% 40),
                              'A ' || (%(w)s::text[])[1 + (g * 7) %% 18] || ' snack with ' || (%(w)s::text[])[1 + (g * 13) %% 18]
                                || repeat(' and wholesome ingredients', 1 + g %% 20),
                              %(c)s, (g %% 5000) / 100.0 + 0.5,
                              case when g %% 3 = 0 then array['milk'] else '{}' end,
                              case when g %% 4 = 0 then array['vegan'] else '{}' end
                         from generate_series(1, %(n)s) g""",
                    {"v": v, "w": WORDS, "c": category_id, "n": args.products})
        print(f"loaded {args.vendors * args.products} products in {time.perf_counter() - t0:.1f} s")
        su.execute("analyze catalog.products")
        su.execute("create schema if not exists bench")
        su.execute("drop table if exists bench.flat_products")
        su.execute("create table bench.flat_products as select * from catalog.products where vendor_id = any(%s)",
                   (vendors,))
        su.execute("alter table bench.flat_products add primary key (vendor_id, id)")
        su.execute("create index on bench.flat_products using gin (search_tsv)")
        su.execute("create index on bench.flat_products (vendor_id, updated_at desc, id desc)")
        su.execute("analyze bench.flat_products")
        # Same security as the real table: RLS forced with the tenant policy, read by the vendor role.
        su.execute("select app.enable_tenant_rls('bench.flat_products')")
        su.execute("grant usage on schema bench to odyssey_vendor_viewer")
        su.execute("grant select on bench.flat_products to odyssey_vendor_viewer")
        ids = {v: [r[0] for r in su.execute("select id from bench.flat_products where vendor_id = %s", (v,))]
               for v in vendors}

    results: dict[str, dict[str, dict[str, list[float]]]] = {}
    with psycopg.connect(url, autocommit=False, cursor_factory=psycopg.ClientCursor) as conn:
        for table, label in (("catalog.products", "partitioned"), ("bench.flat_products", "baseline (1 table)")):
            for mode in ("force_generic_plan", "force_custom_plan"):
                conn.execute(f"set plan_cache_mode = {mode}")
                for qname, (sql, types) in QUERIES.items():
                    stmt = f"b_{qname}_{abs(hash((table, mode)))}"
                    conn.execute(f"prepare {stmt}({types}) as {sql.format(t=table)}")
                    plan_ms: list[float] = []
                    exec_ms: list[float] = []
                    leaves_scanned: set[int] = set()
                    for i in range(args.runs + 5):
                        v = vendors[i % len(vendors)]
                        params: list = [v]
                        if qname == "lookup":
                            params.append(rnd.choice(ids[v]))
                        elif qname == "fts":
                            params.append(" ".join(rnd.sample(WORDS, rnd.randint(1, 2))))
                        # Run as a vendor role under RLS, as the gateway would.
                        conn.execute("select set_config('role', 'odyssey_vendor_viewer', true), "
                                     "set_config('odyssey.vendor_id', %s, true)", (str(v),))
                        ph = ", ".join(["%s"] * len(params))
                        plan = conn.execute(f"explain (analyze, summary, format json) execute {stmt}({ph})",
                                            params).fetchone()[0][0]
                        conn.rollback()
                        if i < 5:
                            continue  # warm-up (the generic plan is built on the 6th execution otherwise)
                        plan_ms.append(plan["Planning Time"])
                        exec_ms.append(plan["Execution Time"])
                        leaves_scanned.add(count_scans(plan["Plan"]))
                    conn.execute(f"deallocate {stmt}")
                    conn.commit()
                    results.setdefault(label, {}).setdefault(mode, {})[qname] = [plan_ms, exec_ms, sorted(leaves_scanned)]

    print(f"\n== {args.vendors} vendors, {args.products} products each; {args.runs} runs per line; "
          "times in ms; run as odyssey_vendor_viewer under RLS")
    for label, modes in results.items():
        for mode, queries in modes.items():
            for qname, (plan_ms, exec_ms, scans) in queries.items():
                print(f"{label:20s} {mode:19s} {qname:6s} planning {summary(plan_ms)} | "
                      f"execution {summary(exec_ms)} | relations scanned {scans}")
    print("\n== ratios partitioned / baseline (p50 planning+execution)")
    for mode in ("force_generic_plan", "force_custom_plan"):
        for qname in QUERIES:
            p = results["partitioned"][mode][qname]
            b = results["baseline (1 table)"][mode][qname]
            tp = pct(p[0], .5) + pct(p[1], .5)
            tb = pct(b[0], .5) + pct(b[1], .5)
            print(f"{mode:19s} {qname:6s} {tp:7.3f} / {tb:7.3f} = {tp / tb:5.2f}x")

    return 0


def count_scans(node: dict) -> int:
    """Relations actually scanned in a plan (after pruning)."""
    n = 1 if "Relation Name" in node else 0
    return n + sum(count_scans(c) for c in node.get("Plans", []))


if __name__ == "__main__":
    sys.exit(main())
