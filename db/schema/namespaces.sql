-- Deploy odyssey:schema/namespaces to pg
-- requires: schema/roles
-- Private schemas grouped by domain; the gateway calls only `api`. Leaf partitions live in
-- `partitions` (no USAGE for anyone but the owner), offboarded leaves in `archive`.
BEGIN;

CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE SCHEMA app;        -- request context helpers, shared trigger functions, partition management
CREATE SCHEMA core;       -- vendors, users, memberships, platform admins
CREATE SCHEMA catalog;    -- products and their satellites, taxonomy
CREATE SCHEMA crm;        -- customers, consents, white/blacklists
CREATE SCHEMA health;     -- health profiles, diet rules
CREATE SCHEMA matching;   -- scoring policies, matches cache
CREATE SCHEMA ingest;     -- synonyms, vendor mappings, ingestion jobs, staging, connectors
CREATE SCHEMA hooks;      -- webhook endpoints and deliveries
CREATE SCHEMA ops;        -- idempotency keys and other gateway-facing machinery
CREATE SCHEMA audit;      -- the append-only audit trail
CREATE SCHEMA api;        -- the only surface the gateway calls
CREATE SCHEMA partitions; -- leaf partitions: reachable only through their parents
CREATE SCHEMA archive;    -- leaves detached when a vendor is offboarded with keep

COMMENT ON SCHEMA partitions IS 'Leaf partitions of vendor-partitioned tables; no role but the owner has USAGE.';
COMMENT ON SCHEMA archive IS 'Detached partitions of offboarded vendors (kept for retention).';

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO PUBLIC;

-- Nothing is executable by PUBLIC unless granted one by one.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

GRANT USAGE ON SCHEMA app, core, catalog, crm, health, matching, ingest, hooks, ops, audit, api
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer,
      odyssey_worker, odyssey_analyst;
-- The gateway's own (pre-SET ROLE) login may only resolve callers through api.
GRANT USAGE ON SCHEMA api, app TO odyssey_gateway;

COMMIT;
