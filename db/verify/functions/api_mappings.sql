-- Verify odyssey:functions/api_mappings on pg
BEGIN;

SELECT 'api.mapping_get(text)'::regprocedure, 'api.mapping_put(text, jsonb)'::regprocedure,
       'api.mapping_preview(text, text)'::regprocedure;
SELECT 1 / (NOT has_function_privilege('odyssey_vendor_operator', 'api.mapping_put(text, jsonb)', 'EXECUTE'))::int;

COMMIT;
