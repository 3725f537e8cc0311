"""Crash safety of CSV ingestion: a products file of 60,000 rows is ingested while the worker that
holds it is killed with SIGKILL at chosen points (during the copy, around validation, in merge
batches); a standby worker takes over once the 2 s lease has expired, from the last checkpoint.
The result must equal a clean single run of the same file for another vendor: the same products
with the same typed values, the same errors, the same totals, every product written once, and
the job's committed steps never interleaved between two workers. Also: files that cannot be
ingested fail the job with a clear reason, nothing merged, job.failed written, no retries."""
from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import psycopg
import pytest

from conftest import Workers, job_errors, job_state, submit, wait_for, wait_job

ROWS = int(os.environ.get("ODYSSEY_CRASH_ROWS", 60_000))
WORKER_ENV = {"ODYSSEY_INGEST_CHUNK_BYTES": str(1024 * 1024), "ODYSSEY_INGEST_BATCH_ROWS": "5000"}
CATEGORIES = ["Beverages", "bakery", "Snacks & Sweets", "dairy_eggs", "Pantry", "nope"]
PRODUCT_COLUMNS = """external_id, name, brand, description, category_id, sub_category_id, cuisine_id, market_id, price,
    currency, status, barcode, gtin_type, ingredients, nutrition, serving_size, package_weight, dietary_tags, allergens,
    certifications, regulatory_codes, source_url, version, soft_deleted_at"""


def big_file(rows: int, seed: int) -> bytes:
    """A semicolon file in UTF-8 with some of everything: decimal commas, per-100 g kJ and salt,
    quoted cells with delimiters and line breaks, non-ASCII names, blank lines, records of empty
    fields, short rows, bad prices, unknown categories, repeated ids and barcodes."""
    rnd = random.Random(seed)
    out = ["SKU;Product Name;Brand;Category;Price;Energy-kJ_100g;Salt_100g;Proteins;Serving size;Allergens;Labels;EAN;Description"]
    for i in range(1, rows + 1):
        if i % 4999 == 0:
            out.append(f"p{i};Short row")
            continue
        if i % 3001 == 0:
            out.append(";" * 12)
        if i % 2003 == 0:
            out.append("")
        ext = f"p{i - 700}" if i % 1013 == 0 and i > 700 else f"p{i}"
        price = "n/a" if i % 509 == 0 else f"{rnd.randint(10, 999999) / 100:.2f}".replace(".", rnd.choice([".", ","]))
        barcode = str(4_000_000_000_000 + (i - 3 if i % 1409 == 0 else i))
        desc = rnd.choice(["", "\"Creamy; smooth\"", "\"Two\nlines\"", "Crème brûlée", "plain"])
        out.append(";".join([
            ext, f"Product {i} {rnd.choice(['Café', 'Müsli', 'Oats', 'Żurek'])}", f"Brand {i % 37}",
            rnd.choice(CATEGORIES) if i % 211 else "", price, str(rnd.randint(0, 3000)),
            f"{rnd.randint(0, 300) / 100}", f"{rnd.randint(0, 500) / 10}".replace(".", ","),
            rnd.choice(["30 g", "250 ml", "1 cup", ""]), rnd.choice(["milk", "\"whey; soy\"", "", "peanut|tahini"]),
            rnd.choice(["vegan", "", "organic|gluten free"]), barcode, desc]))
    return ("\n".join(out) + "\n").encode("utf-8")


def checkpoint(conn: psycopg.Connection, job: str) -> tuple:
    """(phase, copy offset, merged through, holding worker, status); the offset counts once rows are staged."""
    return conn.execute("""select j.phase, case when (j.checkpoint #>> '{copy,rows}')::bigint > 0
                                                 then (j.checkpoint #>> '{copy,offset}')::bigint else 0 end,
                                  coalesce((j.checkpoint #>> '{merge,through}')::bigint, 0), q.locked_by, j.status::text
                             from ingest.ingestion_jobs j left join queue.jobs q on q.id = j.queue_job_id
                            where j.id = %s""", (job,)).fetchone()


