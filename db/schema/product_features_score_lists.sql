-- Deploy odyssey:schema/product_features_score_lists to pg
-- requires: schema/product_features
-- requires: functions/catalog_bulk_write
-- requires: functions/machinery_vendors
-- The sorted lists matching reads -- all eligible products (tag '' rows) by p0, p0 - fib and fib,
-- and each diet tag's products by p0 and p0 - fib -- carry what a score needs: nutrients, diet
-- tags, recency and allergen mask. Matching scores list entries straight from index-only scans
-- instead of looking each candidate up (at 500k products: 640 entries 0.6 ms against 5 ms).
-- The per-tag rows get the nutrient vector (functions/catalog_bulk_write writes it from now on;
-- the rows already there are filled here, vendor by vendor under its tenant setting).
BEGIN;

DO $$
DECLARE
    v_vendor uuid;
BEGIN
    FOREACH v_vendor IN ARRAY app.machinery_vendor_ids(false) LOOP
        PERFORM set_config('odyssey.vendor_id', v_vendor::text, true);
        UPDATE matching.product_features t SET nut = a.nut
          FROM matching.product_features a
         WHERE t.vendor_id = v_vendor AND t.tag <> '' AND t.nut IS NULL
           AND a.vendor_id = v_vendor AND a.tag = '' AND a.product_id = t.product_id;
    END LOOP;
    PERFORM set_config('odyssey.vendor_id', '', true);
END
$$;

-- One index per key holds every list: list A is the tag '' rows, a goal list a tag's rows.
CREATE INDEX product_features_list_p0_idx ON matching.product_features (vendor_id, tag, p0, product_id)
    INCLUDE (amask, tmask, updated_at, nut);
CREATE INDEX product_features_list_p0f_idx ON matching.product_features (vendor_id, tag, p0f, product_id)
    INCLUDE (amask, tmask, updated_at, nut);
CREATE INDEX product_features_all_fib_idx ON matching.product_features (vendor_id, fib DESC, product_id)
    INCLUDE (amask, tmask, updated_at, nut) WHERE tag = '';

COMMENT ON COLUMN matching.product_features.nut IS
  'Per-serving nutrients in catalog.nutrient_keys() order; NULL element = not stated. On the per-tag rows too (their lists are scored index-only).';

DROP INDEX matching.product_features_fib_idx;
DROP INDEX matching.product_features_p0_idx;
DROP INDEX matching.product_features_p0f_idx;

COMMIT;
