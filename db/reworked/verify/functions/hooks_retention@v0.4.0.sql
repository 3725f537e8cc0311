-- Verify odyssey:functions/hooks_retention on pg
SELECT 'hooks.purge(interval, interval, integer)'::regprocedure;
