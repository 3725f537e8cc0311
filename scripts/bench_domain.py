#!/usr/bin/env python3
"""Benchmark of product search and health-aware matching (issue 3), called as SQL.

Builds (unless --reuse) one big vendor (--products, default 500,000) and --others smaller vendors
(--other-products each) with realistic products generated in SQL (names, descriptions of 200-1,500
characters from a vocabulary, nutrition, allergens incl. synonym labels, tags, ingredients),
--customers customers with varied health profiles, then reports P50/P95/P99 latencies of
  * api.search_products: 1-3 word queries with and without filters, relevance and -updated_at
    (15% with a word that only descriptions hold)
  * api.match_products, k = 20: cache miss (cache row deleted first, untimed) and cache hit
at 1 and 8 concurrent clients, beside the naive baselines measured in the same run
(GIN + ORDER BY ts_rank over all matches; scoring every eligible product in SQL), and checks that
matching's top 20 equals the naive full scan's for the customers the baseline ran on.

Usage: .venv/bin/python scripts/bench_domain.py [--products 500000] [--others 49] [--reuse] ...
Connects with ODYSSEY_SUPERUSER_URL (the env file of scripts/cluster). Not a test.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gateway.config import setting  # noqa: E402

BIG = uuid.UUID("b0000000-0000-4000-8000-000000000001")
NAME_WORDS = ["granola", "oat", "almond", "honey", "chocolate", "protein", "bar", "yogurt", "greek", "vanilla",
              "strawberry", "blueberry", "peanut", "butter", "rice", "quinoa", "lentil", "soup", "tomato", "basil",
              "pasta", "whole", "wheat", "bread", "sourdough", "rye", "cracker", "sea", "salt", "chip", "tortilla",
              "corn", "salsa", "hummus", "chickpea", "olive", "oil", "coconut", "milk", "oatmilk", "soy", "tofu",
              "tempeh", "salmon", "tuna", "chicken", "turkey", "beef", "jerky", "cheese", "cheddar", "mozzarella",
              "spinach", "kale", "broccoli", "apple", "banana", "mango", "berry", "cereal", "muesli", "cookie",
              "brownie", "cake", "spicy", "organic", "crunchy", "smoked", "roasted", "garlic", "ginger", "lemon",
              "green", "tea", "coffee", "matcha", "sesame", "walnut", "cashew", "pistachio", "seed", "flax", "chia"]
DESC_WORDS = NAME_WORDS + ["made", "with", "carefully", "selected", "ingredients", "rich", "flavor", "texture",
              "perfect", "snack", "breakfast", "lunch", "dinner", "family", "recipe", "traditional", "fresh",
              "natural", "source", "fiber", "vitamins", "minerals", "enjoy", "anytime", "delicious", "healthy",
              "balanced", "nutrition", "kitchen", "farm", "harvest", "small", "batch", "slow", "cooked", "baked",
              "blend", "notes", "sweet", "savory", "hint", "aroma", "golden", "light", "hearty", "classic",
              "store", "cool", "dry", "place", "after", "opening", "refrigerate", "serve", "chilled", "warm"]
TAGS = ["vegan", "vegetarian", "pescatarian", "keto", "paleo", "gluten_free", "dairy_free", "nut_free",
        "low_sodium", "low_sugar", "low_fat", "high_protein", "high_fiber", "organic", "halal", "kosher", "mediterranean"]
ALLERGEN_LABELS = ["milk", "whey", "egg", "fish", "crustacean_shellfish", "tree_nuts", "peanuts", "wheat", "soy",
                   "sesame", "casein", "tofu"]
CONDITIONS = ["type2_diabetes", "hypertension", "heart_disease", "ckd", "celiac"]
PLATFORM_RULES = {
    "general": {"limits": {"sodium_mg": {"max": 2300}, "added_sugars_g": {"max": 50}, "saturated_fat_g": {"max": 20},
                           "fiber_g": {"min": 28}}},
    "type2_diabetes": {"limits": {"added_sugars_g": {"max": 25}, "fiber_g": {"min_per_1000_kcal": 14},
                                  "sodium_mg": {"max": 2300}}, "scoring": {"fiber_bonus": True}},
    "hypertension": {"limits": {"sodium_mg": {"max": 1500}}},
    "heart_disease": {"limits": {"saturated_fat_g": {"max_pct_kcal": 6}}},
    "ckd": {"limits": {"protein_g": {"max_per_kg": 0.6}, "sodium_mg": {"max": 2300}}},
    "celiac": {"hard": {"exclude_allergens": ["wheat"],
                        "exclude_ingredients": ["wheat", "spelt", "durum", "kamut", "rye", "barley", "triticale"]}},
}

PRODUCTS_SQL = """
INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, nutrition,
                              dietary_tags, allergens, ingredients, status, updated_at, created_at)
