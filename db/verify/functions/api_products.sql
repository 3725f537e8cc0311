-- Verify odyssey:functions/api_products on pg
SELECT 'api.list_products(text, text, bigint, text[], text[], timestamptz, text, text, integer)'::regprocedure,
       'api.upsert_products(jsonb)'::regprocedure, 'api.get_product(uuid)'::regprocedure,
       'api.patch_product(uuid, jsonb, integer)'::regprocedure, 'api.delete_product(uuid, integer)'::regprocedure;
SELECT 1/(provolatile = 's')::int FROM pg_catalog.pg_proc WHERE oid = 'app.product_json(catalog.products)'::regprocedure;
