"""Property: any products CSV a vendor might send -- header spellings drawn from the deployed header
dictionary, any column order, quoting, delimiter (, ; TAB), encoding (UTF-8 with or without BOM,
Windows-1252), CRLF or LF, blank lines, and bad rows of every kind -- goes through a real worker
so that every good row is a product with the typed values an independent reference expects
(tests/pipeline/pipeline_reference.py), every bad row is reported with its row number, field and
code, and the totals add up. The worker's COPY chunks are tiny, so that files span several chunks
and both the COPY path and the record-by-record path (taken by chunks with unreadable records)
are exercised."""
from __future__ import annotations

import csv
import io
import itertools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipeline_reference as ref
from conftest import Workers, job_errors, submit, wait_job

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])
REQUIRED = ["external_id", "name", "category", "price"]
OPTIONAL = ["brand", "description", "currency", "status", "barcode", "serving_size", "ingredients", "allergens",
            "dietary_tags", "energy_kcal", "sodium_mg", "protein_g", "fiber_g", "sugars_g"]
NUTRIENTS = ["energy_kcal", "sodium_mg", "protein_g", "fiber_g", "sugars_g"]
WORDS_1252 = ["Crème", "brûlée", "Café", "Jalapeño", "Müsli", "Œufs", "Piña", "Smörgås", "naïve", "Façon"]
WORDS_ASCII = ["Oat", "drink", "Rye", "bread", "Trail", "mix", "Greek", "yogurt", "Pasta", "sauce", "Tea"]
WORDS_UTF8 = ["Żurek", "寿司", "Łosoś"]
RUNS = itertools.count(1)


@dataclass
class Dictionary:
    """The deployed header dictionary and taxonomy, read once."""
    headers: dict[str, list[tuple[list[str], list[str]]]]   # field -> [(ops, synonyms)]
    categories: list[tuple[str, str, str]]                    # (code, label, code)


@pytest.fixture(scope="module")
def dictionary(superuser_url: str) -> Dictionary:
    with psycopg.connect(superuser_url) as conn:
        headers: dict[str, list] = {}
        for canonical, ops, synonyms in conn.execute(
                "select canonical, transform_ops, synonyms from ingest.synonyms_header where mode = 'products' order by id"):
            headers.setdefault(canonical, []).append((ops, synonyms))
        cats = conn.execute("""select code, label from catalog.tax_categories c
                                where (select count(*) from catalog.tax_categories o
                                        where lower(o.label) = lower(c.label) or o.code = lower(c.label)) = 1
                                order by id""").fetchall()
    return Dictionary(headers, [(code, label, code) for code, label in cats])


@pytest.fixture(scope="module")
def env(new_vendor, module_worker_small_chunks) -> str:
    return new_vendor("products property")


@pytest.fixture(scope="module")
def module_worker_small_chunks(store, tmp_path_factory):
    w = Workers(store, tmp_path_factory.mktemp("worker"))
    w.start("--concurrency", "2", "--poll-interval", "0.5", env={"ODYSSEY_INGEST_CHUNK_BYTES": "600"})
    yield w
    w.stop_all()


