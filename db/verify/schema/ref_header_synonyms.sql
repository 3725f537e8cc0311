-- Verify odyssey:schema/ref_header_synonyms on pg
SELECT 1/(count(*) = 1)::int FROM ingest.match_header('products', 'Energy-kJ_100g')
 WHERE canonical = 'energy_kcal' AND transform_ops = '["kj_to_kcal", "per_100g"]';
SELECT 1/(count(*) = 1)::int FROM pg_catalog.pg_trigger
 WHERE tgrelid = 'ingest.synonyms_header'::regclass AND tgname = 'synonyms_header_check';
