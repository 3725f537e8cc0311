"""Real `odyssey worker` processes on one queue: exactly-once processing under concurrency,
per-vendor caps, fairness under a backlog, takeover after kill -9, NOTIFY wake-ups, graceful
shutdown."""
from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable

import psycopg
from psycopg.types.json import Jsonb


def enqueue(conn: psycopg.Connection, kind: str, vendor: uuid.UUID | None, payloads: list[dict]) -> list[int]:
    rows = conn.execute("select queue.enqueue_many(%s, %s, %s)", (kind, vendor, Jsonb(payloads))).fetchall()
    return [r[0] for r in rows]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


MAX_CONCURRENT_SQL = """
    -- The most executions of one vendor that overlapped in time.
    select coalesce(max(c), 0) from (
        select vendor_id, (select count(*) from queue_probe.executions o
                            where o.vendor_id is not distinct from e.vendor_id and o.kind = e.kind
                              and o.started_at <= e.started_at
                              and coalesce(o.finished_at, 'infinity') > e.started_at) as c
          from queue_probe.executions e where e.kind = %s) s
"""


def pending(conn: psycopg.Connection, kind: str) -> int:
    return conn.execute("select count(*) from queue.jobs where kind = %s", (kind,)).fetchone()[0]


def test_several_workers_process_every_job_exactly_once(probe, vendors, workers) -> None:
    for v in vendors:
        enqueue(probe, "probe", v, [{"seconds": 0} for _ in range(150)])
    enqueue(probe, "probe", None, [{"seconds": 0} for _ in range(50)])
    for i in range(3):
        workers("--kinds", "probe", "--concurrency", "4", "--batch", "8", "--worker-id", f"w{i}")
    wait_for(lambda: pending(probe, "probe") == 0, 90, "the queue to drain")
    total, distinct, by_workers = probe.execute(
        "select count(*), count(distinct job_id), count(distinct worker) from queue_probe.executions").fetchone()
    assert (total, distinct) == (500, 500), "every job ran once, none twice"
    assert by_workers == 3, "the three workers shared the work"
    assert probe.execute("select count(*) from queue_probe.executions where finished_at is null").fetchone()[0] == 0
    assert probe.execute("select count(*) from queue.dead_letters where kind = 'probe'").fetchone()[0] == 0


def test_failed_and_finished_jobs_of_one_round_are_all_accounted(probe, vendors, workers) -> None:
    # Half the jobs fail their first attempt. A round with failures pipelines queue.fail with the
    # dequeue that finishes the round's completed jobs; every job ends done, the failing ones on
    # their second attempt, none dead-lettered, none run a third time.
    ids = enqueue(probe, "probe", vendors[0], [{"seconds": 0, "fail_attempts": i % 2} for i in range(40)])
    workers("--kinds", "probe", "--concurrency", "4", "--batch", "8", "--worker-id", "wf")
    wait_for(lambda: pending(probe, "probe") == 0, 60, "the queue to drain")
    runs = dict(probe.execute("select job_id, count(*) from queue_probe.executions group by job_id").fetchall())
    assert runs == {job: 1 + i % 2 for i, job in enumerate(ids)}
    assert probe.execute("select count(*) from queue_probe.executions where finished_at is null").fetchone()[0] == 20
    assert probe.execute("select count(*) from queue.dead_letters where kind = 'probe'").fetchone()[0] == 0


def test_vendor_cap_holds_across_workers(probe, vendors, workers) -> None:
    # probe.capped allows 2 running jobs per vendor; 3 workers x 4 threads could run 12 at once.
    enqueue(probe, "probe.capped", vendors[0], [{"seconds": 0.4} for _ in range(10)])
    enqueue(probe, "probe.capped", vendors[1], [{"seconds": 0.4} for _ in range(4)])
    for i in range(3):
        workers("--kinds", "probe.capped", "--concurrency", "4", "--batch", "4", "--worker-id", f"c{i}",
                "--poll-interval", "0.2")
    wait_for(lambda: pending(probe, "probe.capped") == 0, 90, "the capped jobs to finish")
    assert probe.execute("select count(*) from queue_probe.executions where kind = 'probe.capped'").fetchone()[0] == 14
    peak = probe.execute(MAX_CONCURRENT_SQL, ("probe.capped",)).fetchone()[0]
    assert peak == 2, f"at most 2 of a vendor's jobs ran at once (and the cap was used): saw {peak}"
    overlap_between_vendors = probe.execute("""
        select count(*) from queue_probe.executions a join queue_probe.executions b
          on a.vendor_id <> b.vendor_id and a.started_at < b.finished_at and b.started_at < a.finished_at
         where a.kind = 'probe.capped' and b.kind = 'probe.capped'""").fetchone()[0]
    assert overlap_between_vendors > 0, "the second vendor ran alongside the capped first one"


