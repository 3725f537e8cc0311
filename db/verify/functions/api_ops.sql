-- Verify odyssey:functions/api_ops on pg
SELECT 'api.metrics_performance()'::regprocedure;
