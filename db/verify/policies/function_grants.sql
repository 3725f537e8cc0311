-- Verify odyssey:policies/function_grants on pg
SELECT 1/(has_function_privilege('odyssey_vendor_operator', 'catalog.product_tsv(text, text, text)', 'EXECUTE')
          AND has_function_privilege('odyssey_worker', 'crm.customer_tsv(text, text, text)', 'EXECUTE')
          AND has_function_privilege('odyssey_vendor_viewer', 'catalog.product_id(uuid, text)', 'EXECUTE'))::int;
