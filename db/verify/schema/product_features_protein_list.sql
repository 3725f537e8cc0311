-- Verify odyssey:schema/product_features_protein_list on pg
SELECT p0p FROM matching.product_features WHERE false;
SELECT 'matching.product_features_list_p0p_idx'::regclass, 'matching.product_p0p(float8, float8[])'::regprocedure;
SELECT 1 / (matching.product_p0p(0.5, ARRAY[100, 25]::float8[]) = 1.0)::int;
