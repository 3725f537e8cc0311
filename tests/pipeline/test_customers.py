"""Customers mode through a real worker: a property over generated files (header spellings from the
dictionary, health columns in cm/in/ft-in/m and kg/lb, bad rows of every kind) checked against the
independent reference, re-submitting the same file counts every good row unchanged; and examples
of a row applied whole or not at all (a refused health profile undoes the customer change too)."""
from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import date
from decimal import Decimal
from fractions import Fraction

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipeline_reference as ref
from conftest import job_errors, submit, wait_job
from test_products_property import Draw, spelled

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])
RUNS = itertools.count(1)
GENDERS = {"F": "female", "female": "female", "Woman": "female", "m": "male", "Male": "male", "nb": "other",
           "non-binary": "other", "prefer not to say": "unspecified"}
ACTIVITY = {"Sedentary": "sedentary", "lightly active": "light", "moderate": "moderate", "Very Active": "very",
            "extra active": "extra", "1.55": "moderate"}
CONDITIONS = {"HTN": "hypertension", "high blood pressure": "hypertension", "diabetes": "type2_diabetes",
              "T2D": "type2_diabetes", "celiac disease": "celiac", "CKD": "ckd", "healthy": None}
NAMES = ["Ann Lee", "Bob Stone", "Chloé Dupont", "José Núñez", "Zoë", "Mary-Jane O'Neil"]


def today_age(born: date) -> int:
    t = date.today()
    return t.year - born.year - ((t.month, t.day) < (born.month, born.day))


@pytest.fixture(scope="module")
def vendor(new_vendor, module_worker) -> str:
    return new_vendor("customers")


@pytest.fixture(scope="module")
def headers(superuser_url: str) -> dict[tuple[str, str], list[str]]:
    """(field, ops as text) -> synonyms, customers mode."""
    with psycopg.connect(superuser_url) as conn:
        return {(c, json.dumps(o)): s for c, o, s in conn.execute(
            "select canonical, transform_ops, synonyms from ingest.synonyms_header where mode = 'customers'")}


