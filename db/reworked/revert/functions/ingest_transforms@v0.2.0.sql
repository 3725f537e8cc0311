-- Revert odyssey:functions/ingest_transforms from pg
BEGIN;
DROP FUNCTION ingest.apply_ops(text, jsonb, text);
DROP FUNCTION ingest.ft_in_to_cm(text);
DROP FUNCTION ingest.quantity_grams(text);
DROP FUNCTION ingest.split_list(text);
DROP FUNCTION ingest.try_numeric(text);
COMMIT;
