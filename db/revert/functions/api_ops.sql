-- Revert odyssey:functions/api_ops from pg
BEGIN;
DROP FUNCTION api.metrics_performance();
COMMIT;
