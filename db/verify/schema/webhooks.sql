-- Verify odyssey:schema/webhooks on pg
SELECT id, vendor_id, url, secret_ref, enabled, description, retries_max, tolerance_sec FROM hooks.webhook_endpoints WHERE false;
SELECT id, vendor_id, endpoint_id, event_id, event_type, payload, status, attempt, last_error, signature, timestamp
  FROM hooks.webhook_deliveries WHERE false;
