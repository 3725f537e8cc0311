-- Verify odyssey:schema/customer_phone_format on pg
SELECT 'crm.phone_is_valid(text)'::regprocedure;
SELECT 1 / count(*)::int FROM pg_catalog.pg_constraint
 WHERE conrelid = 'crm.customers'::regclass AND conname = 'customers_phone_check' AND convalidated
   AND pg_catalog.pg_get_constraintdef(oid) LIKE '%phone_is_valid%';
SELECT 1 / crm.phone_is_valid('(555) 987-6543')::int;
