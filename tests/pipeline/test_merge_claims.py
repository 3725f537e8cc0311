"""The merge phase on several connections at once (ingest.job_merge_next): each connection claims
a batch nobody else is merging (an advisory lock on (job, batch)), merges it and records it in the
checkpoint, which counts a batch as finished only once it committed, in whatever order batches
finish. A batch held by a connection that has not committed (or will never: a killed worker's
backend) is neither merged twice nor skipped: it is "busy" until its claim is released."""
from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from conftest import Workers, submit, wait_job

ROWS, BATCH = 5000, 1000


def staged_job(su: psycopg.Connection, vendor: str, rows: int) -> str:
    """A products job whose copy is done: `rows` valid rows staged, phase merging."""
    job = str(uuid.uuid4())
    with su.transaction():
        su.execute("select set_config('odyssey.vendor_id', %s, true)", (vendor,))
        su.execute("""insert into ingest.ingestion_jobs (id, vendor_id, mode, status, phase, started_at, checkpoint)
                      values (%s, %s, 'products', 'running', 'merging', now(), %s)""",
                   (job, vendor, Jsonb({"copy": {"rows": rows}, "merge": {"through": 0},
                                        "totals": {"rows_read": rows, "inserted": 0, "updated": 0, "unchanged": 0,
                                                   "rejected": 0}})))
        su.execute("""insert into ingest.stg_products (vendor_id, job_id, row_no, external_id, name, category, price)
                      select %s, %s, g, 'claim-' || g, 'Product ' || g, 'snacks', (g %% 90) || '.50'
                        from generate_series(1, %s) g""", (vendor, job, rows))
    return job


def merge_next(conn: psycopg.Connection, job: str) -> dict:
    result = conn.execute("select ingest.job_merge_next(%s, %s)", (job, BATCH)).fetchone()[0]
    conn.commit()
    return result


def checkpoint(su: psycopg.Connection, job: str) -> tuple:
    return su.execute("""select phase, (checkpoint #>> '{merge,through}')::bigint, checkpoint #> '{merge,done}',
                                progress_pct::float, (checkpoint #>> '{totals,inserted}')::bigint
                           from ingest.ingestion_jobs where id = %s""", (job,)).fetchone()


@pytest.fixture()
def tenant_conns(superuser_url: str):
    conns = [psycopg.connect(superuser_url) for _ in range(2)]
    yield conns
    for conn in conns:
        conn.close()


def test_a_batch_being_merged_elsewhere_is_skipped_then_merged_once(su_conn, new_vendor, tenant_conns) -> None:
    vendor = new_vendor("claims")
    job = staged_job(su_conn, vendor, ROWS)
    other, conn = tenant_conns
    for c in tenant_conns:
        c.execute("select set_config('odyssey.vendor_id', %s, false)", (vendor,))
        c.commit()
    # Another connection is merging the first batch (holds its claim, has not committed).
    other.execute("select pg_advisory_xact_lock(hashtext('ingest.merge:' || %s), 0)", (job,))

    starts = [merge_next(conn, job)["from"] for _ in range(ROWS // BATCH - 1)]
    assert starts == [1001, 2001, 3001, 4001], "the claimed batch is skipped, the others merged in order"
    phase, through, done, pct, inserted = checkpoint(su_conn, job)
    assert (phase, through, done, inserted) == ("merging", 0, [1001, 2001, 3001, 4001], 4000), \
        "finished out of order: recorded as done, the checkpoint's contiguous mark stays before the missing batch"
    assert pct == pytest.approx(42 + 55 * 4000 / ROWS)
    assert merge_next(conn, job) == {"done": False, "busy": True}, "nothing left that is not claimed elsewhere"
    assert checkpoint(su_conn, job)[1:3] == (0, [1001, 2001, 3001, 4001]), "a busy call records nothing"

    other.rollback()  # the other connection gave up (or died): its claim is released, nothing of it committed
    last = merge_next(conn, job)
    assert (last["done"], last["from"], last["to"]) == (True, 1, 1000)
    phase, through, done, _, inserted = checkpoint(su_conn, job)
    assert (phase, through, done, inserted) == ("analyzing", ROWS, [], ROWS)
    assert merge_next(conn, job) == {"done": True, "phase": "analyzing"}
    counts = su_conn.execute("""select (select count(*) from catalog.products where vendor_id = %(v)s),
                                       (select count(*) from catalog.product_sources where vendor_id = %(v)s),
                                       (select count(distinct product_id) from catalog.product_sources where vendor_id = %(v)s),
                                       (select count(*) from ingest.stg_products where job_id = %(j)s)""",
                             {"v": vendor, "j": job}).fetchone()
    assert counts == (ROWS, ROWS, ROWS, 0), "every row merged exactly once, staging purged"


def test_a_canceled_job_rolls_back_the_batch_in_flight(su_conn, new_vendor, tenant_conns) -> None:
    vendor = new_vendor("claims cancel")
    job = staged_job(su_conn, vendor, 2 * BATCH)
    conn = tenant_conns[0]
    conn.execute("select set_config('odyssey.vendor_id', %s, false)", (vendor,))
    conn.commit()
    assert merge_next(conn, job)["from"] == 1
    su_conn.execute("update ingest.ingestion_jobs set status = 'canceled' where id = %s", (job,))
    with pytest.raises(psycopg.Error) as err:
        merge_next(conn, job)
    conn.rollback()
    assert err.value.sqlstate == "OD409" and err.value.diag.message_hint == "canceled"
    assert su_conn.execute("select count(*) from catalog.products where vendor_id = %s", (vendor,)).fetchone()[0] == BATCH, \
        "the batch merged after the cancel was rolled back with its checkpoint"


def products_file(rows: int) -> bytes:
    lines = ["sku,name,category,price,barcode"]
    lines += [f"par-{i},Product {i},snacks,{i % 50}.99,{40_000_000_000 + i}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_a_worker_merges_on_two_connections(su_conn, probe, new_vendor, store, tmp_path) -> None:
    vendor = new_vendor("two connections")
    rows = 24_000
    job = submit(su_conn, store, vendor, "products", products_file(rows))
    workers = Workers(store, tmp_path)
    try:
        workers.start("--max-jobs", "1", env={"ODYSSEY_INGEST_BATCH_ROWS": "2000", "ODYSSEY_INGEST_MERGE_CONNECTIONS": "2"})
        status, phase, totals, _, _ = wait_job(su_conn, job, timeout=180)
    finally:
        workers.stop_all()
    assert (status, phase, totals["inserted"], totals["rejected"]) == ("completed", "done", rows, 0), workers.logs()
    merged_by = su_conn.execute("""select count(distinct pid) from ingest_probe.updates u
                                    where u.job_id = %(j)s and u.phase in ('merging', 'analyzing') and u.id > (
                                          select min(id) from ingest_probe.updates where job_id = %(j)s and phase = 'merging')
                                      and u.id <= (select min(id) from ingest_probe.updates where job_id = %(j)s and phase = 'analyzing')""",
                                {"j": job}).fetchone()[0]
    assert merged_by == 2, "batches were merged and checkpointed by two backends"
    counts = su_conn.execute("""select (select count(*) from catalog.products where vendor_id = %(v)s),
                                       (select count(distinct product_id) from catalog.product_sources where vendor_id = %(v)s),
                                       (select count(*) from catalog.product_sources where vendor_id = %(v)s),
                                       (select count(*) from catalog.product_barcodes where vendor_id = %(v)s)""",
                             {"v": vendor}).fetchone()
    assert counts == (rows, rows, rows, rows), "each product written once, with its lineage and barcode claim"
