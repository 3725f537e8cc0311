-- Revert odyssey:functions/search from pg
BEGIN;
DROP FUNCTION api.put_customer_health(uuid, jsonb, integer);
DROP FUNCTION api.get_customer_health(uuid);
DROP FUNCTION api.search_customers(text, text, integer);
DROP FUNCTION api.search_products(text, jsonb, text, text, integer);
DROP FUNCTION api.decode_cursor(text);
DROP FUNCTION api.encode_cursor(jsonb);
COMMIT;
