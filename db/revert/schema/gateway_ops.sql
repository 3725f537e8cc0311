-- Revert odyssey:schema/gateway_ops from pg
BEGIN;
DROP POLICY user_shadow_read ON core.users;
DROP POLICY user_shadow_insert ON core.users;
DROP TABLE ops.platform_idempotency_keys;
DROP TABLE ops.request_metrics;
DROP TABLE ops.rate_limit_counters;
COMMIT;