def customer_file(rnd: Draw, headers: dict, run: int) -> tuple[dict, list[tuple[str, str]], list[dict]]:
    fmt = {"delimiter": rnd.choice([",", ";", "\t"]), "encoding": rnd.choice(["utf-8", "utf-8-sig"]),
           "eol": rnd.choice(["\n", "\r\n"]), "quoting": rnd.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])}
    height_ops = rnd.choice(['[]', '["in_to_cm"]', '["ft_in_to_cm"]', '["m_to_cm"]'])
    weight_ops = rnd.choice(['[]', '["lb_to_kg"]'])
    fields = [("external_id", "[]"), ("full_name", "[]"), ("email", "[]")]
    fields += [f for f in [("dob", "[]"), ("age", "[]")] if rnd.random() < 0.7] or [("age", "[]")]
    fields += [f for f in [("gender", "[]"), ("phone", "[]"), ("custom_tags", '["split_list"]'), ("location", "[]")]
               if rnd.random() < 0.5]
    health = rnd.random() < 0.7
    if health:
        fields += [("height_cm", height_ops), ("weight_kg", weight_ops), ("activity_level", "[]"),
                   ("conditions", '["split_list"]'), ("avoid_allergens", '["split_list"]')]
    columns = [(f, ops, spelled(rnd, rnd.choice(headers[(f, ops)]))) for f, ops in fields]
    rnd.shuffle(columns)
    have = {f for f, _, _ in columns}
    rows = []
    kinds = ["good"] * 5 + ["bad_email", "missing_email", "no_dob_or_age", "bad_date", "bad_gender", "half_health",
                            "refused_health", "duplicate", "short"]
    for i in range(rnd.randint(1, 12)):
        kind = rnd.choice(kinds)
        ext = f"c{run}-{i}"
        cells = {"external_id": ext, "full_name": rnd.choice(NAMES), "email": f"user{run}.{i}@example.com"}
        exp = {"external_id": ext, "full_name": cells["full_name"], "email": cells["email"], "dob": None, "age": None,
               "gender": "unspecified", "phone": None, "custom_tags": [], "location": {}, "profile": None}
        born = date(rnd.randint(1935, 2004), rnd.randint(1, 12), rnd.randint(1, 28))
        if "dob" in have and ("age" not in have or rnd.random() < 0.6):
            cells["dob"] = born.isoformat()
            exp["dob"] = born
        else:
            cells["age"] = str(today_age(born))
            exp["age"] = today_age(born)
        if "gender" in have:
            word = rnd.choice(["", *GENDERS])
            cells["gender"] = word
            exp["gender"] = GENDERS.get(word, "unspecified")
        if "phone" in have:
            cells["phone"] = rnd.choice(["", "+1 555 123 4567", "555.987.6543"])
            exp["phone"] = cells["phone"] or None
        if "custom_tags" in have:
            tags = rnd.sample(["vip", "new", "Plan B", "wholesale"], rnd.randint(0, 3))
            cells["custom_tags"] = rnd.choice(["; ", ", ", "|"]).join(tags)
            exp["custom_tags"] = tags
        if "location" in have:
            cells["location"] = rnd.choice(["", "Boston", '{"zip": "02134", "country": "US"}'])
            exp["location"] = ({} if not cells["location"] else {"text": "Boston"} if cells["location"] == "Boston"
                               else {"zip": "02134", "country": "US"})
        if health and rnd.random() < 0.8:
            feet, inches = rnd.randint(4, 6), rnd.randint(0, 11)
            cm = ref.height_cm_from_ft_in(feet, inches)
            if height_ops == "[]":
                cells["height_cm"] = str(ref.round_half_up(cm, 1))
                height = Fraction(ref.round_half_up(cm, 1))
            elif height_ops == '["in_to_cm"]':
                cells["height_cm"] = str(feet * 12 + inches)
                height = Fraction(ref.round_half_up(cm, 3))
            elif height_ops == '["m_to_cm"]':
                cells["height_cm"] = str(ref.round_half_up(cm / 100, 2)).replace(".", rnd.choice([".", ","]))
                height = Fraction(ref.round_half_up(ref.round_half_up(cm / 100, 2) * 100, 3))
            else:
                cells["height_cm"] = rnd.choice([f"{feet}'{inches}\"", f"{feet} ft {inches} in", f"{feet}-{inches}",
                                                 f"{feet}'{inches}''", f"{feet}ft{inches}"])
                height = Fraction(ref.round_half_up(cm, 3))
            kg = Fraction(rnd.randint(450, 1300), 10)
            if weight_ops == "[]":
                cells["weight_kg"] = str(Decimal(kg.numerator) / kg.denominator)
                weight = kg
            else:
                lb = Fraction(rnd.randint(100, 280))
                cells["weight_kg"] = str(lb)
                weight = Fraction(ref.round_half_up(lb * ref.LB_KG, 3))
            word = rnd.choice(list(ACTIVITY))
            cells["activity_level"] = word
            conds = rnd.sample(list(CONDITIONS), rnd.randint(0, 2))
            cells["conditions"] = rnd.choice(["; ", "|"]).join(conds)
            avoid = rnd.sample(["whey", "groundnut", "tahini", "Shrimp"], rnd.randint(0, 2))
            cells["avoid_allergens"] = ", ".join(avoid)
            avoid_codes = {"whey": "milk", "groundnut": "peanuts", "tahini": "sesame", "Shrimp": "crustacean_shellfish"}
            exp["profile"] = {
                "height_cm": ref.round_half_up(height, 2), "weight_kg": ref.round_half_up(weight, 2),
                "age": today_age(born), "gender": exp["gender"], "activity_level": ACTIVITY[word],
                "conditions": sorted({CONDITIONS[c] for c in conds if CONDITIONS[c]}),
                "avoid_allergens": sorted({avoid_codes[a] for a in avoid})}
        errors: list[tuple[str | None, str]] = []
        staged = [r for r in rows if r["kind"] != "short"]
        if kind == "bad_email":
            cells["email"] = "not-an-email"
            errors = [("email", "bad_value")]
        elif kind == "missing_email":
            cells["email"] = ""
            errors = [("email", "required")]
        elif kind == "no_dob_or_age":
            cells.pop("dob", None), cells.pop("age", None)
            errors = [("dob", "dob_or_age")]
        elif kind == "bad_date" and "dob" in have:
            cells["dob"] = rnd.choice(["1990-02-30", "02/03/1990", "1990-13-01"])
            cells.pop("age", None)
            errors = [("dob", "bad_date")]
        elif kind == "bad_gender" and "gender" in have:
            cells["gender"] = "maybe"
            errors = [("gender", "bad_value")]
        elif kind == "half_health" and exp["profile"]:
            cells["weight_kg"] = cells["activity_level"] = ""
            errors = [("activity_level", "required"), ("weight_kg", "required")]
        elif kind == "refused_health" and exp["profile"]:
            cells["weight_kg"] = "2000" if weight_ops != "[]" else "900"
            errors = [(None, "rejected")]
        elif kind == "duplicate" and staged:
            cells["external_id"] = rnd.choice(staged)["cells"]["external_id"]
            errors = [("external_id", "duplicate_in_file")]
        elif kind == "short":
            errors = [(None, "wrong_field_count")]
        else:
            kind = "good"
        rows.append({"kind": kind, "cells": cells, "expected": None if errors else exp, "errors": errors})
    return fmt, columns, rows


