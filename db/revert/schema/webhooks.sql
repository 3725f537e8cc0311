-- Revert odyssey:schema/webhooks from pg
BEGIN;
DROP TABLE hooks.webhook_deliveries, hooks.webhook_endpoints;
DROP TYPE hooks.delivery_status;
COMMIT;
