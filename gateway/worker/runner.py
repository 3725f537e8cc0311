"""The worker process loop.

Main thread: LISTEN odyssey_queue; complete/fail what finished and dequeue more in one transaction
(one statement when nothing failed, else pipelined: one round trip, one commit); hand jobs to a pool
of handler threads; when there is nothing to do, sleep until a notification, the next due job or the
safety poll (no busy polling). A heartbeat thread extends the leases of jobs running longer than a
third of the lease (and stops a job whose lease was lost or which was canceled); every
--reap-interval seconds the worker runs queue.reap_expired(), which hands the jobs of dead workers
to live ones, and ingest.expire_uploads(), which ends expired uploads (their jobs fail) and names
their bytes, which it then deletes, hooks.purge(), which removes old outbox events and ended webhook
deliveries, and ingest.purge_raw_pages(), which removes raw connector pages after 30 days.
SIGTERM/SIGINT: stop dequeuing, let running jobs finish for up to --shutdown-timeout seconds, then
interrupt them and hand them back to the queue (queue.release)."""
from __future__ import annotations

import logging
import os
import queue as pyqueue
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone

import psycopg

from .handlers import HANDLERS, JobContext, JobInterrupted, PermanentError
from ..storage import remove_upload

log = logging.getLogger("odyssey.worker")
CHANNEL = "odyssey_queue"
DEQUEUE_SQL = ("select id, kind, vendor_id::text, payload, attempts, max_attempts "
               "from queue.dequeue(%s, %s, %s, make_interval(secs => %s), %s)")


@dataclass
class WorkerConfig:
    url: str
    kinds: list[str]
    concurrency: int = 4
    batch: int = 10
    lease: float = 30.0
    poll_interval: float = 5.0
    reap_interval: float = 10.0
    shutdown_timeout: float = 30.0
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    max_jobs: int | None = None   # stop after this many jobs (tests, benchmarks)
    exit_when_idle: bool = False  # stop when nothing is due (benchmarks)


@dataclass
class _Running:
    ctx: JobContext
    started: float
    stop_reason: str | None = None  # "shutdown" | "lost_or_canceled"


@dataclass
class _Outcomes:
    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, str, bool]] = field(default_factory=list)  # (job, error, retryable)
    released: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.done or self.failed or self.released)