def render(fmt: dict, columns: list, rows: list[dict], rnd: Draw) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=fmt["delimiter"], quoting=fmt["quoting"], lineterminator=fmt["eol"])
    writer.writerow([h for _, _, h in columns])
    for row in rows:
        cells = [row["cells"].get(f, "") for f, _, _ in columns]
        if row["kind"] == "short":
            cells = cells[:rnd.randint(1, len(cells) - 1)]
            cells[0] = cells[0] or "x"
        writer.writerow(cells)
    return out.getvalue().encode(fmt["encoding"])


def stored(conn: psycopg.Connection, vendor: str, like: str) -> dict[str, dict]:
    out = {}
    for (ext, name, email, dob, age, gender, phone, tags, location, h_cm, w_kg, h_age, h_gender, level, conds,
         avoid) in conn.execute("""
            select c.external_id, c.full_name, c.email, c.dob, c.age, c.gender::text, c.phone, c.custom_tags, c.location,
                   h.height_cm, h.weight_kg, h.age, h.gender::text, h.activity_level::text, h.conditions, h.avoid_allergens
              from crm.customers c
              left join health.customer_health_profiles h on h.vendor_id = c.vendor_id and h.customer_id = c.id
             where c.vendor_id = %s and c.external_id like %s""", (vendor, like)):
        out[ext] = {"external_id": ext, "full_name": name, "email": email, "dob": dob, "age": age, "gender": gender,
                    "phone": phone, "custom_tags": tags, "location": location,
                    "profile": None if h_cm is None else {
                        "height_cm": h_cm, "weight_kg": w_kg, "age": h_age, "gender": h_gender, "activity_level": level,
                        "conditions": conds, "avoid_allergens": avoid}}
    return out


def totals_of(totals: dict) -> dict:
    return {k: totals[k] for k in ("rows_read", "inserted", "updated", "unchanged", "rejected")}


@SETTINGS
@given(data=st.data())
def test_any_customers_file_lands_whole_rows_or_reports_them(su_conn, headers, vendor, store, data) -> None:
    rnd = Draw(data)
    run = next(RUNS)
    fmt, columns, rows = customer_file(rnd, headers, run)
    raw = render(fmt, columns, rows, rnd)
    context = f"file ({fmt}):\n{raw.decode(fmt['encoding'])}"
    job = submit(su_conn, store, vendor, "customers", raw)
    status, _, totals, _, _ = wait_job(su_conn, job)
    assert status == "completed", f"{totals}\n{context}"
    expected_errors = sorted(((n, f, c) for n, r in enumerate(rows, 1) for f, c in r["errors"]),
                             key=lambda e: (e[0], e[1] or "~", e[2]))
    assert job_errors(su_conn, job) == expected_errors, context
    good = {r["expected"]["external_id"]: r["expected"] for r in rows if r["expected"]}
    assert stored(su_conn, vendor, f"c{run}-%") == good, context
    assert totals_of(totals) == {"rows_read": len(rows), "inserted": len(good), "updated": 0, "unchanged": 0,
                                 "rejected": len(rows) - len(good)}
    # The same file again: nothing changes, every good row counts as unchanged.
    again = submit(su_conn, store, vendor, "customers", raw)
    _, _, totals2, _, _ = wait_job(su_conn, again)
    assert totals_of(totals2) == {"rows_read": len(rows), "inserted": 0, "updated": 0, "unchanged": len(good),
                                  "rejected": len(rows) - len(good)}, context
    assert job_errors(su_conn, again) == expected_errors