class Draw:
    """The few random.Random methods the generators use, drawn from hypothesis (so that failing
    files shrink)."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def choice(self, seq):
        return self.data.draw(st.sampled_from(list(seq)))

    def randint(self, a: int, b: int) -> int:
        return self.data.draw(st.integers(a, b))

    def random(self) -> float:
        return self.data.draw(st.integers(0, 99)) / 100

    def shuffle(self, items: list) -> None:
        items[:] = self.data.draw(st.permutations(items))

    def sample(self, seq, k: int) -> list:
        return self.data.draw(st.lists(st.sampled_from(list(seq)), min_size=k, max_size=k, unique=True))


@dataclass
class Column:
    field: str
    ops: list[str]
    header: str


@dataclass
class Row:
    kind: str
    cells: dict[str, str] = field(default_factory=dict)   # field -> cell text ('' = empty)
    expected: dict | None = None                          # typed values of a good row
    errors: list[tuple[str | None, str]] = field(default_factory=list)


def spelled(rnd: Draw, synonym: str) -> str:
    """A header spelling of a normalized synonym: other separators, other case, blanks around."""
    sep = rnd.choice([" ", "-", "_", "."])
    text = synonym.replace("_", sep)
    text = rnd.choice([text, text.upper(), text.title(), text.capitalize()])
    return rnd.choice(["", " "]) + text + rnd.choice(["", " "])


def number(rnd: Draw, lo: int, hi: int) -> Decimal:
    return Decimal(rnd.randint(lo * 100, hi * 100)) / 100


def product_file(rnd: Draw, dic: Dictionary, run: int) -> tuple[dict, list[Column], list[Row]]:
    fmt = {"delimiter": rnd.choice([",", ";", "\t"]), "encoding": rnd.choice(["utf-8", "utf-8-sig", "cp1252"]),
           "eol": rnd.choice(["\n", "\r\n"]), "quoting": rnd.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])}
    fields = REQUIRED + [f for f in OPTIONAL if rnd.random() < 0.5]
    columns = []
    for f in fields:
        variants = [(ops, syns) for ops, syns in dic.headers[f]] if f in NUTRIENTS else [dic.headers[f][0]]
        ops, syns = rnd.choice(variants)
        columns.append(Column(f, ops, spelled(rnd, rnd.choice(syns))))
    rnd.shuffle(columns)
    words = WORDS_ASCII + WORDS_1252 + (WORDS_UTF8 if fmt["encoding"] != "cp1252" else [])
    have = {c.field: c for c in columns}
    rows: list[Row] = []
    kinds = ["good"] * 6 + ["bad_price", "missing_price", "missing_name", "missing_category", "unknown_category",
                            "bad_nutrient", "negative_nutrient", "duplicate", "short", "long", "empty_fields"]
    for i in range(rnd.randint(1, 25)):
        kind = rnd.choice(kinds)
        ext = f"r{run}-{i}"
        cells: dict[str, str] = {}
        exp: dict = {"external_id": ext}
        cells["external_id"] = rnd.choice(["", " "]) + ext + rnd.choice(["", " "])
        name = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 3)))
        cells["name"] = name
        exp["name"] = name
        code, label, _ = rnd.choice(dic.categories)
        cells["category"] = rnd.choice([code, label, label.upper(), label.lower()])
        exp["category"] = code
        price = number(rnd, 0, 3000)
        style = rnd.choice(["plain", "comma", "dollar", "thousands_comma", "thousands_point"])
        cells["price"] = ("$" + ref.spell_number(price, "plain")) if style == "dollar" else ref.spell_number(price, style)
        exp["price"] = price
        exp["brand"] = ""
        if "brand" in have:
            cells["brand"] = rnd.choice(["", rnd.choice(words)])
            exp["brand"] = cells["brand"]
        exp["description"] = ""
        if "description" in have:
            cells["description"] = rnd.choice(["", "Creamy, smooth; \"best\" € 2", "Line one\nline two", rnd.choice(words)])
            exp["description"] = cells["description"]
        exp["currency"] = "USD"
        if "currency" in have:
            cells["currency"] = rnd.choice(["", "usd", "EUR", "gbp"])
            exp["currency"] = cells["currency"].upper() or "USD"
        exp["status"] = "active"
        if "status" in have:
            cells["status"] = rnd.choice(["", "active", "Inactive", "ACTIVE"])
            exp["status"] = cells["status"].lower() or "active"
        exp["barcode"] = exp["gtin_type"] = None
        if "barcode" in have and rnd.random() < 0.7:
            digits = f"{run:06d}{i:03d}" + "".join(rnd.choice("0123456789") for _ in range(rnd.choice([3, 4])))
            cells["barcode"] = rnd.choice([digits, f"{digits[:3]} {digits[3:]}", f"{digits[:4]}-{digits[4:]}"])
            exp["barcode"], exp["gtin_type"] = digits, ref.gtin_type(digits)
        serving = None
        if "serving_size" in have:
            serving = rnd.choice(["", *ref.SERVINGS])
            cells["serving_size"] = serving
        exp["serving_size"] = serving or None
        exp["ingredients"] = None
        if "ingredients" in have:
            cells["ingredients"] = rnd.choice(["", " ", "oats, water", "  wheat flour; salt "])
            exp["ingredients"] = cells["ingredients"].strip() or None
        for lst, table in (("allergens", ref.ALLERGEN_WORDS), ("dietary_tags", ref.DIET_WORDS)):
            exp[lst] = []
            if lst in have:
                chosen = rnd.sample(sorted(table), rnd.randint(0, 3))
                cells[lst] = rnd.choice(["; ", ", ", "|"]).join(chosen)
                exp[lst] = ref.codes(chosen, table)
        exp["nutrition"] = {}
        for nut in NUTRIENTS:
            if nut in have and rnd.random() < 0.8:
                value = number(rnd, 0, 100)
                cells[nut] = ref.spell_number(value, rnd.choice(["plain", "comma"]))
                exp["nutrition"][nut] = ref.converted(value, have[nut].ops, serving)
        row = Row(kind, cells, exp)
        staged = [r for r in rows if r.kind not in ("short", "long")]
        if kind == "bad_price":
            cells["price"] = rnd.choice(["abc", "n/a", "12 dollars", "1.2.3"])
            row.errors = [("price", "bad_number")]
        elif kind == "missing_price":
            cells["price"] = rnd.choice(["", " "])
            row.errors = [("price", "required")]
        elif kind == "missing_name":
            cells["name"] = rnd.choice(["", "  "])
            row.errors = [("name", "required")]
        elif kind == "missing_category":
            cells["category"] = ""
            row.errors = [("category", "required")]
        elif kind == "unknown_category":
            cells["category"] = f"Nope {rnd.randint(1, 999)}"
            row.errors = [("category", "unknown_code")]
        elif kind in ("bad_nutrient", "negative_nutrient") and any(n in have for n in NUTRIENTS):
            nut = rnd.choice([n for n in NUTRIENTS if n in have])
            if kind == "bad_nutrient":
                cells[nut] = rnd.choice(["n/a", "12 g", "-"])
                row.errors = [(nut, "bad_number")]
            else:
                cells[nut] = ref.spell_number(-number(rnd, 1, 50), rnd.choice(["plain", "comma"]))
                row.errors = [(nut, "out_of_range")]
        elif kind == "duplicate" and any(r.cells.get("external_id", "").strip() for r in staged):
            first = rnd.choice([r for r in staged if r.cells.get("external_id", "").strip()])
            cells["external_id"] = first.cells["external_id"].strip()
            row.errors = [("external_id", "duplicate_in_file")]
        elif kind in ("short", "long"):
            row.errors = [(None, "wrong_field_count")]
        elif kind == "empty_fields":
            row.cells = {}
            row.errors = [("category", "required"), ("external_id", "required"), ("name", "required"), ("price", "required")]
        else:
            row.kind = "good"
        if row.errors:
            row.expected = None
        rows.append(row)
    return fmt, columns, rows


def render(fmt: dict, columns: list[Column], rows: list[Row], rnd: Draw) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=fmt["delimiter"], quoting=fmt["quoting"], lineterminator=fmt["eol"])
    writer.writerow([c.header for c in columns])
    for row in rows:
        cells = [row.cells.get(c.field, "") for c in columns]
        if row.kind == "short":
            k = rnd.randint(1, len(cells) - 1)
            cells = cells[:k]
            if not any(c.strip() for c in cells):
                cells[0] = "x"
        elif row.kind == "long":
            cells = cells + ["extra"]
        if rnd.random() < 0.1:
            out.write(fmt["eol"])  # a blank line is not a record
        writer.writerow(cells)
    return out.getvalue().encode(fmt["encoding"])


def expected_outcome(rows: list[Row]) -> tuple[list[tuple], dict[str, dict]]:
    """Expected (row_no, field, code) errors and products by external_id (records are the rows)."""
    errors, good = [], {}
    for n, row in enumerate(rows, start=1):
        errors += [(n, f, c) for f, c in row.errors]
        if not row.errors:
            good[row.expected["external_id"]] = row.expected
    return sorted(errors, key=lambda e: (e[0], e[1] or "", e[2])), good


def stored_products(conn: psycopg.Connection, vendor: str, run: int) -> dict[str, dict]:
    rows = conn.execute("""
        select p.external_id, p.name, p.brand, p.description, c.code, p.price, p.currency::text, p.status::text,
               p.barcode, p.gtin_type::text, p.serving_size, p.ingredients, p.allergens, p.dietary_tags, p.nutrition::text
          from catalog.products p join catalog.tax_categories c on c.id = p.category_id
         where p.vendor_id = %s and p.external_id like %s""", (vendor, f"r{run}-%")).fetchall()
    out = {}
    for (ext, name, brand, desc, cat, price, cur, status, barcode, gtin, serving, ingredients, allergens, tags,
         nutrition) in rows:
        out[ext] = {"external_id": ext, "name": name, "brand": brand, "description": desc, "category": cat,
                    "price": price, "currency": cur, "status": status, "barcode": barcode, "gtin_type": gtin,
                    "serving_size": serving, "ingredients": ingredients, "allergens": allergens, "dietary_tags": tags,
                    "nutrition": {k: Decimal(v) for k, v in json.loads(nutrition, parse_float=Decimal).items()}
                    if nutrition else {}}
    return out


@SETTINGS
@given(data=st.data())
def test_any_products_file_lands_typed_or_reported(su_conn, dictionary, env, store, data: st.DataObject) -> None:
    rnd = Draw(data)
    run = next(RUNS)
    fmt, columns, rows = product_file(rnd, dictionary, run)
    raw = render(fmt, columns, rows, rnd)
    job = submit(su_conn, store, env, "products", raw)
    status, phase, totals, error_url, _ = wait_job(su_conn, job)
    context = f"file ({fmt}):\n{raw.decode(fmt['encoding'])}"
    assert (status, phase) == ("completed", "done"), f"{totals}\n{context}"
    errors, good = expected_outcome(rows)
    assert job_errors(su_conn, job) == errors, context
    assert stored_products(su_conn, env, run) == good, context
    assert {k: totals[k] for k in ("rows_read", "inserted", "updated", "unchanged", "rejected")} == {
        "rows_read": len(rows), "inserted": len(good), "updated": 0, "unchanged": 0, "rejected": len(rows) - len(good)}
    assert totals["rows_read"] == totals["inserted"] + totals["updated"] + totals["unchanged"] + totals["rejected"]
    assert (error_url is not None) == bool(errors)
    event = su_conn.execute("select data from hooks.events where vendor_id = %s and data ->> 'job_id' = %s",
                            (env, job)).fetchone()
    assert event is not None and event[0]["totals"] == totals and event[0]["status"] == "completed"
