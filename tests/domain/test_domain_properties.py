"""Hypothesis properties of health derivations, matching and search against an independent Python
reference (tests/domain/domain_reference.py). Each test function runs in one transaction that is rolled
back, each example in a savepoint rolled back; the module's vendor is offboarded and deleted at the end."""
from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import domain_reference as ref

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

POLICIES: dict[str, dict] = {
    "general": {"limits": {"sodium_mg": {"max": 2300}, "added_sugars_g": {"max": 50},
                           "saturated_fat_g": {"max": 20}, "fiber_g": {"min": 28}}},
    "type2_diabetes": {"limits": {"added_sugars_g": {"max": 25}, "fiber_g": {"min_per_1000_kcal": 14},
                                  "sodium_mg": {"max": 2300}}, "scoring": {"fiber_bonus": True}},
    "hypertension": {"limits": {"sodium_mg": {"max": 1500}}},
    "heart_disease": {"limits": {"saturated_fat_g": {"max_pct_kcal": 6}}},
    "ckd": {"limits": {"protein_g": {"max_per_kg": 0.6}, "sodium_mg": {"max": 2300}}},
    "celiac": {"hard": {"exclude_allergens": ["wheat"],
                        "exclude_ingredients": ["wheat", "rye", "barley", "spelt"]}},
}
LAX_GENERAL = {"limits": {"sodium_mg": {"max": 5000}, "added_sugars_g": {"max": 100},
                          "saturated_fat_g": {"max": 40}, "fiber_g": {"min": 12}}}
# Label words the seeded dictionary maps (the reference model uses exactly these).
SYNONYMS = {"milk": ["dairy", "whey", "casein"], "peanuts": ["groundnut"], "soy": ["tofu", "edamame"]}
LABEL_TO_CODE = {w: code for code, words in SYNONYMS.items() for w in words} | {c: c for c in ref.ALLERGENS}
TAGS = ["vegan", "vegetarian", "keto", "high_fiber", "low_sodium"]
INGREDIENTS = [None, "wheat flour, salt", "buckwheat groats", "rye bread crumbs", "oats, honey", "spelt, water"]
CONDITIONS = ["type2_diabetes", "hypertension", "heart_disease", "ckd", "celiac"]


@pytest.fixture(scope="module")
def vendor(superuser_url: str) -> Iterator[str]:
    vid = str(uuid.uuid4())
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute("INSERT INTO core.vendors (id, name) VALUES (%s, %s)", (vid, f"domain-props-{vid}"))
    yield vid
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute("SELECT app.offboard_vendor(%s, false)", (vid,))
        conn.execute("DELETE FROM core.vendors WHERE id = %s", (vid,))


@pytest.fixture()
def tx(superuser_url: str, vendor: str) -> Iterator[tuple[psycopg.Connection, int]]:
    """One transaction per test function (rolled back at the end) holding this module's diet rules,
    synonyms, tenant and category; each example runs in a savepoint that is rolled back."""
    with psycopg.connect(superuser_url) as conn:
        conn.execute("UPDATE health.diet_rules SET active = false WHERE active")
        for cond, policy in POLICIES.items():
            conn.execute("INSERT INTO health.diet_rules (vendor_id, condition_code, policy) VALUES (NULL, %s, %s)",
                         (cond, json.dumps(policy)))
        # SYNONYMS are words of the seeded allergen dictionary (schema/ref_value_synonyms).
        conn.execute("SELECT set_config('odyssey.vendor_id', %s, false)", (vendor,))
        cat = conn.execute("""INSERT INTO catalog.tax_categories (code, label) VALUES (%s, 'prop') RETURNING id""",
                           (f"prop-{uuid.uuid4().hex[:12]}",)).fetchone()[0]
        yield conn, cat
        conn.rollback()


# ---------------------------------------------------------------- health formulas