def test_kill_9_at_random_points_changes_nothing(su_conn, probe, new_vendor, store, tmp_path: Path) -> None:
    seed = int(os.environ.get("ODYSSEY_CRASH_SEED", random.randrange(1 << 30)))
    rnd = random.Random(seed)
    data = big_file(ROWS, seed)
    crashed, clean = new_vendor("crash"), new_vendor("clean")
    workers = Workers(store, tmp_path)
    try:
        # The clean run: one worker, one job, never interrupted (it runs beside the crashed one).
        clean_job = submit(su_conn, store, clean, "products", data)
        workers.start("--max-jobs", "1", "--worker-id", "clean", env=WORKER_ENV)
        wait_for(lambda: checkpoint(su_conn, clean_job)[3] == "clean", 30, "the clean worker to take its job")

        job = submit(su_conn, store, crashed, "products", data, max_attempts=20)
        procs: dict[str, object] = {}

        def start(name: str) -> None:
            procs[name] = workers.start("--lease", "2", "--reap-interval", "1", "--poll-interval", "0.5",
                                        "--worker-id", name, env=WORKER_ENV)

        names = (f"w{i}" for i in range(100))
        start(next(names)), start(next(names))       # the holder and a standby
        size = len(data)
        aims = [("during the copy", lambda p, off, thr: p == "copying" and off > 0),
                ("at the end of the copy or validation", lambda p, off, thr: p in ("copying", "merging") and off > 0.8 * size),
                ("in an early merge batch", lambda p, off, thr: p == "merging" and thr >= 0.2 * ROWS),
                ("in a late merge batch", lambda p, off, thr: p == "merging" and thr >= 0.6 * ROWS)]
        kills = []
        t0 = time.monotonic()
        for what, aim in aims:
            state = wait_for(lambda: (lambda s: s if s[4] == "completed" or (s[3] and aim(s[0], s[1], s[2])) else None)(
                checkpoint(su_conn, job)), 120, f"the job to be {what}", interval=0.02)
            if state[4] == "completed":
                break
            time.sleep(rnd.uniform(0, 0.4))
            holder = checkpoint(su_conn, job)[3]
            if holder is None:
                continue
            procs[holder].send_signal(signal.SIGKILL)
            procs[holder].wait(timeout=10)
            kills.append((what, holder, checkpoint(su_conn, job)[:3], round(time.monotonic() - t0, 1)))
            start(next(names))                        # a new standby
            wait_for(lambda: checkpoint(su_conn, job)[3] not in (None, holder) or checkpoint(su_conn, job)[4] == "completed",
                     30, "another worker to take the job over")
        status, phase, totals, _, _ = wait_job(su_conn, job, timeout=240)
        clean_status, _, clean_totals, _, _ = wait_job(su_conn, clean_job, timeout=240)
    finally:
        workers.stop_all()
    context = f"seed {seed}, kills {kills}\n{workers.logs()}"
    assert len(kills) >= 3, context
    assert (status, phase, clean_status) == ("completed", "done", "completed"), context

    def counted(t: dict) -> dict:
        return {k: t[k] for k in ("rows_read", "inserted", "updated", "unchanged", "rejected")}
    assert counted(totals) == counted(clean_totals), context
    assert counted(totals)["updated"] == counted(totals)["unchanged"] == 0, "no batch was applied twice"
    assert job_errors(su_conn, job) == job_errors(su_conn, clean_job), context
    assert len(job_errors(su_conn, job)) > 100
    diff = su_conn.execute(f"""
        select (select count(*) from (select {PRODUCT_COLUMNS} from catalog.products where vendor_id = %(a)s
                                      except all select {PRODUCT_COLUMNS} from catalog.products where vendor_id = %(b)s) x),
               (select count(*) from (select {PRODUCT_COLUMNS} from catalog.products where vendor_id = %(b)s
                                      except all select {PRODUCT_COLUMNS} from catalog.products where vendor_id = %(a)s) y),
               (select count(*) from catalog.products where vendor_id = %(a)s),
               (select count(*) from catalog.product_barcodes where vendor_id = %(a)s),
               (select count(*) from catalog.product_barcodes where vendor_id = %(b)s),
               (select count(*) from catalog.product_sources where vendor_id = %(a)s),
               (select count(distinct product_id) from catalog.product_sources where vendor_id = %(a)s),
               (select count(*) from matching.product_features where vendor_id = %(a)s),
               (select count(*) from matching.product_features where vendor_id = %(b)s)""",
                           {"a": crashed, "b": clean}).fetchone()
    a_minus_b, b_minus_a, n, bar_a, bar_b, sources, sourced, feat_a, feat_b = diff
    assert (a_minus_b, b_minus_a) == (0, 0), f"products differ from the clean run's: {diff}\n{context}"
    assert n == totals["inserted"] and bar_a == bar_b and feat_a == feat_b, diff
    assert sources == sourced == n, "one lineage row per product: every product was written once"
    # Committed steps of the job, in commit order: one worker's run (an attempt, on its one or two
    # merge connections), then the next one's; never back.
    updates = su_conn.execute("select pid, attempt, phase, copy_offset, merged_through from ingest_probe.updates "
                              "where job_id = %s order by id", (job,)).fetchall()
    runs = [attempt for i, (_, attempt, *_) in enumerate(updates) if i == 0 or updates[i - 1][1] != attempt]
    assert len(runs) == len(set(runs)), f"two workers' steps interleaved: {runs}"
    assert len(runs) >= len(kills) + 1, context
    assert runs == sorted(runs) and runs[-1] >= len(kills) + 1
    pids = {attempt: {pid for pid, a, *_ in updates if a == attempt} for attempt in runs}
    assert all(pids[x].isdisjoint(pids[y]) for x in runs for y in runs if x < y), "a backend committed for two workers"
    merged = [m for *_, m in updates if m is not None]
    assert merged == sorted(merged), "the merge checkpoint never went back"
    events = su_conn.execute("select event_type, count(*) from hooks.events where data ->> 'job_id' = %s group by 1",
                             (job,)).fetchall()
    assert events == [("job.completed", 1)]
    assert su_conn.execute("select count(*) from ingest.stg_products where job_id = %s", (job,)).fetchone()[0] == 0


