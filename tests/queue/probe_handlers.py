"""Handlers for the queue tests, loaded into real worker processes with
`odyssey worker --import tests.queue.probe_handlers`. Each execution is recorded in
queue_probe.executions (start committed before the work, finish after), so the tests can count
executions per job and measure how many ran at once per vendor. Payload: seconds (how long the
job works), fail_attempts (its first attempts up to this one fail)."""
from __future__ import annotations

from gateway.worker import JobContext, JobInterrupted, register


def _probe(ctx: JobContext) -> None:
    conn = ctx.connection()
    with conn.transaction():
        row = conn.execute(
            "insert into queue_probe.executions (job_id, kind, vendor_id, worker, attempt) "
            "values (%s, %s, %s, %s, %s) returning id",
            (ctx.id, ctx.kind, ctx.vendor_id, ctx.worker_id, ctx.attempts)).fetchone()
    if ctx.stop.wait(float(ctx.payload.get("seconds", 0))):
        raise JobInterrupted()
    if ctx.attempts <= int(ctx.payload.get("fail_attempts", 0)):
        raise RuntimeError(f"probe fails attempt {ctx.attempts}")
    with conn.transaction():
        conn.execute("update queue_probe.executions set finished_at = clock_timestamp() where id = %s", (row[0],))


register("probe")(_probe)
register("probe.capped")(_probe)
