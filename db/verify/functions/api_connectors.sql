-- Verify odyssey:functions/api_connectors on pg
BEGIN;

SELECT 'api.connector_put(text, jsonb)'::regprocedure, 'api.connector_get(text)'::regprocedure,
       'api.connector_list(text, integer)'::regprocedure, 'api.connector_delete(text)'::regprocedure,
       'api.connector_test(text)'::regprocedure, 'api.connector_sync(text)'::regprocedure;
SELECT 1 / (NOT has_function_privilege('odyssey_vendor_operator', 'api.connector_put(text, jsonb)', 'EXECUTE'))::int;
SELECT 1 / has_function_privilege('odyssey_vendor_operator', 'api.connector_sync(text)', 'EXECUTE')::int;

COMMIT;
