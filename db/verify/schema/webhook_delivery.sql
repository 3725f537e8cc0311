-- Verify odyssey:schema/webhook_delivery on pg
SELECT endpoint_id, vendor_id, secret, created_at FROM hooks.webhook_secrets WHERE false;
SELECT event_types FROM hooks.webhook_endpoints WHERE false;
SELECT response_status, delivered_at FROM hooks.webhook_deliveries WHERE false;
SELECT 1/count(*)::int FROM queue.kinds WHERE kind = 'webhook.deliver';
SELECT 1/(SELECT relforcerowsecurity::int FROM pg_catalog.pg_class WHERE oid = 'hooks.webhook_secrets'::regclass);
