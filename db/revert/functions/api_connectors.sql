-- Revert odyssey:functions/api_connectors from pg
BEGIN;

DROP FUNCTION api.connector_sync(text);
DROP FUNCTION api.connector_test(text);
DROP FUNCTION api.connector_delete(text);
DROP FUNCTION ingest.connector_active_job(ingest.connectors);
DROP FUNCTION api.connector_list(text, integer);
DROP FUNCTION api.connector_get(text);
DROP FUNCTION api.connector_put(text, jsonb);
DROP FUNCTION ingest.connector_secret_set(uuid, text);
DROP FUNCTION ingest.connector_errors(text, jsonb, boolean);
DROP FUNCTION ingest.connector_for(text, boolean);
DROP FUNCTION ingest.connector_json(ingest.connectors);

COMMIT;
