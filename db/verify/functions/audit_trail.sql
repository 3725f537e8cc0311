-- Verify odyssey:functions/audit_trail on pg
SELECT 1/count(*)::int FROM pg_catalog.pg_trigger WHERE tgname = 'health_profiles_audit_insert' AND tgparentid = 0;
SELECT 'audit.record(text, text, text, uuid, jsonb, jsonb)'::regprocedure;
