-- Revert odyssey:functions/api_ops from pg
BEGIN;
DROP FUNCTION api.metrics_performance();
DROP FUNCTION api.list_jobs(text, text, integer);
DROP FUNCTION api.get_job(uuid);
COMMIT;