genders = st.sampled_from(["male", "female", "other", "unspecified"])
levels = st.sampled_from(list(ref.ACTIVITY))
weights = st.decimals(min_value=Decimal("10"), max_value=Decimal("400"), places=2)
heights = st.decimals(min_value=Decimal("50"), max_value=Decimal("250"), places=2)
ages = st.integers(min_value=2, max_value=120)


@SETTINGS
@given(w=weights, h=heights, age=ages, gender=genders, level=levels,
       conds=st.lists(st.sampled_from(CONDITIONS), unique=True, max_size=3))
def test_health_derivations_match_reference(tx: tuple[psycopg.Connection, int], vendor: str, w: Decimal, h: Decimal,
                                            age: int, gender: str, level: str, conds: list[str]) -> None:
    conn, _ = tx
    with conn.transaction(force_rollback=True):
        check_health(conn, vendor, w, h, age, gender, level, conds)


def check_health(tx: psycopg.Connection, vendor: str, w: Decimal, h: Decimal, age: int, gender: str, level: str,
                 conds: list[str]) -> None:
    ext = f"h-{uuid.uuid4().hex[:10]}"
    cid = tx.execute("""INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, location)
                        VALUES (crm.customer_id(%s, %s), %s, %s, 'N', 'n@example.com', %s, '{}') RETURNING id""",
                     (vendor, ext, vendor, ext, age)).fetchone()[0]
    if not Decimal(5) <= ref.bmi(w, h) <= Decimal(250):
        with pytest.raises(psycopg.errors.CheckViolation) as err, tx.transaction():
            tx.execute("""INSERT INTO health.customer_health_profiles
                            (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level)
                          VALUES (%s, %s, %s, %s, %s, %s, %s)""", (vendor, cid, h, w, age, gender, level))
        assert "weight_kg" in (err.value.diag.message_detail or "")
        return
    row = tx.execute("""INSERT INTO health.customer_health_profiles
                          (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level, conditions)
                        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                        RETURNING bmi, bmr, tdee_cached, bmr_estimated, derived_limits,
                                  health.bmr(%s, %s, %s::integer, %s::crm.gender), health.bmi(%s, %s)""",
                     (vendor, cid, h, w, age, gender, level, conds, w, h, age, gender, w, h)).fetchone()
    s_bmi, s_bmr, s_tdee, s_est, s_limits, f_bmr, f_bmi = row
    assert f_bmr == ref.bmr(w, h, age, gender)
    assert abs(f_bmi - ref.bmi(w, h)) < Decimal("1e-12")
    assert s_bmr == ref.r2(ref.bmr(w, h, age, gender))
    assert s_tdee == ref.r2(ref.tdee(w, h, age, gender, level))
    assert s_bmi == ref.r2(ref.bmi(w, h))
    assert s_est is (gender in ("other", "unspecified"))
    expected = ref.derive_limits(POLICIES, conds, w, ref.r2(ref.tdee(w, h, age, gender, level)))
    got = {k: {d: Decimal(str(v[d])) for d in ("max", "min") if d in v} for k, v in s_limits["limits"].items()}
    assert got == expected


# ---------------------------------------------------------------- matching

nutrition = st.fixed_dictionaries({}, optional={
    "sodium_mg": st.integers(0, 1500), "added_sugars_g": st.integers(0, 40), "saturated_fat_g": st.integers(0, 15),
    "fiber_g": st.integers(0, 15), "protein_g": st.integers(0, 50), "energy_kcal": st.integers(0, 800)})
