-- Verify odyssey:schema/ref_value_synonyms on pg
SELECT 1/(ingest.normalize_value('allergen', 'Whey') = 'milk')::int;
SELECT 1/(ingest.normalize_value('allergen', 'buckwheat') IS NULL)::int;
SELECT 1/(ingest.normalize_value('condition', 'HTN') = 'hypertension')::int;
SELECT 1/(count(*) = 1)::int FROM pg_catalog.pg_trigger
 WHERE tgrelid = 'ingest.synonyms_value'::regclass AND tgname = 'synonyms_value_check';
