-- Deploy odyssey:functions/catalog_checks to pg
-- requires: schema/namespaces
-- Value rules used by CHECK constraints of products: the canonical per-serving nutrient keys (units
-- in their names) and quantities with units (serving_size, package_weight).
BEGIN;

CREATE OR REPLACE FUNCTION catalog.nutrient_keys()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY['energy_kcal', 'protein_g', 'fat_g', 'saturated_fat_g', 'trans_fat_g',
                 'carbohydrates_g', 'sugars_g', 'added_sugars_g', 'fiber_g', 'sodium_mg',
                 'cholesterol_mg', 'potassium_mg', 'calcium_mg', 'iron_mg']::text[]
$$;
COMMENT ON FUNCTION catalog.nutrient_keys() IS 'Canonical per-serving nutrient keys of products.nutrition; the suffix is the unit.';

CREATE OR REPLACE FUNCTION catalog.nutrition_is_valid(p_nutrition jsonb)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT p_nutrition IS NULL
        OR (jsonb_typeof(p_nutrition) = 'object'
            AND NOT EXISTS (
                SELECT FROM jsonb_each(p_nutrition) AS e(key, value)
                 WHERE e.key <> ALL (catalog.nutrient_keys())
                    OR jsonb_typeof(e.value) <> 'number'
                    OR (e.value)::numeric < 0
                    OR (e.value)::numeric > CASE WHEN e.key = 'energy_kcal' THEN 20000
                                                 WHEN e.key LIKE '%\_mg' THEN 1000000
                                                 ELSE 5000 END))
$$;
COMMENT ON FUNCTION catalog.nutrition_is_valid(jsonb) IS
  'True when nutrition is NULL or an object of known nutrient keys with non-negative, plausible numbers.';

CREATE OR REPLACE FUNCTION catalog.is_quantity(p_text text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT p_text IS NULL
        OR p_text ~* '^\s*[0-9]+([.,][0-9]+)?\s*(mcg|mg|g|kg|ml|cl|dl|l|fl\.?\s?oz|oz|lbs?|cups?|tbsp|tsp|pieces?|pcs?|slices?|servings?|bars?|cans?|bottles?|pouch(es)?|packs?|units?|eggs?|scoops?|sticks?|capsules?|tablets?)\M'
$$;
COMMENT ON FUNCTION catalog.is_quantity(text) IS 'True when the text starts with a number and a known unit (e.g. "30 g", "1 cup (240 ml)").';

COMMIT;