products = st.lists(st.fixed_dictionaries({
    "nutrition": nutrition,
    "tags": st.lists(st.sampled_from(TAGS), unique=True, max_size=2),
    "labels": st.lists(st.sampled_from(sorted(LABEL_TO_CODE)), unique=True, max_size=2),
    "ingredients": st.sampled_from(INGREDIENTS),
    "active": st.integers(0, 5).map(lambda n: n != 0),
    "deleted": st.integers(0, 9).map(lambda n: n == 0),
    "updated": st.integers(0, 3),
}), min_size=1, max_size=40)
profiles = st.fixed_dictionaries({
    "conds": st.lists(st.sampled_from(CONDITIONS), unique=True, max_size=3),
    "avoid": st.lists(st.sampled_from(sorted(LABEL_TO_CODE)), unique=True, max_size=2),
    "goals": st.lists(st.sampled_from(TAGS), unique=True, max_size=2),
    "ps_sodium": st.none() | st.integers(100, 1200),
    "lax_general": st.booleans(),      # a vendor general rule laxer than the reference values
    "weight": st.decimals(min_value=Decimal("40"), max_value=Decimal("150"), places=2),
    "height": st.decimals(min_value=Decimal("145"), max_value=Decimal("210"), places=2), "age": st.integers(18, 90), "gender": genders, "level": levels,
    "weights": st.none() | st.tuples(st.sampled_from([0.5, 1.0, 2.0]), st.sampled_from([0.0, 0.5, 3.0]), st.sampled_from([0.0, 1.0, 5.0])),
})


def bulk_items(n: int, seed: int) -> list[dict]:
    """n more active products from coarse values, so a catalog outgrows matching's first list depth
    (40) and the early-stopping rounds run, with many ties on score and on recency."""
    rng = random.Random(seed)
    zero = rng.choice([0.0, 0.3, 0.6])                     # share of products without the nutrient
    fiber = rng.choice([[0, 1, 2], [0, 3, 8, 14], list(range(15))])

    def amount(values: list[int]) -> int:
        return 0 if rng.random() < zero else rng.choice(values)
    return [{"nutrition": {"sodium_mg": amount([5, 50, 140, 400, 900]), "added_sugars_g": amount([1, 2, 10, 30]),
                           "saturated_fat_g": amount([1, 2, 5, 9]), "fiber_g": rng.choice(fiber),
                           "protein_g": rng.choice([0, 5, 20])},
             "tags": rng.sample(TAGS, rng.choice([0, 0, 1, 2])), "labels": rng.sample(sorted(LABEL_TO_CODE), rng.choice([0, 0, 0, 1])),
             "ingredients": rng.choice(INGREDIENTS), "active": True, "deleted": False, "updated": rng.randint(0, 3)}
            for _ in range(n)]


def words(text: str | None) -> set[str]:
    return set(re.findall(r"[a-z]+", (text or "").lower()))


@settings(SETTINGS, max_examples=80)
@given(items=products, prof=profiles, k=st.integers(1, 12), bulk=st.sampled_from([0, 60, 150, 300]),
       seed=st.integers(0, 2**16), depth=st.sampled_from([1, 3, 8, None]), data=st.data())
def test_matching_equals_brute_force_reference(tx: tuple[psycopg.Connection, int], vendor: str, items: list[dict],
                                               prof: dict, k: int, bulk: int, seed: int, depth: int | None,
                                               data: st.DataObject) -> None:
    """depth: matching's first list depth (None = its default); a small one makes the early-stopping
    bounds decide over many rounds. The result must not depend on it."""
    conn, cat = tx
    with conn.transaction(force_rollback=True):
        check_matching(conn, cat, vendor, items + bulk_items(bulk, seed), prof, k, depth, data)


