"""Several workers on ingest.csv jobs (tests/queue covers caps and fairness with probe jobs; this is
the real kind with its cap of 2 running jobs per vendor): vendor A queues a backlog of ingestion
jobs, vendor B one; three workers run B's job before A's backlog is drained, never more than two
of A's at once, and every job exactly once."""
from __future__ import annotations

from conftest import Workers, wait_job, submit


def products_file(tag: str, rows: int) -> bytes:
    lines = ["sku,name,category,price,energy-kcal_100g,serving size"]
    lines += [f"{tag}-{i},Product {i},snacks,{i % 50}.99,{i % 400},30 g" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_second_vendor_runs_beside_a_capped_backlog_and_each_job_runs_once(su_conn, new_vendor, store, tmp_path) -> None:
    a, b = new_vendor("fair A"), new_vendor("fair B")
    a_jobs = [submit(su_conn, store, a, "products", products_file(f"a{n}", 2500)) for n in range(5)]
    b_job = submit(su_conn, store, b, "products", products_file("b", 2500))
    workers = Workers(store, tmp_path)
    try:
        for i in range(3):
            workers.start("--concurrency", "1", "--batch", "1", "--poll-interval", "0.3", "--worker-id", f"fair{i}")
        for job in [*a_jobs, b_job]:
            wait_job(su_conn, job, timeout=120)
    finally:
        workers.stop_all()
    rows = su_conn.execute("""select id::text, vendor_id::text, status::text, attempt, started_at, finished_at,
                                     (totals ->> 'inserted')::int
                                from ingest.ingestion_jobs where vendor_id in (%s, %s)""", (a, b)).fetchall()
    assert [(r[2], r[3], r[6]) for r in rows] == [("completed", 1, 2500)] * 6, "every job ran once, to completion"
    assert su_conn.execute("select count(*) from queue.dead_letters where vendor_id in (%s, %s)", (a, b)).fetchone()[0] == 0
    a_runs = [(r[4], r[5]) for r in rows if r[1] == a]
    (b_start, b_end), = [(r[4], r[5]) for r in rows if r[1] == b]
    peak = max(sum(1 for s, e in a_runs if s <= start < e) for start, _ in a_runs)
    assert peak == 2, f"A ran at most 2 jobs at once, and used its cap: {peak}"
    a_before_b = sum(1 for s, _ in a_runs if s < b_start)
    assert a_before_b <= 2, f"B's job waited behind {a_before_b} of A's jobs"
    assert b_end < max(e for _, e in a_runs), "B finished while A's backlog was still being worked off"
    assert any(s < b_end and b_start < e for s, e in a_runs), "B ran beside A"
