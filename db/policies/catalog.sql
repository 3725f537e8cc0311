-- Deploy odyssey:policies/catalog to pg
-- requires: schema/catalog
-- Products and satellites: tenant-isolated (RLS enabled and forced). Every vendor role reads;
-- admins, operators, superadmins (break-glass, inside a vendor) and the worker write; hard deletes
-- only by the worker (retention jobs); the analyst reads every vendor's catalog (no PII).
-- product_barcodes is written only by its trigger (definer-rights).
BEGIN;

GRANT SELECT ON catalog.products, catalog.product_images, catalog.product_sources, catalog.product_barcodes
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker;
GRANT INSERT, UPDATE ON catalog.products, catalog.product_images, catalog.product_sources
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT DELETE ON catalog.product_images, catalog.product_sources
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT DELETE ON catalog.products TO odyssey_worker;

SELECT app.enable_tenant_rls(t), app.enable_analyst_read(t)
  FROM unnest(ARRAY['catalog.products', 'catalog.product_barcodes', 'catalog.product_images',
                    'catalog.product_sources']::regclass[]) AS t;

COMMIT;
