-- Revert odyssey:functions/allergen_mask_refresh from pg
BEGIN;

DROP TRIGGER synonyms_value_allergen_insert ON ingest.synonyms_value;
DROP TRIGGER synonyms_value_allergen_update ON ingest.synonyms_value;
DROP TRIGGER synonyms_value_allergen_delete ON ingest.synonyms_value;
DROP FUNCTION ingest.allergen_synonyms_changed(), matching.refresh_allergen_masks(uuid);
DO $$
BEGIN
    PERFORM set_config('odyssey.queue_scope', 'machinery', true);
    DELETE FROM queue.jobs WHERE kind = 'matching.allergen_masks';
    DELETE FROM queue.dead_letters WHERE kind = 'matching.allergen_masks';
END
$$;
DELETE FROM queue.kinds WHERE kind = 'matching.allergen_masks';

COMMIT;