def test_second_vendor_is_served_while_the_first_has_a_backlog_of_500(probe, vendors, workers) -> None:
    a, b = vendors[0], vendors[1]
    enqueue(probe, "probe", a, [{"seconds": 0.01} for _ in range(500)])
    for i in range(2):
        workers("--kinds", "probe", "--concurrency", "2", "--batch", "2", "--worker-id", f"f{i}")
    wait_for(lambda: probe.execute("select count(*) from queue_probe.executions").fetchone()[0] >= 30, 60,
             "the backlog to be under way")
    b_job = enqueue(probe, "probe", b, [{"seconds": 0}])[0]
    b_queued_at = probe.execute("select clock_timestamp()").fetchone()[0]
    wait_for(lambda: probe.execute("select count(*) from queue_probe.executions where job_id = %s",
                                   (b_job,)).fetchone()[0] == 1, 30, "vendor B's job to run")
    a_started_meanwhile, a_left = probe.execute("""
        select count(*) filter (where vendor_id = %s and started_at > %s
                                  and started_at < (select started_at from queue_probe.executions where job_id = %s)),
               500 - count(*) filter (where vendor_id = %s
                                        and started_at <= (select started_at from queue_probe.executions where job_id = %s))
          from queue_probe.executions""", (a, b_queued_at, b_job, a, b_job)).fetchone()
    # 2 workers x (2 running + 2 prefetched) may already hold A's jobs when B's arrives.
    assert a_started_meanwhile <= 8, f"B waited behind {a_started_meanwhile} of A's jobs"
    assert a_left > 300, "B was served while most of A's backlog was still waiting"


def test_kill_9_mid_job_another_worker_takes_over(probe, vendors, workers) -> None:
    job = enqueue(probe, "probe", vendors[2], [{"seconds": 2}])[0]
    doomed = workers("--kinds", "probe", "--lease", "1", "--worker-id", "doomed")
    wait_for(lambda: probe.execute("select count(*) from queue_probe.executions where job_id = %s",
                                   (job,)).fetchone()[0] == 1, 30, "the first worker to start the job")
    time.sleep(0.8)  # heartbeats keep the 1 s lease alive past its first expiry
    assert probe.execute("select locked_by, lease_expires_at > now() from queue.jobs where id = %s",
                         (job,)).fetchone() == ("doomed", True)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    workers("--kinds", "probe", "--lease", "1", "--reap-interval", "0.3", "--worker-id", "heir")
    wait_for(lambda: pending(probe, "probe") == 0, 30, "the second worker to finish the job")
    rows = probe.execute("select worker, attempt, finished_at is not null from queue_probe.executions "
                         "where job_id = %s order by id", (job,)).fetchall()
    assert rows == [("doomed", 1, False), ("heir", 2, True)], rows
    assert probe.execute("select count(*) from queue.dead_letters where id = %s", (job,)).fetchone()[0] == 0


def test_notify_wakes_an_idle_worker_quickly(probe, vendors, workers) -> None:
    workers("--kinds", "probe", "--poll-interval", "60", "--worker-id", "sleeper")
    time.sleep(2.0)  # started, looked once, found nothing: now it sleeps (safety poll in 60 s)
    job = enqueue(probe, "probe", vendors[0], [{"seconds": 0}])[0]
    queued_at = probe.execute("select created_at from queue.jobs where id = %s", (job,)).fetchone()
    wait_for(lambda: probe.execute("select count(*) from queue_probe.executions where job_id = %s",
                                   (job,)).fetchone()[0] == 1, 10, "the idle worker to run the job")
    latency = probe.execute("select extract(epoch from started_at) - extract(epoch from %s::timestamptz) "
                            "from queue_probe.executions where job_id = %s", (queued_at[0] if queued_at else None, job)).fetchone()[0]
    assert latency is not None and float(latency) < 1.0, f"woken by NOTIFY, not the 60 s poll: {latency} s"


def test_sigterm_lets_running_jobs_finish(probe, vendors, workers) -> None:
    job = enqueue(probe, "probe", vendors[1], [{"seconds": 1.0}])[0]
    proc = workers("--kinds", "probe", "--worker-id", "graceful")
    wait_for(lambda: probe.execute("select count(*) from queue_probe.executions where job_id = %s",
                                   (job,)).fetchone()[0] == 1, 30, "the job to start")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert probe.execute("select finished_at is not null from queue_probe.executions where job_id = %s",
                         (job,)).fetchone()[0] is True
    assert pending(probe, "probe") == 0, "the finished job was completed before exit"
