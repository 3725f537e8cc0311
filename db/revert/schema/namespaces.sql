-- Revert odyssey:schema/namespaces from pg
BEGIN;
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
DROP SCHEMA archive, partitions, api, audit, ops, hooks, ingest, matching, health, crm, catalog, core, app CASCADE;
DROP EXTENSION IF EXISTS pg_trgm;
DROP EXTENSION IF EXISTS "uuid-ossp";
COMMIT;
