-- Verify odyssey:functions/webhooks on pg
SELECT 'api.webhook_create(jsonb)'::regprocedure, 'api.webhook_list(text, integer)'::regprocedure,
       'api.webhook_get(uuid)'::regprocedure, 'api.webhook_update(uuid, jsonb)'::regprocedure,
       'api.webhook_rotate_secret(uuid)'::regprocedure, 'api.webhook_delete(uuid)'::regprocedure,
       'api.webhook_deliveries(uuid, text, text, integer)'::regprocedure,
       'hooks.delivery_begin(uuid)'::regprocedure, 'hooks.delivery_result(uuid, integer, text)'::regprocedure;
SELECT 1/count(*)::int FROM pg_catalog.pg_trigger WHERE tgrelid = 'hooks.events'::regclass AND tgname = 'events_fan_out';
SELECT 1/count(*)::int FROM pg_catalog.pg_trigger WHERE tgrelid = 'queue.dead_letters'::regclass AND tgname = 'dead_letters_webhook_delivery';
SELECT 1 / (app.outbound_url_ok('https://h.example/x') AND NOT app.outbound_url_ok('http://h.example/x'))::int;
