-- Revert odyssey:schema/product_features_score_lists from pg (the per-tag rows keep their nutrient vector: nothing reads it there)
BEGIN;

CREATE INDEX product_features_p0_idx ON matching.product_features (vendor_id, tag, p0, product_id) INCLUDE (amask);
CREATE INDEX product_features_p0f_idx ON matching.product_features (vendor_id, tag, p0f, product_id) INCLUDE (amask);
CREATE INDEX product_features_fib_idx ON matching.product_features (vendor_id, fib DESC, product_id) INCLUDE (amask) WHERE tag = '';
DROP INDEX matching.product_features_list_p0_idx;
DROP INDEX matching.product_features_list_p0f_idx;
DROP INDEX matching.product_features_all_fib_idx;

COMMENT ON COLUMN matching.product_features.nut IS 'Per-serving nutrients in catalog.nutrient_keys() order; NULL element = not stated.';

COMMIT;
