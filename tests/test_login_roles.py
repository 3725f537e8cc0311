"""What the login roles can become, checked over real logins (pgTAP runs as a superuser, for whom
every SET ROLE succeeds): the gateway switches only to the four RBAC roles, the app role follows
the switch, and the worker is recognised by its login."""
from __future__ import annotations

import uuid

import psycopg
import pytest

from gateway.config import setting

RBAC = {"odyssey_superadmin": "superadmin", "odyssey_vendor_admin": "vendor_admin",
        "odyssey_vendor_operator": "vendor_operator", "odyssey_vendor_viewer": "vendor_viewer"}


@pytest.mark.parametrize("role", sorted(RBAC))
def test_gateway_switches_to_an_rbac_role_and_the_app_role_follows(gateway_url: str, role: str) -> None:
    with psycopg.connect(gateway_url) as conn:
        assert conn.execute("select app.current_app_role()").fetchone()[0] is None
        conn.execute("select set_config('role', %s, true)", (role,))
        assert conn.execute("select app.current_app_role()").fetchone()[0] == RBAC[role]
        assert conn.execute("select app.is_superadmin()").fetchone()[0] is (role == "odyssey_superadmin")


@pytest.mark.parametrize("role", ["odyssey_owner", "odyssey_worker", "odyssey_analyst", "postgres"])
def test_gateway_cannot_become_the_owner_worker_analyst_or_a_superuser(gateway_url: str, role: str) -> None:
    with psycopg.connect(gateway_url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f'set role "{role}"')


def test_gateway_cannot_pretend_a_role_through_a_setting(gateway_url: str) -> None:
    with psycopg.connect(gateway_url) as conn:
        conn.execute("select set_config('odyssey.role', 'superadmin', true)")
        conn.execute("select set_config('role', 'odyssey_vendor_viewer', true)")
        assert conn.execute("select app.current_app_role(), app.is_superadmin()").fetchone() == ("vendor_viewer", False)


def test_worker_login_is_the_worker_app_role_and_obeys_rls(su: psycopg.Connection) -> None:
    url = setting("ODYSSEY_WORKER_URL")
    assert url
    vendor = uuid.uuid4()
    su.execute("insert into core.vendors (id, name) values (%s, %s)", (vendor, f"worker-probe-{vendor}"))
    try:
        with su.transaction():
            su.execute("select set_config('odyssey.vendor_id', %s, true)", (str(vendor),))
            su.execute("insert into catalog.tax_categories (code, label) values (%s, 'Probe') on conflict (code) do nothing",
                       ("worker-probe",))
            su.execute("insert into catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price) "
                       "select catalog.product_id(%s, 'p1'), %s, 'p1', 'Probe', '', '', id, 1 "
                       "from catalog.tax_categories where code = 'worker-probe'", (vendor, vendor))
        with psycopg.connect(url) as conn:
            assert conn.execute("select app.current_app_role()").fetchone()[0] == "worker"
            # Tenant data stays behind RLS for the worker too: no vendor set, nothing visible ...
            assert conn.execute("select count(*) from catalog.products where vendor_id = %s", (vendor,)).fetchone()[0] == 0
            # ... and exactly the job's vendor once it is set.
            conn.execute("select set_config('odyssey.vendor_id', %s, true)", (str(vendor),))
            assert conn.execute("select count(*) from catalog.products where vendor_id = %s", (vendor,)).fetchone()[0] == 1
    finally:
        su.execute("select app.offboard_vendor(%s, false)", (vendor,))
        su.execute("delete from core.vendors where id = %s", (vendor,))
        su.execute("delete from catalog.tax_categories where code = 'worker-probe'")