class Worker:
    def __init__(self, config: WorkerConfig) -> None:
        unknown = [k for k in config.kinds if k not in HANDLERS]
        if unknown:
            raise ValueError(f"no handler for kinds: {', '.join(unknown)}")
        self.cfg = config
        self.stopping = threading.Event()
        self.processed = 0
        self._finished: pyqueue.SimpleQueue[tuple[int, str, str | None]] = pyqueue.SimpleQueue()
        self._running: dict[int, _Running] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._conns: list[psycopg.Connection] = []
        self._hb_stop = threading.Event()
        self._woken = True  # look at the queue at start

    # ---- handler threads -------------------------------------------------------------------
    def _thread_conn(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.cfg.url)
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def _execute(self, run: _Running) -> None:
        ctx = run.ctx
        try:
            HANDLERS[ctx.kind](ctx)
            outcome, error = "done", None
        except JobInterrupted:
            outcome, error = "interrupted", "interrupted: " + (run.stop_reason or "stop requested")
        except PermanentError as exc:
            outcome, error = "permanent", f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a handler's failure is the job's, never the worker's
            outcome, error = "retry", f"{type(exc).__name__}: {exc}"
        conn = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed and conn.info.transaction_status != 0:
            try:
                conn.rollback()  # a handler never leaves a transaction open behind it
            except psycopg.Error:
                conn.close()
        self._finished.put((ctx.id, outcome, error))

    # ---- main loop -------------------------------------------------------------------------
    def run(self) -> int:
        self._install_signals()
        conn = self._connect_main()
        pool = ThreadPoolExecutor(max_workers=self.cfg.concurrency, thread_name_prefix="job")
        threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True).start()
        capacity = max(self.cfg.concurrency, self.cfg.batch)
        next_reap = 0.0
        next_look = 0.0
        next_drain = 0.0
        log.info("worker %s started: kinds=%s concurrency=%d batch=%d", self.cfg.worker_id,
                 ",".join(self.cfg.kinds), self.cfg.concurrency, self.cfg.batch)
        try:
            while not self.stopping.is_set():
                try:
                    outcomes = self._collect()
                    free = self._free(capacity)
                    now = time.monotonic()
                    # Notifications received during the last round trip wait in psycopg's backlog.
                    # They only tell us to look, so they are read when they could change that (a
                    # poll of the socket each round cost a fifth of a busy worker's main thread),
                    # and at least every second.
                    if (free > 0 and not (self._woken or outcomes or now >= next_look)) or now >= next_drain:
                        self._drain_notifies(conn)
                        next_drain = now + 1.0
                    # Look at the queue when told to, when the last look filled up, when a job just
                    # finished (its slot and maybe its vendor's cap are free) or at the safety poll.
                    look = free > 0 and (self._woken or bool(outcomes) or now >= next_look)
                    jobs = self._round_trip(conn, outcomes, free if look else 0)
                    if look:
                        self._woken = len(jobs) >= free
                        next_look = now + self.cfg.poll_interval
                        if not jobs and not self._running:
                            # Idle: sleep until the next due job (retries, run_at), a notification
                            # or the safety poll.
                            next_look = min(next_look, self._next_due(conn))
                    self._dispatch(pool, jobs)
                    if now >= next_reap:
                        reaped = conn.execute("select queue.reap_expired()").fetchone()[0]
                        if reaped:
                            log.warning("reaped %d job(s) with an expired lease", reaped)
                            self._woken = True
                        self._remove_expired_uploads(conn)
                        self._purge_retention(conn)
                        next_reap = now + self.cfg.reap_interval
                    if self.cfg.max_jobs is not None and self.processed >= self.cfg.max_jobs:
                        break
                    if jobs or outcomes:
                        continue
                    # With every slot busy a wake-up can wait: spinning here would hold the GIL
                    # against the job threads (each job then took ~5 ms longer, the switch interval).
                    free = self._free(capacity)
                    if self._woken and free > 0:
                        continue
                    if self._running:
                        self._wait_finished(0.05 if free > 0 else 1.0)
                        continue
                    if self.cfg.exit_when_idle:
                        break
                    self._wait_notify(conn, max(0.0, min(next_look - time.monotonic(), 1.0)))
                except psycopg.OperationalError as exc:
                    log.error("database connection lost (%s); reconnecting", exc)
                    time.sleep(1.0)
                    conn.close()
                    conn = self._connect_main()
        finally:
            self._shutdown(conn, pool)
        log.info("worker %s stopped after %d jobs", self.cfg.worker_id, self.processed)
        return 0

    def _free(self, capacity: int) -> int:
        """How many jobs the next look may take: free handler slots, at most one batch (and never
        past --max-jobs)."""
        free = min(capacity - len(self._running), self.cfg.batch)
        if self.cfg.max_jobs is not None:
            free = min(free, self.cfg.max_jobs - self.processed - len(self._running))
        return free

    @staticmethod
    def _remove_expired_uploads(conn: psycopg.Connection) -> None:
        """Expired uploads end in SQL (upload terminated, job failed with upload_expired, job.failed
        event, committed); then their bytes are deleted here. A deletion that fails is logged."""
        for job_id, storage, object_path in conn.execute(
                "select job_id, storage, object_path from ingest.expire_uploads()").fetchall():
            try:
                remove_upload(storage, object_path)
                log.info("upload of job %s expired: its job failed and its bytes were deleted", job_id)
            except Exception as exc:  # noqa: BLE001 - the job already ended; only the bytes remain
                log.error("upload of job %s expired, but deleting %s (%s) failed: %s", job_id, object_path, storage, exc)

    @staticmethod
    def _purge_retention(conn: psycopg.Connection) -> None:
        """Old published events, ended webhook deliveries and raw connector pages go (hooks.purge,
        ingest.purge_raw_pages: the rules and their ages are SQL's)."""
        events, deliveries = conn.execute("select events, deliveries from hooks.purge()").fetchone()
        pages = conn.execute("select ingest.purge_raw_pages()").fetchone()[0]
        if events or deliveries or pages:
            log.info("purged %d outbox events, %d ended webhook deliveries and %d raw connector pages", events, deliveries, pages)

    def _connect_main(self) -> psycopg.Connection:
        conn = psycopg.connect(self.cfg.url, autocommit=True)
        conn.execute(f"LISTEN {CHANNEL}")
        self._woken = True
        return conn

    def _dispatch(self, pool: ThreadPoolExecutor, jobs: list[tuple]) -> None:
        for job_id, kind, vendor_id, payload, attempts, max_attempts in jobs:
            ctx = JobContext(job_id, kind, vendor_id, payload, attempts, max_attempts,
                             worker_id=self.cfg.worker_id, _connect=self._thread_conn,
                             _open=lambda: psycopg.connect(self.cfg.url))
            run = _Running(ctx, time.monotonic())
            with self._lock:
                self._running[job_id] = run
            pool.submit(self._execute, run)

    def _round_trip(self, conn: psycopg.Connection, out: _Outcomes, n: int) -> list[tuple]:
        """Completes, fails, releases and dequeues in one transaction and one network round trip.
        The usual round (jobs done, more wanted) is one statement in autocommit: queue.dequeue
        finishes the completed jobs first. Failures and releases are pipelined before it."""
        if not out and n <= 0:
            return []
        wid = self.cfg.worker_id
        if n > 0 and not out.failed and not out.released:
            return conn.execute(DEQUEUE_SQL, (wid, self.cfg.kinds, n, self.cfg.lease, out.done)).fetchall()
        cur = None
        # Unprepared: a statement that fails in a pipeline skips the Parse of the ones after it,
        # which psycopg would still count as prepared.
        with conn.pipeline(), conn.transaction():
            for job_id, error, retryable in out.failed:
                conn.execute("select queue.fail(%s, %s, %s, %s)", (job_id, wid, error, retryable), prepare=False)
            for job_id in out.released:
                conn.execute("select queue.release(%s, %s)", (job_id, wid), prepare=False)
            if n > 0:
                cur = conn.execute(DEQUEUE_SQL, (wid, self.cfg.kinds, n, self.cfg.lease, out.done), prepare=False)
            elif out.done:
                conn.execute("select queue.complete_many(%s, %s)", (out.done, wid), prepare=False)
        return cur.fetchall() if cur is not None else []

    def _collect(self) -> _Outcomes:
        out = _Outcomes()
        while True:
            try:
                job_id, outcome, error = self._finished.get_nowait()
            except pyqueue.Empty:
                return out
            with self._lock:
                run = self._running.pop(job_id, None)
            self.processed += 1
            if outcome == "done":
                out.done.append(job_id)
            elif outcome == "interrupted" and run is not None and run.stop_reason == "shutdown":
                out.released.append(job_id)
            elif outcome == "interrupted":
                # Lease lost (fail is then a no-op) or canceled (fail dead-letters it).
                out.failed.append((job_id, error or "interrupted", False))
            else:
                out.failed.append((job_id, error or "failed", outcome != "permanent"))
                log.warning("job %s failed (%s): %s", job_id, outcome, error)

    def _wait_finished(self, timeout: float) -> None:
        try:
            item = self._finished.get(timeout=timeout)
        except pyqueue.Empty:
            return
        self._finished.put(item)

    def _drain_notifies(self, conn: psycopg.Connection) -> None:
        for note in conn.notifies(timeout=0):
            if note.payload in self.cfg.kinds:
                self._woken = True

    def _wait_notify(self, conn: psycopg.Connection, timeout: float) -> None:
        for note in conn.notifies(timeout=timeout):
            if note.payload in self.cfg.kinds:
                self._woken = True
                return

    def _next_due(self, conn: psycopg.Connection) -> float:
        """Monotonic time at which to look again: the next due job, else the safety poll."""
        due = conn.execute("select queue.next_due(%s)", (self.cfg.kinds,)).fetchone()[0]
        if due is None:
            return time.monotonic() + self.cfg.poll_interval
        delta = (due - datetime.now(timezone.utc)).total_seconds()
        if delta <= 0:  # due but not takeable now (caps, other workers): look again soon
            return time.monotonic() + min(self.cfg.poll_interval, 1.0)
        return time.monotonic() + min(delta, self.cfg.poll_interval)

    # ---- heartbeats ------------------------------------------------------------------------
    def _heartbeat_loop(self) -> None:
        period = max(self.cfg.lease / 3.0, 0.05)
        conn: psycopg.Connection | None = None
        while not self._hb_stop.wait(period / 2):
            with self._lock:
                due = [r for r in self._running.values() if time.monotonic() - r.started >= period]
            if not due:
                continue
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.cfg.url, autocommit=True)
                for run in due:
                    ok = conn.execute("select queue.heartbeat(%s, %s, make_interval(secs => %s))",
                                      (run.ctx.id, self.cfg.worker_id, self.cfg.lease)).fetchone()[0]
                    if not ok and not run.ctx.stop.is_set():
                        run.stop_reason = "lost_or_canceled"
                        run.ctx.stop.set()
            except psycopg.Error as exc:  # the lease has slack: try again next period
                log.warning("heartbeat failed: %s", exc)
                conn = None
        if conn is not None:
            conn.close()

    # ---- shutdown --------------------------------------------------------------------------
    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, _frame: object) -> None:
            log.info("signal %d: shutting down", signum)
            self.stopping.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _shutdown(self, conn: psycopg.Connection, pool: ThreadPoolExecutor) -> None:
        try:
            deadline = time.monotonic() + self.cfg.shutdown_timeout
            while self._running and time.monotonic() < deadline:
                self._wait_finished(0.1)
                self._round_trip(conn, self._collect(), 0)
            with self._lock:
                left = list(self._running.values())
            for run in left:  # still running after the grace period: interrupt, hand back
                run.stop_reason = "shutdown"
                run.ctx.stop.set()
            pool.shutdown(wait=True)
            self._round_trip(conn, self._collect(), 0)
        finally:
            self._hb_stop.set()
            conn.close()
            with self._lock:
                for c in self._conns:
                    c.close()
