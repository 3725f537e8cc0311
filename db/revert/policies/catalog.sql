-- Revert odyssey:policies/catalog from pg
BEGIN;
SELECT app.disable_tenant_rls(t)
  FROM unnest(ARRAY['catalog.products', 'catalog.product_barcodes', 'catalog.product_images',
                    'catalog.product_sources']::regclass[]) AS t;
COMMIT;
