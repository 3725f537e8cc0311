-- Revert odyssey:schema/product_features_protein_list from pg
BEGIN;
DROP INDEX matching.product_features_list_p0p_idx;
ALTER TABLE matching.product_features DROP COLUMN p0p;
DROP FUNCTION matching.product_p0p(float8, float8[]);
COMMIT;
