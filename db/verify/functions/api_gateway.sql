-- Verify odyssey:functions/api_gateway on pg
SELECT 'api.resolve_principal(text, uuid, text, text, text, text)'::regprocedure,
       'api.rate_limit_take(text, uuid, boolean, text, text, text, text)'::regprocedure,
       'api.idempotency_begin(text, text, text, text)'::regprocedure,
       'api.idempotency_finish(text, integer, jsonb)'::regprocedure,
       'api.record_requests(jsonb)'::regprocedure,
       'api.replica_status()'::regprocedure,
       'app.cursor_decode(text)'::regprocedure,
       'app.set_request_context(text, uuid, text, text, text, text, text)'::regprocedure;
SELECT 1/(app.cursor_decode(app.cursor_encode('{"a": 1}')) = '{"a": 1}')::int;
