-- Revert odyssey:functions/api_gateway from pg
BEGIN;
DROP FUNCTION api.replica_has_replayed(pg_lsn);
DROP FUNCTION api.replica_status();
DROP FUNCTION api.record_requests(jsonb);
DROP FUNCTION api.idempotency_finish(text, integer, jsonb);
DROP FUNCTION api.idempotency_begin(text, text, text, text);
DROP FUNCTION api.rate_limit_take(text, uuid, boolean, text, text, text);
DROP FUNCTION api.resolve_principal(text, uuid, text, text, text, text);
DROP FUNCTION app.resolve_link(text, uuid);
DROP FUNCTION app.page_limit(integer);
DROP FUNCTION app.cursor_decode(text);
DROP FUNCTION app.cursor_encode(jsonb);
DROP FUNCTION app.raise_problem(text, text, jsonb);
COMMIT;
