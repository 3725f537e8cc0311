-- Revert odyssey:schema/webhook_delivery from pg
BEGIN;

DO $$
BEGIN
    PERFORM set_config('odyssey.queue_scope', 'machinery', true);
    DELETE FROM queue.jobs WHERE kind = 'webhook.deliver';
    DELETE FROM queue.dead_letters WHERE kind = 'webhook.deliver';
END
$$;
DELETE FROM queue.kinds WHERE kind = 'webhook.deliver';
ALTER TABLE hooks.events ALTER COLUMN published_at DROP DEFAULT;
DROP INDEX hooks.webhook_deliveries_endpoint_idx;
COMMENT ON COLUMN hooks.webhook_deliveries.timestamp IS NULL;
ALTER TABLE hooks.webhook_deliveries DROP COLUMN response_status, DROP COLUMN delivered_at;
ALTER TABLE hooks.webhook_endpoints DROP COLUMN event_types;
DROP TABLE hooks.webhook_secrets;
DROP EXTENSION IF EXISTS pgcrypto;

COMMIT;
