-- Verify odyssey:functions/allergen_mask_refresh on pg
SELECT 'matching.refresh_allergen_masks(uuid)'::regprocedure, 'ingest.allergen_synonyms_changed()'::regprocedure;
SELECT 1/count(*)::int FROM queue.kinds WHERE kind = 'matching.allergen_masks';
SELECT 1/(count(*) = 3)::int FROM pg_catalog.pg_trigger
 WHERE tgrelid = 'ingest.synonyms_value'::regclass AND tgname LIKE 'synonyms_value_allergen_%';
