-- Deploy odyssey:schema/product_features_protein_list to pg
-- requires: schema/product_features_score_lists
-- requires: functions/machinery_vendors
-- A sorted list for customers with a protein ceiling (CKD): the key p0p = p0 + protein / 50 g (the
-- reference daily value). Matching (functions/matching, mode p0p) bounds an unseen product's
-- penalty by alpha_p * p0p, alpha_p = min(R_n / L_n) over sodium, added sugars, saturated fat and
-- protein. With p0 alone the protein ceiling was outside every list key: for CKD customers the
-- bound stayed loose and matching read 3,000-28,000 list entries.
-- A column, not an expression index: a range condition on an expression with an array subscript
-- is not leakproof, so under RLS it would be a filter, not an index condition. Filled here, vendor
-- by vendor, with row locks only (an ADD COLUMN ... GENERATED would rewrite every vendor's rows
-- under one ACCESS EXCLUSIVE lock); functions/catalog_bulk_write (reworked next) writes it and
-- makes it NOT NULL. The UPDATE leaves the table's other indexes about twice their size (measured:
-- the p0 list index of a 500k-product vendor, 490 MB; 237 MB after REINDEX) until they are rebuilt: on a large
-- installation run scripts/reindex-vendor-indexes matching.product_features afterwards (REINDEX
-- INDEX CONCURRENTLY, one leaf index at a time).
BEGIN;

CREATE OR REPLACE FUNCTION matching.product_p0p(p_p0 float8, p_nut float8[])
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT p_p0 + coalesce(p_nut[2], 0) / 50 $$;
COMMENT ON FUNCTION matching.product_p0p(float8, float8[]) IS
  'List key for customers with a protein ceiling: p0 plus protein (nut[2], g) against its reference daily value of 50 g.';

ALTER TABLE matching.product_features ADD COLUMN p0p float8;
COMMENT ON COLUMN matching.product_features.p0p IS 'p0 + protein / 50 g: the list key of customers with a protein ceiling.';

DO $$
DECLARE
    v_vendor uuid;
BEGIN
    FOREACH v_vendor IN ARRAY app.machinery_vendor_ids(false) LOOP
        PERFORM set_config('odyssey.vendor_id', v_vendor::text, true);
        UPDATE matching.product_features SET p0p = matching.product_p0p(p0, nut) WHERE vendor_id = v_vendor;
    END LOOP;
    PERFORM set_config('odyssey.vendor_id', '', true);
END
$$;

CREATE INDEX product_features_list_p0p_idx ON matching.product_features (vendor_id, tag, p0p, product_id)
    INCLUDE (amask, tmask, updated_at, nut);

COMMIT;
