-- Revert odyssey:functions/api_admin from pg
BEGIN;
DROP FUNCTION api.member_remove(uuid, text);
DROP FUNCTION api.member_put(uuid, text, jsonb);
DROP FUNCTION api.member_list(uuid, text, integer);
DROP FUNCTION app.member_scope(uuid);
DROP FUNCTION api.vendor_save(uuid, jsonb);
DROP FUNCTION api.vendor_get(uuid);
DROP FUNCTION api.vendor_list(text, text, integer);
DROP FUNCTION api.synonym_delete(bigint);
DROP FUNCTION api.synonym_save(bigint, jsonb);
DROP FUNCTION api.synonyms_list(text, text, integer);
DROP FUNCTION api.taxonomy_delete(text, bigint);
DROP FUNCTION api.taxonomy_save(text, bigint, jsonb);
DROP FUNCTION api.taxonomy_get(text, bigint);
DROP FUNCTION api.taxonomy_list(text, boolean, text, integer);
DROP FUNCTION app.taxonomy_table(text);
COMMIT;
