-- Revert odyssey:schema/product_children_cascade from pg: the per-vendor foreign keys come back
-- (rows whose product is gone are removed first, so that they validate).
BEGIN;

DROP TRIGGER products_children_delete ON catalog.products;
DROP FUNCTION catalog.product_children_delete();
DELETE FROM catalog.product_barcodes b
 WHERE NOT EXISTS (SELECT FROM catalog.products p WHERE p.vendor_id = b.vendor_id AND p.id = b.product_id);
DELETE FROM catalog.product_sources s
 WHERE NOT EXISTS (SELECT FROM catalog.products p WHERE p.vendor_id = s.vendor_id AND p.id = s.product_id);
SELECT app.register_vendor_foreign_key('catalog.product_barcodes', '{vendor_id,product_id}', 'catalog.products', '{vendor_id,id}');
SELECT app.register_vendor_foreign_key('catalog.product_sources', '{vendor_id,product_id}', 'catalog.products', '{vendor_id,id}');

COMMIT;
