-- Verify odyssey:functions/queue on pg
SELECT 1/count(*)::int FROM pg_catalog.pg_proc
 WHERE pronamespace = 'queue'::regnamespace AND proname = 'dequeue' AND prosecdef;
SELECT has_function_privilege('odyssey_worker', 'queue.dequeue(text, text[], integer, interval)', 'execute');
SELECT 1/(NOT has_function_privilege('odyssey_vendor_admin', 'queue.dequeue(text, text[], integer, interval)', 'execute'))::int;
SELECT queue.backoff_delay(3, '1 second', '1 minute');