SELECT catalog.product_id(%(v)s, 'p' || g), %(v)s, 'p' || g,
       initcap(nw[1 + (hashint4(g) & 1023) %% nn] || ' ' || nw[1 + (hashint4(g + 1) & 1023) %% nn]
               || CASE WHEN g %% 2 = 0 THEN ' ' || nw[1 + (hashint4(g + 2) & 1023) %% nn] ELSE '' END),
       'Brand ' || (1 + (hashint4(g + 3) & 1023) %% 200),
       (SELECT string_agg(dw[1 + (hashint8(g::bigint * 7919 + i) & 4095) %% dn], ' ')
          FROM generate_series(1, 30 + (hashint4(g + 4) & 1023) %% 200) i),
       cats[1 + (hashint4(g + 5) & 1023) %% cardinality(cats)],
       1 + (hashint4(g + 6) & 1023) / 100.0,
       jsonb_strip_nulls(jsonb_build_object(
           'energy_kcal', 50 + (hashint4(g + 10) & 511),
           'protein_g', (hashint4(g + 11) & 31),
           'fat_g', (hashint4(g + 12) & 31),
           'saturated_fat_g', round(((hashint4(g + 13) & 127) / 10.0)::numeric, 1),
           'added_sugars_g', CASE WHEN g %% 5 <> 0 THEN (hashint4(g + 14) & 31) END,
           'sugars_g', (hashint4(g + 15) & 63),
           'fiber_g', round(((hashint4(g + 16) & 127) / 10.0)::numeric, 1),
           'sodium_mg', CASE WHEN g %% 17 <> 0 THEN (hashint4(g + 17) & 1023) END,
           'carbohydrates_g', (hashint4(g + 18) & 127))),
       ARRAY(SELECT tg[1 + (hashint4(g * 31 + j) & 1023) %% cardinality(tg)] FROM generate_series(1, (hashint4(g + 20) & 3)) j
             GROUP BY 1),
       CASE WHEN (hashint4(g + 21) & 7) < 3
            THEN ARRAY(SELECT al[1 + (hashint4(g * 37 + j) & 1023) %% cardinality(al)] FROM generate_series(1, 1 + (hashint4(g + 22) & 1)) j GROUP BY 1)
            ELSE '{}' END,
       CASE WHEN (hashint4(g + 23) & 7) = 0 THEN 'wheat flour, sugar, salt'
            WHEN (hashint4(g + 23) & 7) = 1 THEN 'rye, water, yeast'
            WHEN (hashint4(g + 23) & 7) = 2 THEN 'buckwheat, oats, honey'
            ELSE 'oats, rice, sea salt' END,
       CASE WHEN (hashint4(g + 24) & 63) = 0 THEN 'inactive' ELSE 'active' END::catalog.product_status,
       now() - ((hashint4(g + 25) & 65535) * interval '8 minutes'),
       now() - interval '400 days'
  FROM generate_series(%(lo)s::integer, %(hi)s::integer) g,
       (SELECT %(nw)s::text[] AS nw, cardinality(%(nw)s::text[]) AS nn, %(dw)s::text[] AS dw, cardinality(%(dw)s::text[]) AS dn,
               %(tg)s::text[] AS tg, %(al)s::text[] AS al, %(cats)s::bigint[] AS cats) s
