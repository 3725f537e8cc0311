-- Verify odyssey:policies/catalog on pg
SELECT 1/(count(*) = 4)::int FROM pg_catalog.pg_class c
 WHERE c.oid IN ('catalog.products'::regclass, 'catalog.product_barcodes'::regclass,
                 'catalog.product_images'::regclass, 'catalog.product_sources'::regclass)
   AND c.relrowsecurity AND c.relforcerowsecurity
   AND EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation');
