-- Verify odyssey:policies/ingest_pipeline on pg
SELECT 1/(relrowsecurity AND relforcerowsecurity)::int FROM pg_class WHERE oid = 'ingest.uploads'::regclass;
SELECT 1/(relrowsecurity AND relforcerowsecurity)::int FROM pg_class WHERE oid = 'hooks.events'::regclass;
SELECT 1/has_database_privilege('odyssey_worker', current_database(), 'TEMPORARY')::int;
