"""The local cluster that scripts/cluster brings up: a primary and a streaming hot standby, the
schema deployed, the login roles as the security model requires."""
from __future__ import annotations

import time
import uuid

import psycopg
import pytest


def test_replica_is_a_streaming_hot_standby(su: psycopg.Connection, replica_url: str) -> None:
    sender = su.execute("select state, sync_state from pg_stat_replication").fetchall()
    assert sender and sender[0][0] == "streaming"
    with psycopg.connect(replica_url) as rep:
        assert rep.execute("select pg_is_in_recovery()").fetchone()[0] is True
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            rep.execute("create temp table t (x int)")


def test_row_written_on_primary_is_readable_on_replica(su: psycopg.Connection, replica_url: str) -> None:
    vendor = uuid.uuid4()
    name = f"replica-probe-{vendor}"
    su.execute("insert into core.vendors (id, name) values (%s, %s)", (vendor, name))
    try:
        deadline = time.monotonic() + 10
        with psycopg.connect(replica_url, autocommit=True) as rep:
            rep.execute("select set_config('role', 'odyssey_superadmin', false)")
            while True:
                row = rep.execute("select name from core.vendors where id = %s", (vendor,)).fetchone()
                if row or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        assert row == (name,)
    finally:
        su.execute("select app.offboard_vendor(%s, false)", (vendor,))
        su.execute("delete from core.vendors where id = %s", (vendor,))


@pytest.mark.parametrize("role", ["odyssey_gateway", "odyssey_worker", "odyssey_analyst",
                                  "odyssey_superadmin", "odyssey_vendor_admin",
                                  "odyssey_vendor_operator", "odyssey_vendor_viewer"])
def test_application_roles_are_neither_owners_nor_bypass_rls(su: psycopg.Connection, role: str) -> None:
    row = su.execute("select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = %s",
                     (role,)).fetchone()
    assert row == (False, False, False, False)
    owned = su.execute("select count(*) from pg_class c join pg_roles r on r.oid = c.relowner "
                       "where r.rolname = %s", (role,)).fetchone()[0]
    assert owned == 0


def test_gateway_login_cannot_read_tables_before_switching_role(gateway_url: str) -> None:
    with psycopg.connect(gateway_url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from catalog.products")


def test_analyst_sessions_are_read_only(su: psycopg.Connection) -> None:
    from gateway.config import setting
    url = setting("ODYSSEY_ANALYST_URL")
    assert url
    with psycopg.connect(url) as conn:
        assert conn.execute("show default_transaction_read_only").fetchone()[0] == "on"
