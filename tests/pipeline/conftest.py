"""Fixtures for the CSV ingestion pipeline tests: vendors, an upload store, real `odyssey worker`
processes, and a way to submit a file as an ingestion job without the HTTP upload endpoint (as
the DB superuser: ingestion_jobs row, completed upload, file in the store, queue.enqueue)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

REPO = Path(__file__).resolve().parents[2]
FINISHED = ("completed", "failed", "canceled")


def wait_for(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.05) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Store:
    """The local upload store the workers read (ODYSSEY_UPLOAD_DIR)."""
    root: Path

    def put(self, vendor: str, job: str, data: bytes) -> str:
        path = self.root / vendor / job
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return f"{vendor}/{job}"


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="module")
def new_vendor(superuser_url: str) -> Iterator[Callable[[str], str]]:
    """Creates vendors (partitions and all); they are offboarded and deleted after the module."""
    made: list[str] = []

    def make(name: str) -> str:
        vid = str(uuid.uuid4())
        with psycopg.connect(superuser_url, autocommit=True) as conn, conn.transaction():
            conn.execute("select set_config('odyssey.vendor_id', %s, true)", (vid,))
            conn.execute("insert into core.vendors (id, name) values (%s, %s)", (vid, f"{name} {vid[:8]}"))
        made.append(vid)
        return vid

    yield make
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        for vid in made:
            conn.execute("delete from queue.jobs where vendor_id = %s", (vid,))
            conn.execute("delete from queue.dead_letters where vendor_id = %s", (vid,))
            conn.execute("select app.offboard_vendor(%s, false)", (vid,))
            conn.execute("delete from core.vendors where id = %s", (vid,))


def submit(conn: psycopg.Connection, store: Store, vendor: str, mode: str, data: bytes,
           max_attempts: int | None = None, put: bool = True) -> str:
    """A completed upload of `data` as an ingestion job of `vendor`, queued for the workers
    (put=False: the store lost the file)."""
    job = str(uuid.uuid4())
    path = store.put(vendor, job, data) if put else f"{vendor}/{job}"
    with conn.transaction():
        conn.execute("select set_config('odyssey.vendor_id', %s, true)", (vendor,))
        conn.execute("insert into ingest.ingestion_jobs (id, vendor_id, mode, phase) values (%s, %s, %s, 'queued')",
                     (job, vendor, mode))
        conn.execute("""insert into ingest.uploads (job_id, vendor_id, object_path, upload_length, upload_offset, completed_at)
                        values (%s, %s, %s, %s, %s, now())""", (job, vendor, path, len(data), len(data)))
        conn.execute("""update ingest.ingestion_jobs set queue_job_id = queue.enqueue('ingest.csv', %s, %s, 0, null, %s, %s)
                         where id = %s""", (vendor, Jsonb({"job_id": job}), job, max_attempts, job))
    return job


def job_state(conn: psycopg.Connection, job: str) -> tuple:
    """(status, phase, totals, error_url, queue job still there)."""
    return conn.execute("""select j.status::text, j.phase, j.totals, j.error_url,
                                  exists (select from queue.jobs q where q.id = j.queue_job_id)
                             from ingest.ingestion_jobs j where j.id = %s""", (job,)).fetchone()


def wait_job(conn: psycopg.Connection, job: str, timeout: float = 60) -> tuple:
    """Waits until the job has ended and the queue is done with it; returns job_state."""
    def done():
        state = job_state(conn, job)
        return state if state[0] in FINISHED and not state[4] else None
    return wait_for(done, timeout, f"ingestion job {job} to end", interval=0.1)


def job_errors(conn: psycopg.Connection, job: str) -> list[tuple]:
    return conn.execute("select row_no, field, code from ingest.ingestion_job_errors where job_id = %s order by row_no, field, code",
                        (job,)).fetchall()


@pytest.fixture()
def su_conn(superuser_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        yield conn


class Workers:
    """Launches `odyssey worker --kinds ingest.csv` processes reading `store`."""

    def __init__(self, store: Store, log_dir: Path) -> None:
        self.store = store
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.log_dir / f"worker-{len(self.procs)}.log", "w")
        environ = dict(os.environ, ODYSSEY_UPLOAD_DIR=str(self.store.root), **(env or {}))
        proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker", "--kinds", "ingest.csv",
                                 "--log-level", "INFO", *args],
                                cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=environ)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.log_dir.glob("worker-*.log")))


@pytest.fixture()
def workers(store: Store, tmp_path: Path) -> Iterator[Workers]:
    w = Workers(store, tmp_path)
    yield w
    w.stop_all()


@pytest.fixture(scope="module")
def module_worker(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    """One worker for a whole module (properties submit many small jobs)."""
    w = Workers(store, tmp_path_factory.mktemp("worker"))
    w.start("--concurrency", "2", "--poll-interval", "0.5", "--reap-interval", "2")
    yield w
    w.stop_all()


@pytest.fixture()
def probe(superuser_url: str):
    """Records every committed update of an ingestion job (which backend, phase, checkpoint):
    test instrumentation, removed afterwards."""
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute("""
            create schema ingest_probe;
            create table ingest_probe.updates (id bigserial primary key, job_id uuid, pid int, attempt int, phase text,
                                               copy_offset bigint, merged_through bigint, at timestamptz default clock_timestamp());
            create function ingest_probe.record() returns trigger language plpgsql security definer set search_path = '' as $$
            begin
                insert into ingest_probe.updates (job_id, pid, attempt, phase, copy_offset, merged_through)
                values (new.id, pg_catalog.pg_backend_pid(), new.attempt, new.phase, (new.checkpoint #>> '{copy,offset}')::bigint,
                        (new.checkpoint #>> '{merge,through}')::bigint);
                return null;
            end $$;
            grant usage on schema ingest_probe to odyssey_worker, odyssey_owner;
            create trigger ingest_probe_updates after update on ingest.ingestion_jobs
                for each row execute function ingest_probe.record();""")
        yield conn
        conn.execute("drop trigger ingest_probe_updates on ingest.ingestion_jobs; drop schema ingest_probe cascade;")
