-- Verify odyssey:functions/api_ops on pg
SELECT 'api.get_job(uuid)'::regprocedure, 'api.list_jobs(text, text, integer)'::regprocedure,
       'api.metrics_performance()'::regprocedure;
