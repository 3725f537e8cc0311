-- Deploy odyssey:schema/product_features_score_lists to pg
-- requires: schema/product_features
-- The sorted lists of all eligible products (tag '' rows) carry what a score needs -- nutrients,
-- diet tags, recency, allergen mask -- so matching scores list entries straight from an index-only
-- scan instead of looking each candidate up (at 500k products: 640 entries 0.6 ms against 5 ms).
-- The per-tag goal lists stay narrow: their rows hold no nutrients; matching looks those up.
BEGIN;

CREATE INDEX product_features_all_p0_idx ON matching.product_features (vendor_id, p0, product_id)
    INCLUDE (amask, tmask, updated_at, nut) WHERE tag = '';
CREATE INDEX product_features_all_p0f_idx ON matching.product_features (vendor_id, p0f, product_id)
    INCLUDE (amask, tmask, updated_at, nut) WHERE tag = '';
CREATE INDEX product_features_all_fib_idx ON matching.product_features (vendor_id, fib DESC, product_id)
    INCLUDE (amask, tmask, updated_at, nut) WHERE tag = '';

DROP INDEX matching.product_features_fib_idx;
DROP INDEX matching.product_features_p0_idx;
DROP INDEX matching.product_features_p0f_idx;
CREATE INDEX product_features_tag_p0_idx ON matching.product_features (vendor_id, tag, p0, product_id)
    INCLUDE (amask) WHERE tag <> '';
CREATE INDEX product_features_tag_p0f_idx ON matching.product_features (vendor_id, tag, p0f, product_id)
    INCLUDE (amask) WHERE tag <> '';

COMMIT;
