"""Concurrent partition creation (db/functions/vendor_partitions.sql): app.create_vendor_partitions
takes a transaction-level advisory lock, so two sessions creating the same vendor's partitions, or
two vendors at once, queue instead of racing on the catalog; every partition exists exactly once."""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

LOCK_KEY = "select hashtext('odyssey.vendor_partitions')"


def _expected_relations(su: psycopg.Connection) -> int:
    return su.execute("select sum(coalesce(hash_modulus, 0) + 1)::int from app.vendor_partitioned_tables").fetchone()[0]


def _relations(su: psycopg.Connection, vendor: uuid.UUID) -> int:
    return su.execute(
        "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'partitions' and c.relkind in ('r', 'p') and c.relname like %s",
        (f"%\\_{vendor.hex}%",)).fetchone()[0]


def _wait_for_advisory_waiter(su: psycopg.Connection, pid: int, timeout: float = 10.0) -> bool:
    key = su.execute(LOCK_KEY).fetchone()[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = su.execute("select count(*) from pg_locks where locktype = 'advisory' and pid = %s and not granted "
                         "and objid = (%s::bigint & 4294967295)::oid", (pid, key)).fetchone()
        if row[0]:
            return True
        time.sleep(0.02)
    return False


@pytest.fixture()
def vendors(su: psycopg.Connection) -> Iterator[list[uuid.UUID]]:
    created: list[uuid.UUID] = []
    yield created
    for vendor in created:
        su.execute("select app.offboard_vendor(%s, false)", (vendor,))
        su.execute("delete from core.vendors where id = %s", (vendor,))


def test_same_vendor_concurrently_waits_on_the_advisory_lock(su: psycopg.Connection, superuser_url: str,
                                                            vendors: list[uuid.UUID]) -> None:
    vendor = uuid.uuid4()
    vendors.append(vendor)
    registered = su.execute("select count(*)::int from app.vendor_partitioned_tables").fetchone()[0]
    with psycopg.connect(superuser_url) as first, psycopg.connect(superuser_url) as second:
        assert first.execute("select app.create_vendor_partitions(%s)", (vendor,)).fetchone()[0] == registered
        second_pid = second.info.backend_pid
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(lambda: second.execute("select app.create_vendor_partitions(%s)", (vendor,)).fetchone()[0])
            # The second call queues on the advisory lock while the first transaction is open ...
            assert _wait_for_advisory_waiter(su, second_pid), "the second call did not wait on the advisory lock"
            assert not pending.done()
            first.commit()
            # ... and, once the first commits, finds every partition there and creates nothing.
            assert pending.result(timeout=30) == 0
        second.commit()
    assert _relations(su, vendor) == _expected_relations(su)


def test_two_vendors_created_at_once_both_get_all_partitions(su: psycopg.Connection, superuser_url: str,
                                                             vendors: list[uuid.UUID]) -> None:
    pair = [uuid.uuid4(), uuid.uuid4()]
    vendors.extend(pair)
    barrier = threading.Barrier(2)

    def create(vendor: uuid.UUID) -> None:
        with psycopg.connect(superuser_url) as conn:
            barrier.wait(timeout=10)
            conn.execute("insert into core.vendors (id, name) values (%s, %s)", (vendor, f"concurrent-{vendor}"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(create, v) for v in pair]:
            future.result(timeout=60)
    expected = _expected_relations(su)
    assert [_relations(su, v) for v in pair] == [expected, expected]
    attached = su.execute(
        "select count(*) from app.vendor_partitioned_tables t, unnest(%s::uuid[]) v "
        "where app.vendor_partition(t.parent, v) is not null", (pair,)).fetchone()[0]
    assert attached == 2 * su.execute("select count(*) from app.vendor_partitioned_tables").fetchone()[0]


def test_the_same_vendor_inserted_twice_at_once_exists_once(su: psycopg.Connection, superuser_url: str,
                                                            vendors: list[uuid.UUID]) -> None:
    vendor = uuid.uuid4()
    vendors.append(vendor)
    with psycopg.connect(superuser_url) as first, psycopg.connect(superuser_url) as second:
        first.execute("insert into core.vendors (id, name) values (%s, %s)", (vendor, f"twice-{vendor}"))
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(second.execute, "insert into core.vendors (id, name) values (%s, %s)",
                                  (vendor, f"twice-again-{vendor}"))
            time.sleep(0.3)
            assert not pending.done()
            first.commit()
            with pytest.raises(psycopg.errors.UniqueViolation):
                pending.result(timeout=30)
        second.rollback()
    assert _relations(su, vendor) == _expected_relations(su)
