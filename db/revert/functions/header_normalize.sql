-- Revert odyssey:functions/header_normalize from pg
BEGIN;
DROP FUNCTION ingest.normalize_values(ingest.value_domain, text[]);
DROP FUNCTION ingest.normalize_value(ingest.value_domain, text);
DROP TRIGGER synonyms_value_sync_keys ON ingest.synonyms_value;
DROP FUNCTION ingest.sync_synonyms_value_keys();
DROP TABLE ingest.synonyms_value_keys;
DROP FUNCTION ingest.value_key(text);
DROP FUNCTION ingest.known_transform_ops();
DROP FUNCTION ingest.normalize_header(text);
COMMIT;
