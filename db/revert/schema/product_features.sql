-- Revert odyssey:schema/product_features from pg
BEGIN;
DROP TRIGGER products_features_insert ON catalog.products;
DROP TRIGGER products_features_update ON catalog.products;
DROP TRIGGER products_features_delete ON catalog.products;
DROP FUNCTION matching.product_features_sync();
DELETE FROM app.vendor_partitioned_tables WHERE parent = 'matching.product_features'::regclass;
DROP TABLE matching.product_features;
DROP FUNCTION matching.product_allergen_mask(text[]);
DROP FUNCTION matching.product_p0(float8[]);
DROP FUNCTION matching.nutrient_vector(jsonb);
COMMIT;
