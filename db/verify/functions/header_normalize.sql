-- Verify odyssey:functions/header_normalize on pg
SELECT 1/(ingest.normalize_header(U&'\FEFFEnergy-kcal_100g ') = 'energy_kcal_100g')::int;
SELECT 1/('per_100g' = ANY (ingest.known_transform_ops()))::int;
SELECT 1/(ingest.value_key(' en:Tree_Nuts ') = 'tree nuts')::int;
SELECT ingest.normalize_value('allergen', 'milk'), ingest.normalize_values('allergen', ARRAY['milk']);