BAD_FILES = {
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "products", "binary_file", "not text"),
    "empty": (b"", "products", "empty_file", "empty"),
    "blank": (b"\xef\xbb\xbf\r\n\r\n", "products", "empty_file", "empty"),
    "header_only": (b"sku,name,category,price\r\n", "products", "no_rows", "no data rows"),
    "wrong_mode": (b"customer_id,full_name,email,dob\nc1,Ann,ann@example.com,1980-01-01\n", "products", "missing_columns",
                   "was mode=customers intended?"),
    "wrong_mode_2": (b"sku,name,category,price\np1,Oats,bakery,1\n", "customers", "missing_columns",
                     "external_id, email (it looks like a products file: was mode=products intended?)"),
    "bad_encoding": (b"sku,name,category,price\np1,\x81\x8d\x8f\x90,bakery,1\n", "products", "bad_encoding",
                     "neither UTF-8 nor Windows-1252"),
}


@pytest.fixture(scope="module")
def bad_vendor(new_vendor) -> str:
    return new_vendor("bad files")


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_file_that_cannot_be_ingested_fails_the_job(su_conn, bad_vendor, store, module_worker, name: str) -> None:
    data, mode, code, words = BAD_FILES[name]
    job = submit(su_conn, store, bad_vendor, mode, data)
    check_failed(su_conn, job, code, words)


def test_a_missing_upload_fails_the_job(su_conn, bad_vendor, store, module_worker) -> None:
    vendor = bad_vendor
    job = submit(su_conn, store, vendor, "products", b"sku,name,category,price\np1,Oats,bakery,1\n", put=False)
    check_failed(su_conn, job, "unreadable_file", "missing from the store")


def check_failed(conn: psycopg.Connection, job: str, code: str, words: str) -> None:
    status, phase, totals, _, _ = wait_job(conn, job)
    assert (status, phase) == ("failed", "done")
    assert totals["error"]["code"] == code
    assert words in totals["error"]["message"]
    assert conn.execute("select count(*) from catalog.product_sources where ingestion_job_id = %s", (job,)).fetchone()[0] == 0
    assert conn.execute("select count(*) from crm.customers c join ingest.ingestion_jobs j on j.vendor_id = c.vendor_id "
                        "where j.id = %s", (job,)).fetchone()[0] == 0
    event = conn.execute("select data from hooks.events where event_type = 'job.failed' and data ->> 'job_id' = %s",
                         (job,)).fetchall()
    assert len(event) == 1 and event[0][0]["totals"]["error"]["code"] == code
    attempts = conn.execute("select d.attempts from queue.dead_letters d join ingest.ingestion_jobs j on j.queue_job_id = d.id "
                            "where j.id = %s", (job,)).fetchone()
    assert attempts == (1,), "a file that cannot be ingested is not retried"
    assert job_state(conn, job)[4] is False
