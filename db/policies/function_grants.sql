-- Deploy odyssey:policies/function_grants to pg
-- requires: policies/audit
-- EXECUTE on the SECURITY INVOKER helpers that row triggers and CHECK constraints of products and
-- customers call while running as the writing role (functions are not executable by PUBLIC here):
-- without these, no role but the owner could insert or update a product or a customer.
-- The id helpers (catalog.product_id, crm.customer_id) and nutrient keys are readable by every
-- vendor role and the worker, so clients can compute ids for (vendor_id, id) lookups.
BEGIN;

GRANT EXECUTE ON FUNCTION catalog.product_tsv(text, text, text), catalog.short_description(text),
      crm.customer_tsv(text, text, text), catalog.nutrition_is_valid(jsonb), catalog.is_quantity(text)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT EXECUTE ON FUNCTION catalog.product_id(uuid, text), crm.customer_id(uuid, text), catalog.nutrient_keys()
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker;

COMMIT;
