-- Revert odyssey:functions/api_products from pg
BEGIN;
REVOKE EXECUTE ON FUNCTION catalog.product_id(uuid, text)
    FROM odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
DROP FUNCTION api.delete_product(uuid, integer);
DROP FUNCTION api.patch_product(uuid, jsonb, integer);
DROP FUNCTION api.get_product(uuid);
DROP FUNCTION api.upsert_products(jsonb);
DROP FUNCTION api.list_products(text, text, bigint, text[], text[], timestamptz, text, text, integer);
DROP FUNCTION app.product_json(catalog.products);
DROP FUNCTION app.field_errors_of_patch(jsonb, text[]);
DROP FUNCTION app.field_errors_of_items(jsonb, text[], text[], integer);
DROP FUNCTION app.require_vendor();
REVOKE EXECUTE ON FUNCTION catalog.nutrient_keys(), catalog.nutrition_is_valid(jsonb), catalog.is_quantity(text),
      catalog.short_description(text), catalog.product_tsv(text, text, text), crm.customer_tsv(text, text, text)
    FROM odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
COMMIT;
