-- Revert odyssey:functions/catalog_checks from pg
BEGIN;
DROP FUNCTION catalog.is_quantity(text);
DROP FUNCTION catalog.nutrition_is_valid(jsonb);
DROP FUNCTION catalog.nutrient_keys();
COMMIT;
