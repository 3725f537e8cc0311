#!/usr/bin/env python3
"""Queue throughput benchmark (not a test): jobs/s of no-op jobs with 1..4 workers, single-job and
batched dequeue, on the cluster of the env file (scripts/cluster up), in one run:

  odyssey-sql     the queue protocol as the worker speaks it, from W processes connected as
                  odyssey_worker: one statement per round trip, queue.dequeue(..., p_completed)
                  completing the previous job(s) and dequeuing the next (n = 1 or --batch), leases,
                  per-vendor caps (queue.vendor_caps, --cap per vendor) and fair round robin over
                  --vendors vendors all on, exactly as in production
  odyssey-txn     the round trip of @v0.8.0 on the same functions: BEGIN, complete_many, dequeue,
                  COMMIT in one pipeline (the baseline of the one-statement round trip)
  odyssey-worker  W real `odyssey worker` processes (handler threads, LISTEN, heartbeats, reaper;
                  --concurrency 1 in single mode, 4 in batch mode), idle when the jobs become due
                  (one NOTIFY), timed from that NOTIFY until the queue is empty
  bare            reference: a bare FOR UPDATE SKIP LOCKED queue (one table, one partial index, no
                  leases, caps, fairness or RLS) driven by the same loop (one message deletes the
                  previous round's jobs and takes the next)
  procrastinate   procrastinate (pip package) with the same no-op job, W worker processes
                  (concurrency 1 each, delete_jobs=successful), its schema in a separate database
                  on the same cluster (created here, dropped at the end)

Each measurement queues N jobs first (enqueue throughput is reported separately), starts W
processes behind a barrier and times until the queue is drained. The machine is shared: the bare
and procrastinate figures of the same run are the yardsticks. It refuses to run while another
`odyssey worker` is connected (scripts/up starts one): it would take the noop jobs too.

  .venv/bin/python scripts/bench_queue.py [--workers 1,2,3,4] [--single-jobs 4000]
                                          [--batch-jobs 100000] [--batch 100] [--vendors 10]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from gateway.config import setting  # noqa: E402

BENCH_DB = "odyssey_bench_procrastinate"
VENDOR_NS = uuid.UUID("6f1c2b9e-0000-4000-8000-00000000bea0")


def vendors(n: int) -> list[str]:
    return [str(uuid.uuid5(VENDOR_NS, f"bench-vendor-{i}")) for i in range(n)]


def other_db(url: str, db: str) -> str:
    # ODYSSEY_SUPERUSER_URL is postgresql://user@/odyssey?host=...&port=...
    head, _, query = url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{db}" + (f"?{query}" if query else "")


# ---------------------------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------------------------
def setup_odyssey(su: str, vs: list[str], cap: int) -> None:
    with psycopg.connect(su, autocommit=True) as c:
        for i, v in enumerate(vs):
            with c.transaction():
                c.execute("select set_config('odyssey.vendor_id', %s, true)", (v,))
                c.execute("insert into core.vendors (id, name) values (%s, %s) on conflict do nothing",
                          (v, f"queue bench vendor {i}"))
            c.execute("insert into queue.vendor_caps (vendor_id, kind, max_running) values (%s, 'noop', %s) "
                      "on conflict (vendor_id, kind) do update set max_running = excluded.max_running", (v, cap))


def teardown_odyssey(su: str, vs: list[str]) -> None:
    with psycopg.connect(su, autocommit=True) as c:
        c.execute("delete from queue.jobs where vendor_id = any(%s::uuid[])", (vs,))
        c.execute("delete from queue.vendor_turns where tenant_key = any(%s::uuid[])", (vs,))
        for v in vs:
            c.execute("select app.offboard_vendor(%s, false)", (v,))
            c.execute("delete from core.vendors where id = %s", (v,))


def enqueue_odyssey(wk: str, su: str, vs: list[str], n: int, run_at: str | None = None) -> float:
    per, extra = divmod(n, len(vs))
    t = time.perf_counter()
    with psycopg.connect(wk, autocommit=True) as c:
        for i, v in enumerate(vs):
            k = per + (1 if i < extra else 0)
            for start in range(0, k, 10000):
                c.execute("select count(*) from queue.enqueue_many('noop', %s, %s, 0, %s)",
                          (v, Jsonb([{}] * min(10000, k - start)), run_at))
    el = time.perf_counter() - t
    with psycopg.connect(su, autocommit=True) as c:
        c.execute("vacuum analyze queue.jobs, queue.vendor_turns")
    return n / el


def setup_bench_db(su: str) -> str:
    with psycopg.connect(other_db(su, "postgres"), autocommit=True) as c:
        c.execute(f"drop database if exists {BENCH_DB}")
        c.execute(f"create database {BENCH_DB}")
    url = other_db(su, BENCH_DB)
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("create table bare (id bigint generated always as identity primary key, payload jsonb not null, "
                  "status text not null default 'queued', locked_by text)")
        c.execute("create index bare_ready on bare (id) where status = 'queued'")
    return url


def drop_bench_db(su: str) -> None:
    with psycopg.connect(other_db(su, "postgres"), autocommit=True) as c:
        c.execute(f"drop database if exists {BENCH_DB} with (force)")


def enqueue_bare(url: str, n: int) -> None:
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("insert into bare (payload) select '{}' from generate_series(1, %s)", (n,))
        c.execute("vacuum analyze bare")


# ---------------------------------------------------------------------------------------------
# Drivers (one per process)
# ---------------------------------------------------------------------------------------------
def drive_odyssey(url: str, wid: str, n: int, go: mp.Event, out: mp.Queue) -> None:
    """The worker's round trip: one statement in autocommit, queue.dequeue finishing the jobs of
    the previous round (p_completed) before it hands out the next ones."""
    done = 0
    with psycopg.connect(url, autocommit=True) as c:
        go.wait()
        held: list[int] = []
        while True:
            held = [r[0] for r in c.execute("select id from queue.dequeue(%s, '{noop}', %s, '30 seconds', %s)",
                                            (wid, n, held)).fetchall()]
            done += len(held)
            if not held:
                break
    out.put(done)


def drive_odyssey_txn(url: str, wid: str, n: int, go: mp.Event, out: mp.Queue) -> None:
    """The round trip of @v0.8.0: BEGIN, complete_many, dequeue, COMMIT, pipelined."""
    done = 0
    with psycopg.connect(url, autocommit=True) as c:
        go.wait()
        held: list[int] = []
        while True:
            with c.pipeline(), c.transaction():
                if held:
                    c.execute("select queue.complete_many(%s, %s)", (held, wid))
                cur = c.execute("select id from queue.dequeue(%s, '{noop}', %s, '30 seconds')", (wid, n))
            held = [r[0] for r in cur.fetchall()]
            done += len(held)
            if not held:
                break
    out.put(done)


def drive_bare(url: str, wid: str, n: int, go: mp.Event, out: mp.Queue) -> None:
    """The same round trip on the bare queue: one message (simple query, one implicit transaction)
    deletes the previous round's jobs, then takes the next ones. Deleting first matters: taking
    first (e.g. the delete in an unreferenced CTE, which runs last) deadlocks under concurrency."""
    done = 0
    with psycopg.connect(url, autocommit=True) as c:
        cur = psycopg.ClientCursor(c)
        go.wait()
        held: list[int] = []
        while True:
            cur.execute("delete from bare where id = any(%s::bigint[]); "
                        "update bare set status = 'running', locked_by = %s where id in "
                        "(select id from bare where status = 'queued' order by id limit %s for update skip locked) "
                        "returning id", (held, wid, n))
            cur.nextset()
            held = [r[0] for r in cur.fetchall()]
            done += len(held)
            if not held:
                break
    out.put(done)


def _procrastinate_app(url: str):
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="noop")
    def noop() -> None:
        return None

    return app, noop


def drive_procrastinate(url: str, wid: str, n: int, go: mp.Event, out: mp.Queue) -> None:
    import logging
    logging.disable(logging.CRITICAL)
    app, _ = _procrastinate_app(url)
    go.wait()
    app.run_worker(wait=False, concurrency=1, delete_jobs="successful", listen_notify=False,
                   install_signal_handlers=False, name=wid)
    out.put(-1)


def setup_procrastinate(url: str, n: int) -> float:
    app, noop = _procrastinate_app(url)
    with app.open():
        with psycopg.connect(url, autocommit=True) as c:
            exists = c.execute("select to_regclass('procrastinate_jobs') is not null").fetchone()[0]
        if not exists:
            app.schema_manager.apply_schema()
        t = time.perf_counter()
        for start in range(0, n, 5000):
            noop.batch_defer(*[{} for _ in range(min(5000, n - start))])
        el = time.perf_counter() - t
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("vacuum analyze procrastinate_jobs")
    return n / el


def remaining(url: str, sql: str) -> int:
    with psycopg.connect(url, autocommit=True) as c:
        return c.execute(sql).fetchone()[0]


def run_processes(target, url: str, workers: int, n: int) -> float:
    ctx = mp.get_context("fork")
    go, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(url, f"bench-{i}", n, go, out)) for i in range(workers)]
    for p in procs:
        p.start()
    time.sleep(0.5)  # connected and waiting
    t = time.perf_counter()
    go.set()
    for p in procs:
        p.join()
    el = time.perf_counter() - t
    for _ in procs:
        out.get()
    return el


def run_worker_cli(su: str, wk: str, vs: list[str], workers: int, n: int, batch: int, concurrency: int) -> float:
    """Real worker processes, started first and idle (LISTENing); the jobs are queued for later,
    made due in one statement and announced with one NOTIFY; timed from the NOTIFY to drained."""
    enqueue_odyssey(wk, su, vs, n, run_at="2100-01-01")
    args = [sys.executable, "-m", "gateway.cli", "worker", "--kinds", "noop", "--poll-interval", "60",
            "--batch", str(batch), "--concurrency", str(concurrency), "--log-level", "WARNING"]
    procs = [subprocess.Popen(args + ["--worker-id", f"cli-{i}"], cwd=REPO) for i in range(workers)]
    try:
        with psycopg.connect(su, autocommit=True) as c:
            time.sleep(2.5)  # started, looked once, idle
            c.execute("update queue.jobs set run_at = now() where kind = 'noop'")
            c.execute("vacuum analyze queue.jobs")
            t = time.perf_counter()
            c.execute("select pg_notify('odyssey_queue', 'noop')")
            while c.execute("select exists (select from queue.jobs where kind = 'noop')").fetchone()[0]:
                time.sleep(0.01)
            return time.perf_counter() - t
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


# ---------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", default="1,2,3,4")
    ap.add_argument("--single-jobs", type=int, default=4000)
    ap.add_argument("--batch-jobs", type=int, default=100000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--vendors", type=int, default=10)
    ap.add_argument("--cap", type=int, default=50, help="per-vendor cap on running noop jobs (queue.vendor_caps)")
    ap.add_argument("--skip", default="", help="comma-separated systems to skip: txn,bare,procrastinate,worker")
    ap.add_argument("--json", default=None, help="also write the results to this file")
    args = ap.parse_args()
    su, wk = setting("ODYSSEY_SUPERUSER_URL"), setting("ODYSSEY_WORKER_URL")
    if not su or not wk:
        print("run scripts/cluster up first (ODYSSEY_SUPERUSER_URL / ODYSSEY_WORKER_URL)", file=sys.stderr)
        return 2
    with psycopg.connect(su, autocommit=True) as c:
        others = c.execute("select count(*) from pg_stat_activity where usename = 'odyssey_worker' "
                           "and datname = current_database()").fetchone()[0]
        # hot_standby_feedback holds back the primary's horizon: taken jobs' index entries and old
        # slot versions stay for up to a second (see the README). Say which case this run measures.
        feedback = c.execute("select count(*) filter (where backend_xmin is not null), count(*) "
                             "from pg_stat_replication").fetchone()
    if others:
        # A running `odyssey worker` (scripts/up starts one) takes noop jobs too: every figure
        # would be wrong, and jobs it holds when the bench tears down leak their cap slots.
        print(f"{others} odyssey_worker session(s) connected: stop other workers first "
              "(kill $(cat .odyssey/worker.pid))", file=sys.stderr)
        return 2
    print(f"streaming replicas: {feedback[1]}, with hot_standby_feedback: {feedback[0]}", flush=True)
    counts = [int(x) for x in args.workers.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    vs = vendors(args.vendors)
    results: list[dict] = []

    def record(system: str, mode: str, w: int, n: int, el: float, left: int) -> None:
        rate = (n - left) / el
        results.append({"system": system, "mode": mode, "workers": w, "jobs": n - left, "seconds": round(el, 3),
                        "jobs_per_s": round(rate)})
        print(f"{system:15s} {mode:6s} workers={w}  {n - left:7d} jobs  {el:7.2f} s  {rate:9.0f} jobs/s"
              + (f"  ({left} left!)" if left else ""), flush=True)

    setup_odyssey(su, vs, args.cap)
    bench_url = setup_bench_db(su)
    try:
        with psycopg.connect(su, autocommit=True) as c:
            c.execute("delete from queue.jobs where kind = 'noop'")
        for mode, n, batch in (("single", args.single_jobs, 1), ("batch", args.batch_jobs, args.batch)):
            for w in counts:
                # The baseline round trip first: a run after another may meet its dead index entries.
                if "txn" not in skip:
                    enqueue_odyssey(wk, su, vs, n)
                    el = run_processes(lambda u, i, _n, g, o: drive_odyssey_txn(u, i, batch, g, o), wk, w, n)
                    record("odyssey-txn", mode, w, n, el,
                           remaining(su, "select count(*) from queue.jobs where kind = 'noop'"))
                enqueue_odyssey(wk, su, vs, n)
                el = run_processes(lambda u, i, _n, g, o: drive_odyssey(u, i, batch, g, o), wk, w, n)
                record("odyssey-sql", mode, w, n, el,
                       remaining(su, "select count(*) from queue.jobs where kind = 'noop'"))
                if "bare" not in skip:
                    enqueue_bare(bench_url, n)
                    el = run_processes(lambda u, i, _n, g, o: drive_bare(u, i, batch, g, o), bench_url, w, n)
                    record("bare", mode, w, n, el, remaining(bench_url, "select count(*) from bare"))
                if "worker" not in skip:
                    el = run_worker_cli(su, wk, vs, w, n, batch, 1 if batch == 1 else 4)
                    record("odyssey-worker", mode, w, n, el,
                           remaining(su, "select count(*) from queue.jobs where kind = 'noop'"))
                if "procrastinate" not in skip and mode == "single":
                    setup_procrastinate(bench_url, n)
                    el = run_processes(drive_procrastinate, bench_url, w, n)
                    record("procrastinate", mode, w, n, el,
                           remaining(bench_url, "select count(*) from procrastinate_jobs where status = 'todo'"))
        # Last: its 100,000 rows deleted at once would leave dead index entries to the runs after it.
        rate = enqueue_odyssey(wk, su, vs, args.batch_jobs)
        print(f"odyssey enqueue_many: {rate:.0f} jobs/s", flush=True)
        results.append({"system": "odyssey", "mode": "enqueue_many", "jobs_per_s": round(rate)})
        with psycopg.connect(su, autocommit=True) as c:
            c.execute("delete from queue.jobs where kind = 'noop'")
    finally:
        teardown_odyssey(su, vs)
        drop_bench_db(su)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