def test_a_refused_profile_undoes_the_customer_change_too(su_conn, vendor, store) -> None:
    header = "member_id,Name,E-mail,Age,Sex,Height (ft/in),Weight (lbs),Activity Level,Conditions\n"
    first = submit(su_conn, store, vendor, "customers", (header
        + "w1,Walt White,walt@example.com,50,m,5'10\",180,moderate,HTN\n"
        + "w2,Jess Pink,jess@example.com,25,m,6-1,150,light,\n").encode())
    assert totals_of(wait_job(su_conn, first)[2]) == {"rows_read": 2, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    before = stored(su_conn, vendor, "w%")
    assert before["w1"]["profile"]["height_cm"] == Decimal("177.80")
    assert before["w1"]["profile"]["weight_kg"] == ref.round_half_up(ref.round_half_up(180 * ref.LB_KG, 3), 2)
    # w1: a new name and email with an impossible weight; w2: only its profile changes.
    second = submit(su_conn, store, vendor, "customers", (header
        + "w1,Heisenberg,heisenberg@example.com,50,m,5'10\",2000,moderate,HTN\n"
        + "w2,Jess Pink,jess@example.com,25,m,6-1,155,light,\n").encode())
    status, _, totals, _, _ = wait_job(su_conn, second)
    assert totals_of(totals) == {"rows_read": 2, "inserted": 0, "updated": 1, "unchanged": 0, "rejected": 1}
    (row_no, field, code, message), = su_conn.execute(
        "select row_no, field, code, message from ingest.ingestion_job_errors where job_id = %s", (second,)).fetchall()
    assert (row_no, field, code) == (1, None, "rejected")
    assert message.startswith("invalid health profile: weight_kg must be between 10 and 400")
    after = stored(su_conn, vendor, "w%")
    assert after["w1"] == before["w1"], "neither the customer nor the profile of the refused row changed"
    assert after["w2"]["profile"]["weight_kg"] == ref.round_half_up(ref.round_half_up(155 * ref.LB_KG, 3), 2)
    assert after["w2"]["full_name"] == before["w2"]["full_name"]


def test_a_new_customer_with_a_refused_profile_is_not_created(su_conn, vendor, store) -> None:
    job = submit(su_conn, store, vendor, "customers", (
        "customer_id;full_name;email;dob;height_cm;weight_kg;activity_level;allergies\n"
        "n1;Tiny;tiny@example.com;1990-01-01;30;70;light;\n"           # 30 cm: out of range
        "n2;Fine;fine@example.com;1990-01-01;170;70;light;peanut, whey\n"
        "n3;Allergic;allergic@example.com;1990-01-01;170;70;light;kryptonite\n").encode("utf-8-sig"))
    status, _, totals, _, _ = wait_job(su_conn, job)
    assert totals_of(totals) == {"rows_read": 3, "inserted": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    assert [e[:3] for e in su_conn.execute("select row_no, field, code, message from ingest.ingestion_job_errors "
                                          "where job_id = %s order by row_no", (job,))] == [(1, None, "rejected"), (3, None, "rejected")]
    got = stored(su_conn, vendor, "n%")
    assert sorted(got) == ["n2"], "no customer row for a refused profile"
    assert got["n2"]["profile"]["avoid_allergens"] == ["milk", "peanuts"]
    assert got["n2"]["profile"]["age"] == today_age(date(1990, 1, 1))
