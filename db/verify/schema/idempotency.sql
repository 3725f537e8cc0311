-- Verify odyssey:schema/idempotency on pg
SELECT key, vendor_id, user_id, method, path, request_hash, response_hash, status, response_body, created_at, expires_at
  FROM ops.idempotency_keys WHERE false;
