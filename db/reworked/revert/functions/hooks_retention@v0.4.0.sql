-- Revert odyssey:functions/hooks_retention from pg
BEGIN;

DROP FUNCTION hooks.purge(interval, interval, integer);

COMMIT;
