-- Verify odyssey:schema/gateway_ops on pg
SELECT bucket, window_start, hits FROM ops.rate_limit_counters WHERE false;
SELECT id, at, vendor_id, route, method, status, latency_ms FROM ops.request_metrics WHERE false;
SELECT key, user_id, request_hash FROM ops.platform_idempotency_keys WHERE false;
