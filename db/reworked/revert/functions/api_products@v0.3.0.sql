-- Revert odyssey:functions/api_products from pg
BEGIN;
DROP FUNCTION api.delete_product(uuid, integer);
DROP FUNCTION api.patch_product(uuid, jsonb, integer);
DROP FUNCTION api.get_product(uuid);
DROP FUNCTION api.upsert_products(jsonb);
DROP FUNCTION api.list_products(text, text, bigint, text[], text[], timestamptz, text, text, integer);
DROP FUNCTION app.product_json(catalog.products);
DROP FUNCTION app.field_errors_of_patch(jsonb, text[]);
DROP FUNCTION app.field_errors_of_items(jsonb, text[], text[], integer);
COMMIT;