"""


def su_connect(autocommit: bool = True) -> psycopg.Connection:
    return psycopg.connect(setting("ODYSSEY_SUPERUSER_URL"), autocommit=autocommit)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


def summary(label: str, ms: list[float]) -> dict:
    row = {"label": label, "n": len(ms), "p50": pct(ms, 50), "p95": pct(ms, 95), "p99": pct(ms, 99),
           "mean": statistics.fmean(ms) if ms else float("nan")}
    print(f"  {label:<48} n={row['n']:>5}  P50 {row['p50']:8.2f} ms  P95 {row['p95']:8.2f} ms  P99 {row['p99']:8.2f} ms",
          flush=True)
    return row


def ensure_rules(conn: psycopg.Connection) -> None:
    for cond, policy in PLATFORM_RULES.items():
        if conn.execute("SELECT 1 FROM health.diet_rules WHERE vendor_id IS NULL AND condition_code = %s AND active",
                        (cond,)).fetchone() is None:
            conn.execute("INSERT INTO health.diet_rules (vendor_id, condition_code, policy) VALUES (NULL, %s, %s)",
                         (cond, json.dumps(policy)))
    # Allergen label words (dairy, whey, casein -> milk; tofu, edamame, tempeh -> soy) come from the
    # dictionary deployed by sqitch (schema/ref_value_synonyms).


def build_vendor(conn: psycopg.Connection, vendor: uuid.UUID, n: int, cats: list[int], batch: int = 50_000,
                 start: int = 1) -> None:
    if start == 1:
        if conn.execute("SELECT 1 FROM core.vendors WHERE id = %s", (vendor,)).fetchone():
            conn.execute("SELECT app.offboard_vendor(%s, false)", (vendor,))
            conn.execute("DELETE FROM core.vendors WHERE id = %s", (vendor,))
        conn.execute("INSERT INTO core.vendors (id, name) VALUES (%s, %s)", (vendor, f"bench {vendor}"))
    for lo in range(start, n + 1, batch):
        hi = min(n, lo + batch - 1)
        with conn.transaction():
            conn.execute("SELECT set_config('odyssey.vendor_id', %s, true)", (str(vendor),))
            conn.execute(PRODUCTS_SQL, {"v": vendor, "lo": lo, "hi": hi, "nw": NAME_WORDS, "dw": DESC_WORDS,
                                        "tg": TAGS, "al": ALLERGEN_LABELS, "cats": cats})
        if n >= 100_000:
            print(f"    {vendor}: {hi} products", flush=True)


def build_customers(conn: psycopg.Connection, vendor: uuid.UUID, n: int, rng: random.Random) -> None:
    with conn.transaction():
        conn.execute("SELECT set_config('odyssey.vendor_id', %s, true)", (str(vendor),))
        for i in range(n):
            ext = f"c{i}"
            conn.execute("""INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, gender, location)
                            VALUES (crm.customer_id(%s, %s), %s, %s, %s, %s, %s, %s, '{}') ON CONFLICT DO NOTHING""",
                         (vendor, ext, vendor, ext, f"Customer {i}", f"c{i}@bench.example", rng.randint(20, 80),
                          rng.choice(["male", "female", "other"])))
            macro = {"per_serving_max": {"sodium_mg": rng.choice([300, 450, 600])}} if rng.random() < 0.25 else {}
            conn.execute("""INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age,
                              gender, activity_level, conditions, diet_goals, avoid_allergens, macro_targets)
                            VALUES (%s, crm.customer_id(%s, %s), %s, %s, %s, %s, %s, %s, %s, %s, %s)
                            ON CONFLICT DO NOTHING""",
                         (vendor, vendor, ext, rng.randint(150, 200), rng.randint(45, 130), rng.randint(20, 80),
                          rng.choice(["male", "female", "other"]),
                          rng.choice(["sedentary", "light", "moderate", "very", "extra"]),
                          rng.sample(CONDITIONS, rng.choice([0, 0, 1, 1, 2, 3])),
                          rng.sample(TAGS, rng.choice([0, 1, 1, 2])),
                          rng.sample(["dairy", "peanuts", "tree_nuts", "egg", "soy", "sesame", "fish"], rng.choice([0, 0, 1, 2])),
                          json.dumps(macro)))


def build(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    with su_connect() as conn:
        ensure_rules(conn)
        conn.execute("""INSERT INTO catalog.tax_categories (code, label)
                        SELECT 'bench-cat-' || g, 'Bench category ' || g FROM generate_series(1, 24) g
                        ON CONFLICT (code) DO NOTHING""")
        cats = [r[0] for r in conn.execute("SELECT id FROM catalog.tax_categories WHERE code LIKE 'bench-cat-%' ORDER BY id")]
        t0 = time.monotonic()
        if args.big_from == 1:
            print(f"building {args.others} vendors x {args.other_products} products", flush=True)
            for i in range(args.others):
                build_vendor(conn, uuid.UUID(int=BIG.int + 1 + i), args.other_products, cats)
        print(f"  done in {time.monotonic() - t0:.0f} s; big vendor: {args.products} products", flush=True)
        t0 = time.monotonic()
        build_vendor(conn, BIG, args.products, cats, start=args.big_from)
        print(f"  done in {time.monotonic() - t0:.0f} s; customers", flush=True)
        build_customers(conn, BIG, args.customers, rng)
        t0 = time.monotonic()
        conn.execute("VACUUM (ANALYZE) catalog.products")
        conn.execute("VACUUM (ANALYZE) matching.product_features")
        conn.execute("ANALYZE crm.customers")
        conn.execute("ANALYZE health.customer_health_profiles")
        print(f"  vacuum/analyze {time.monotonic() - t0:.0f} s", flush=True)


DESC_ONLY_WORDS = [w for w in DESC_WORDS if w not in NAME_WORDS]


def search_workload(rng: random.Random, n: int, cats: list[int]) -> list[tuple]:
    out = []
    for _ in range(n):
        words = rng.sample(NAME_WORDS, rng.choice([1, 1, 2, 2, 3]))
        if rng.random() < 0.15:   # a word of the descriptions only ("rich", "texture"): no name holds it
            words[-1] = rng.choice(DESC_ONLY_WORDS)
        q = " ".join(words)
        f: dict = {}
        r = rng.random()
        if r < 0.2:
            f["tags.any"] = rng.sample(TAGS, 1)
        elif r < 0.35:
            f["allergens.none"] = ["dairy"]
        elif r < 0.45:
            f["category_id"] = rng.choice(cats)
        elif r < 0.5:
            f["brand"] = f"Brand {rng.randint(1, 200)}"
        sort = "-updated_at" if rng.random() < 0.15 else "relevance"
        out.append((q, json.dumps(f), sort))
    return out


def run_clients(clients: int, jobs: list, fn) -> list[float]:
    """Runs fn(conn, job) -> ms over jobs split across `clients` threads, each with its own connection.
    Each connection first makes one untimed call (its first job): a connection of the gateway's pool
    is warm, a new one loads the catalog caches of every partition it touches (~40-900 ms)."""
    lat: list[float] = []
    lock = threading.Lock()
    chunks = [jobs[i::clients] for i in range(clients)]

    def worker(chunk: list) -> None:
        with su_connect(autocommit=False) as conn:
            if chunk:
                fn(conn, chunk[0])
            mine = [fn(conn, j) for j in chunk]
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat


def in_tenant(conn: psycopg.Connection, role: str) -> None:
    conn.execute("SELECT set_config('role', %s, true), set_config('odyssey.vendor_id', %s, true)", (role, str(BIG)))


def timed(conn: psycopg.Connection, sql: str, params: tuple, role: str) -> float:
    in_tenant(conn, role)
    t = time.perf_counter()
    conn.execute(sql, params).fetchall()
    ms = (time.perf_counter() - t) * 1000
    conn.commit()
    return ms


def search_call(conn: psycopg.Connection, job: tuple) -> float:
    return timed(conn, "SELECT api.search_products(%s, %s::jsonb, %s, NULL, 20)", job, "odyssey_vendor_viewer")


def naive_search_call(conn: psycopg.Connection, job: tuple) -> float:
    q = job[0]
    return timed(conn, """SELECT id FROM catalog.products WHERE vendor_id = %s AND status = 'active' AND soft_deleted_at IS NULL
                          AND search_tsv @@ websearch_to_tsquery('english', %s)
                          ORDER BY ts_rank(search_tsv, websearch_to_tsquery('english', %s)) DESC, id LIMIT 20""",
                 (BIG, q, q), "odyssey_vendor_viewer")


def match_miss(conn: psycopg.Connection, cid: str) -> float:
    in_tenant(conn, "odyssey_vendor_operator")
    conn.execute("DELETE FROM matching.matches_cache WHERE vendor_id = %s AND customer_id = %s", (BIG, cid))
    t = time.perf_counter()
    conn.execute("SELECT api.match_products(%s, 20)", (cid,)).fetchall()
    ms = (time.perf_counter() - t) * 1000
    conn.commit()
    return ms


def match_hit(conn: psycopg.Connection, cid: str) -> float:
    return timed(conn, "SELECT api.match_products(%s, 20)", (cid,), "odyssey_vendor_operator")


NAIVE_MATCH = """
WITH prof AS (SELECT * FROM health.customer_health_profiles WHERE vendor_id = %(v)s AND customer_id = %(c)s),
avoid AS (SELECT prof.avoid_allergens || ARRAY(SELECT jsonb_array_elements_text(prof.derived_limits #> '{hard,exclude_allergens}')) AS a FROM prof),
syn AS (SELECT avoid.a || ARRAY(SELECT unnest(sv.synonyms) FROM ingest.synonyms_value sv WHERE sv.domain = 'allergen' AND sv.canonical = ANY (avoid.a)) AS labels FROM avoid)
SELECT p.id, round((
         CASE WHEN (prof.derived_limits ->> 'fiber_bonus')::boolean AND prof.derived_limits #> '{limits,fiber_g,min}' IS NOT NULL
              THEN coalesce((p.nutrition ->> 'fiber_g')::float8, 0) / (prof.derived_limits #>> '{limits,fiber_g,min}')::float8 ELSE 0 END
       - (SELECT coalesce(sum(coalesce((p.nutrition ->> l.key)::float8, 0) / greatest((l.value ->> 'max')::float8, 1e-6)), 0)
            FROM jsonb_each(prof.derived_limits -> 'limits') l WHERE l.value ? 'max')
       + CASE WHEN cardinality(prof.diet_goals) > 0
              THEN 0.5 * (SELECT count(*) FROM unnest(prof.diet_goals) g WHERE g = ANY (p.dietary_tags))::float8 / cardinality(prof.diet_goals) ELSE 0 END
       )::numeric, 6) AS score
  FROM catalog.products p, prof, syn
 WHERE p.vendor_id = %(v)s AND p.status = 'active' AND p.soft_deleted_at IS NULL
   AND NOT (p.allergens && syn.labels)
   AND NOT EXISTS (SELECT FROM jsonb_array_elements_text(prof.derived_limits #> '{hard,exclude_ingredients}') x
                    WHERE to_tsvector('simple', coalesce(p.ingredients, '')) @@ phraseto_tsquery('simple', x))
   AND NOT EXISTS (SELECT FROM jsonb_each_text(prof.macro_targets -> 'per_serving_max') m
                    WHERE (p.nutrition ->> m.key) IS NULL OR (p.nutrition ->> m.key)::float8 > m.value::float8)
 ORDER BY 2 DESC, p.updated_at DESC, p.id
 LIMIT 20
"""


def measure(args: argparse.Namespace) -> None:
    rng = random.Random(11)
    with su_connect() as conn:
        cats = [r[0] for r in conn.execute("SELECT id FROM catalog.tax_categories WHERE code LIKE 'bench-cat-%' ORDER BY id")]
        conn.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (str(BIG),))
        n_products = conn.execute("SELECT count(*) FROM catalog.products WHERE vendor_id = %s", (BIG,)).fetchone()[0]
        n_vendors = conn.execute("SELECT count(*) FROM core.vendors").fetchone()[0]
        customers = [str(r[0]) for r in conn.execute(
            "SELECT customer_id FROM health.customer_health_profiles WHERE vendor_id = %s ORDER BY customer_id", (BIG,))]
        conn.execute("SELECT set_config('odyssey.vendor_id', '', false)")
    print(f"\nbig vendor: {n_products} products; vendors in the cluster: {n_vendors}; customers with profiles: {len(customers)}")
    results = []
    jobs = search_workload(rng, args.search_queries, cats)
    for c in (1, 8):
        print(f"search, {c} client(s)")
        run_clients(c, jobs[:20], search_call)   # warm-up
        results.append(summary(f"search api ({c} clients)", run_clients(c, jobs, search_call)))
    if args.match_customers is not None:
        customers = customers[:args.match_customers]
    print("match, cache miss / hit")
    for c in ((1, 8) if customers else ()):
        results.append(summary(f"match miss k=20 ({c} clients)", run_clients(c, customers, match_miss)))
        results.append(summary(f"match hit k=20 ({c} clients)", run_clients(c, customers, match_hit)))
    if args.baseline_queries:
        print("naive baselines (1 client)")
        results.append(summary("naive search GIN + ts_rank (1 client)", run_clients(1, jobs[:args.baseline_queries], naive_search_call)))
        sample = customers[:args.baseline_customers]
        naive_ms: list[float] = []
        agree = 0
        with su_connect(autocommit=False) as conn:
            for cid in sample:
                in_tenant(conn, "odyssey_vendor_operator")
                t = time.perf_counter()
                naive = [str(r[0]) for r in conn.execute(NAIVE_MATCH, {"v": BIG, "c": cid})]
                naive_ms.append((time.perf_counter() - t) * 1000)
                got = conn.execute("SELECT matching.match_products_for_customer(%s, 20)", (cid,)).fetchone()[0]
                agree += [it["product_id"] for it in got["items"]] == naive
                conn.commit()
        results.append(summary("naive match: score every product (1 client)", naive_ms))
        print(f"  exactness: top-20 identical to the naive full scan for {agree}/{len(sample)} customers "
              "(naive ignores white/blacklists and vendor weights: none exist in the benchmark)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--products", type=int, default=500_000)
    ap.add_argument("--others", type=int, default=49)
    ap.add_argument("--other-products", type=int, default=2_000)
    ap.add_argument("--customers", type=int, default=300)
    ap.add_argument("--search-queries", type=int, default=400)
    ap.add_argument("--match-customers", type=int, default=None,
                    help="measure matching for the first N customers with profiles (default all; 0 skips matching)")
    ap.add_argument("--baseline-queries", type=int, default=30)
    ap.add_argument("--baseline-customers", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="skip building; measure the data already there")
    ap.add_argument("--big-from", type=int, default=1, help="resume building the big vendor from this product number")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    if not args.reuse:
        build(args)
    measure(args)


if __name__ == "__main__":
    main()
