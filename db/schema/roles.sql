-- Deploy odyssey:schema/roles to pg
-- Cluster roles of Odyssey. odyssey_owner (created by scripts/cluster before sqitch) owns every object.
--   odyssey_gateway  login, NOINHERIT, NOBYPASSRLS: holds no privilege of its own beyond resolving the
--                    caller; switches per transaction (SET LOCAL ROLE) to one of the RBAC roles below.
--   odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer: PRD §2.2.
--   odyssey_worker   login: queue workers and ingestion (tenant-scoped per job through the same settings).
--   odyssey_analyst  login, read-only, meant for the read replica; no customer PII, no health data.
BEGIN;

DO $$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['odyssey_superadmin', 'odyssey_vendor_admin',
                                  'odyssey_vendor_operator', 'odyssey_vendor_viewer']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT NOBYPASSRLS', v_role);
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'odyssey_gateway') THEN
        CREATE ROLE odyssey_gateway LOGIN NOINHERIT NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'odyssey_worker') THEN
        CREATE ROLE odyssey_worker LOGIN NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'odyssey_analyst') THEN
        CREATE ROLE odyssey_analyst LOGIN NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

ALTER ROLE odyssey_analyst SET default_transaction_read_only = on;
ALTER ROLE odyssey_analyst SET statement_timeout = '5min';
ALTER ROLE odyssey_gateway SET statement_timeout = '30s';

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO odyssey_gateway, odyssey_worker, odyssey_analyst',
                   current_database());
END
$$;

GRANT odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer
   TO odyssey_gateway;

COMMIT;