def check_matching(tx: psycopg.Connection, cat: int, vendor: str, items: list[dict], prof: dict, k: int,
                   depth: int | None, data: st.DataObject) -> None:
    tag = uuid.uuid4().hex[:8]
    catalog: list[ref.Product] = []
    rows = []
    for i, it in enumerate(items):
        ext = f"m-{tag}-{i}"
        rows.append({"ext": ext, "nutrition": it["nutrition"], "tags": it["tags"], "allergens": it["labels"],
                     "ingredients": it["ingredients"], "status": "active" if it["active"] else "inactive",
                     "deleted": it["deleted"], "updated": f"2026-01-0{it['updated'] + 1}T00:00:00Z"})
    inserted = tx.execute("""
        INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, nutrition,
                                      dietary_tags, allergens, ingredients, status, soft_deleted_at, updated_at)
        SELECT catalog.product_id(%(v)s, r.ext), %(v)s, r.ext, 'P ' || r.ext, 'B', 'd', %(cat)s, 1, r.nutrition,
               r.tags, r.allergens, r.ingredients, r.status::catalog.product_status,
               CASE WHEN r.deleted THEN now() END, r.updated
          FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(ext text, nutrition jsonb, tags text[], allergens text[],
                                                       ingredients text, status text, deleted boolean, updated timestamptz)
        RETURNING external_id, id::text""", {"v": vendor, "cat": cat, "rows": json.dumps(rows)}).fetchall()
    ids = dict(inserted)
    for r in rows:
        catalog.append(ref.Product(
            pid=ids[r["ext"]], nutrition={kk: float(vv) for kk, vv in r["nutrition"].items()}, tags=r["tags"],
            allergens=[LABEL_TO_CODE[x] for x in r["allergens"]], ingredients_words=words(r["ingredients"]),
            active=r["status"] == "active", deleted=r["deleted"], updated_at=int(r["updated"][9])))

    cext = f"c-{tag}"
    cid = str(tx.execute("""INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, location)
                            VALUES (crm.customer_id(%s, %s), %s, %s, 'N', 'n@example.com', 40, '{}') RETURNING id""",
                         (vendor, cext, vendor, cext)).fetchone()[0])
    macro = {"per_serving_max": {"sodium_mg": prof["ps_sodium"]}} if prof["ps_sodium"] is not None else {}
    policies = POLICIES
    if prof["lax_general"]:
        # Lax enough that a diabetic customer's fiber weight exceeds the penalty bound (the two-list bound).
        policies = POLICIES | {"general": LAX_GENERAL}
        tx.execute("INSERT INTO health.diet_rules (vendor_id, condition_code, policy) VALUES (%s, 'general', %s)",
                   (vendor, json.dumps(LAX_GENERAL)))
    tx.execute("""INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender,
                    activity_level, conditions, diet_goals, avoid_allergens, macro_targets)
                  VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
               (vendor, cid, prof["height"], prof["weight"], prof["age"], prof["gender"], prof["level"], prof["conds"],
                prof["goals"], prof["avoid"], json.dumps(macro)))
    pids = [p.pid for p in catalog]
    black = set(data.draw(st.lists(st.sampled_from(pids), unique=True, max_size=3)))
    white = set(data.draw(st.lists(st.sampled_from(pids), unique=True, max_size=3))) - black
    for pid in black:
        tx.execute("INSERT INTO crm.customer_blacklists (vendor_id, customer_id, product_id) VALUES (%s, %s, %s)", (vendor, cid, pid))
    for pid in white:
        tx.execute("INSERT INTO crm.customer_whitelists (vendor_id, customer_id, product_id) VALUES (%s, %s, %s)", (vendor, cid, pid))
    wts = prof["weights"] or (1.0, 0.5, 1.0)
    if prof["weights"] is not None:
        tx.execute("INSERT INTO matching.scoring_policies (vendor_id, weights) VALUES (%s, %s)",
                   (vendor, json.dumps({"budget_fit": wts[0], "preference_fit": wts[1], "whitelist": wts[2]})))

    tdee2 = ref.r2(ref.tdee(prof["weight"], prof["height"], prof["age"], prof["gender"], prof["level"]))
    conds = prof["conds"]
    customer = ref.Customer(
        limits=ref.derive_limits(policies, conds, prof["weight"], tdee2),
        fiber_bonus=any(policies[c].get("scoring", {}).get("fiber_bonus") for c in ["general", *conds]),
        avoid={LABEL_TO_CODE[a] for a in prof["avoid"]} | ({"wheat"} if "celiac" in conds else set()),
        exclude_words={"wheat", "rye", "barley", "spelt"} if "celiac" in conds else set(),
        per_serving_max={"sodium_mg": float(prof["ps_sodium"])} if prof["ps_sodium"] is not None else {},
        goals=prof["goals"], blacklist=black, whitelist=white, weights=wts)
    expected = ref.top_k(catalog, customer, k)

    result = tx.execute("SELECT matching.match_products_for_customer(%s, %s, %s)", (cid, k, depth)).fetchone()[0]
    got = [(it["product_id"], Decimal(str(it["score"]))) for it in result["items"]]
    assert [g[0] for g in got] == [e[0] for e in expected]
    assert [g[1] for g in got] == [e[1] for e in expected]
    forbidden = {p.pid for p in catalog if not ref.eligible(p, customer)}
    assert not forbidden & {g[0] for g in got}
    event(f"matching: {result['stats']['bound_mode']} bound, {result['stats']['rounds']} round(s)")  # --hypothesis-show-statistics
    again = tx.execute("SELECT matching.match_products_for_customer(%s, %s)", (cid, k)).fetchone()[0]
    assert again["items"] == result["items"]


# ---------------------------------------------------------------- search paging

VOCAB = ["granola", "honey", "almond", "oat", "crunchy", "cocoa"]


@SETTINGS
@given(names=st.lists(st.lists(st.sampled_from(VOCAB), min_size=1, max_size=3), min_size=1, max_size=60),
       q=st.sampled_from(VOCAB + ["granola honey", "oat OR cocoa", ""]), size=st.integers(1, 15),
       sort=st.sampled_from(["relevance", "-updated_at", None]),
       stamps=st.lists(st.integers(0, 2), min_size=60, max_size=60))
def test_search_paging_returns_each_row_once(tx: tuple[psycopg.Connection, int], vendor: str, names: list[list[str]],
                                             q: str, size: int, sort: str | None, stamps: list[int]) -> None:
    conn, cat = tx
    with conn.transaction(force_rollback=True):
        check_paging(conn, cat, vendor, names, q, size, sort, stamps)


def check_paging(tx: psycopg.Connection, cat: int, vendor: str, names: list[list[str]], q: str, size: int,
                 sort: str | None, stamps: list[int]) -> None:
    tag = uuid.uuid4().hex[:8]
    rows = [{"ext": f"s-{tag}-{i}", "name": " ".join(n), "updated": f"2026-02-0{stamps[i] + 1}T00:00:00Z"}
            for i, n in enumerate(names)]
    tx.execute("""INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, updated_at)
                  SELECT catalog.product_id(%(v)s, r.ext), %(v)s, r.ext, r.name, 'Brand', 'plain text', %(cat)s, 1, r.updated
                    FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(ext text, name text, updated timestamptz)""",
               {"v": vendor, "cat": cat, "rows": json.dumps(rows)})
    # Reference: products of this example whose name contains every query word (OR: any).
    if q == "":
        expected = {r["ext"] for r in rows}
    elif " OR " in q:
        expected = {r["ext"] for r in rows if set(r["name"].split()) & set(q.split(" OR "))}
    else:
        expected = {r["ext"] for r in rows if set(q.split()) <= set(r["name"].split())}
    filters = json.dumps({"updated_after": "2026-01-15T00:00:00Z"})  # scopes the search to this example's rows
    tx.execute("SELECT set_config('role', 'odyssey_vendor_viewer', true)")  # as the gateway would
    seen: list[str] = []
    cursor = None
    for _ in range(1000):
        page = tx.execute("SELECT api.search_products(%s, %s, %s, %s, %s)", (q or None, filters, sort, cursor, size)).fetchone()[0]
        assert len(page["items"]) <= size
        seen += [it["external_id"] for it in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "a row came back twice"
    assert set(seen) == expected
    whole = tx.execute("SELECT api.search_products(%s, %s, %s, NULL, 200)", (q or None, filters, sort)).fetchone()[0]
    assert seen == [it["external_id"] for it in whole["items"]]
