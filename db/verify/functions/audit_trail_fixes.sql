-- Verify odyssey:functions/audit_trail_fixes on pg
SELECT 1/(pg_catalog.strpos(pg_catalog.pg_get_functiondef('audit.capture_row()'::regprocedure), 'pg_partition_root') > 0
          AND pg_catalog.strpos(pg_catalog.pg_get_functiondef('audit.record(text, text, text, uuid, jsonb, jsonb)'::regprocedure), 'current vendor') > 0)::int;
