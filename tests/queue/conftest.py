"""Fixtures for the queue tests: three vendors, the probe kinds and their execution log, and a
launcher of real `odyssey worker` processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
VENDORS = [uuid.UUID(f"c0000000-0000-4000-8000-00000000000{i}") for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def vendors(superuser_url: str) -> Iterator[list[uuid.UUID]]:
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        for i, v in enumerate(VENDORS):
            with conn.transaction():
                conn.execute("select set_config('odyssey.vendor_id', %s, true)", (str(v),))
                conn.execute("insert into core.vendors (id, name) values (%s, %s) on conflict do nothing",
                             (v, f"queue test vendor {i}"))
    yield VENDORS
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        for v in VENDORS:
            conn.execute("select app.offboard_vendor(%s, false)", (v,))
            conn.execute("delete from core.vendors where id = %s", (v,))


@pytest.fixture()
def probe(superuser_url: str, vendors: list[uuid.UUID]) -> Iterator[psycopg.Connection]:
    """A superuser connection, the probe kinds (probe: uncapped; probe.capped: 2 per vendor) and a
    clean execution log; everything of the probe kinds is removed afterwards."""
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute("""
            create schema if not exists queue_probe;
            create table if not exists queue_probe.executions (
                id bigserial primary key, job_id bigint not null, kind text not null, vendor_id uuid,
                worker text not null, attempt int not null,
                started_at timestamptz not null default clock_timestamp(), finished_at timestamptz);
            truncate queue_probe.executions;
            grant usage on schema queue_probe to odyssey_worker;
            grant select, insert, update on queue_probe.executions to odyssey_worker;
            grant usage on sequence queue_probe.executions_id_seq to odyssey_worker;
            insert into queue.kinds (kind, max_running_per_vendor, max_attempts, backoff_base, backoff_cap)
            values ('probe', null, 5, '0.2 s', '1 s'), ('probe.capped', 2, 5, '0.2 s', '1 s')
            on conflict (kind) do nothing;
        """)
        yield conn
        conn.execute("delete from queue.jobs where kind like 'probe%'; delete from queue.dead_letters where kind like 'probe%';"
                     "delete from queue.kinds where kind like 'probe%'; drop schema queue_probe cascade;")


@pytest.fixture()
def workers(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Starts `odyssey worker` processes; every one still alive at the end is terminated."""
    started: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(started)}.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker", "--import", "tests.queue.probe_handlers",
                                 "--log-level", "INFO", *args],
                                cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in started:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
