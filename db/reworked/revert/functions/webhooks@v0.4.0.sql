-- Revert odyssey:functions/webhooks from pg
BEGIN;

DROP TRIGGER dead_letters_webhook_delivery ON queue.dead_letters;
DROP TRIGGER events_fan_out ON hooks.events;
DROP FUNCTION hooks.delivery_dead_lettered(), hooks.delivery_result(uuid, integer, text), hooks.delivery_begin(uuid),
              hooks.event_fan_out(), api.webhook_deliveries(uuid, text, text, integer), api.webhook_delete(uuid),
              api.webhook_rotate_secret(uuid), api.webhook_update(uuid, jsonb), api.webhook_get(uuid),
              api.webhook_list(text, integer), api.webhook_create(jsonb), hooks.endpoint_for(uuid), hooks.secret_set(uuid),
              hooks.endpoint_errors(jsonb, boolean), hooks.endpoint_json(hooks.webhook_endpoints);

COMMIT;
