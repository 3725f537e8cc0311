-- Deploy odyssey:schema/product_children_cascade to pg
-- requires: functions/catalog_bulk_write
-- requires: functions/vendor_partitions
-- A product's barcode claim (catalog.product_barcodes, kept by the statement triggers of
-- functions/catalog_bulk_write) and its lineage rows (catalog.product_sources, written with each
-- product write) follow the product without per-row foreign keys: one statement-level AFTER
-- DELETE trigger removes them with their product. The per-vendor foreign keys made every written
-- barcode and lineage row look its product up again (and share-lock it): 29 of the 77 seconds of
-- a 100,000-row CSV merge. Nothing but those two writers inserts into the tables.
BEGIN;

CREATE OR REPLACE FUNCTION catalog.product_children_delete()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid;
BEGIN
    -- Per vendor, the vendor a constant of a custom plan, so that only its partitions are read.
    FOR v_vendor IN SELECT DISTINCT o.vendor_id FROM old_rows o LOOP
        EXECUTE 'DELETE FROM catalog.product_barcodes b USING old_rows o
                  WHERE b.vendor_id = $1 AND o.vendor_id = $1 AND b.product_id = o.id'
        USING v_vendor;
        EXECUTE 'DELETE FROM catalog.product_sources s USING old_rows o
                  WHERE s.vendor_id = $1 AND o.vendor_id = $1 AND s.product_id = o.id'
        USING v_vendor;
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION catalog.product_children_delete() IS
  'AFTER DELETE statement trigger on products (transition table): removes the deleted products'' barcode claims and lineage rows.';

CREATE TRIGGER products_children_delete AFTER DELETE ON catalog.products
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog.product_children_delete();

-- New vendors get no such keys; existing vendors' partitions lose them.
DELETE FROM app.vendor_partition_foreign_keys
 WHERE parent IN ('catalog.product_barcodes'::regclass, 'catalog.product_sources'::regclass)
   AND ref_parent = 'catalog.products'::regclass;
DO $$
DECLARE
    v_fk record;
BEGIN
    FOR v_fk IN
        SELECT c.conrelid::regclass AS tbl, c.conname
          FROM pg_catalog.pg_constraint c
          JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.conrelid
         WHERE c.contype = 'f'
           AND i.inhparent IN ('catalog.product_barcodes'::regclass, 'catalog.product_sources'::regclass)
           AND c.conname IN ('product_barcodes_product_id_fkey', 'product_sources_product_id_fkey')
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', v_fk.tbl, v_fk.conname);
    END LOOP;
END
$$;

COMMIT;
