-- Revert odyssey:policies/function_grants from pg
BEGIN;

REVOKE EXECUTE ON FUNCTION catalog.product_tsv(text, text, text), catalog.short_description(text),
       crm.customer_tsv(text, text, text), catalog.nutrition_is_valid(jsonb), catalog.is_quantity(text)
  FROM odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
REVOKE EXECUTE ON FUNCTION catalog.product_id(uuid, text), crm.customer_id(uuid, text), catalog.nutrient_keys()
  FROM odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker;

COMMIT;
