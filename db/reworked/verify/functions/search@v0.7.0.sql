-- Verify odyssey:functions/search on pg
SELECT 'api.search_products(text, jsonb, text, text, integer)'::regprocedure, 'api.search_customers(text, text, integer)'::regprocedure,
       'api.get_customer_health(uuid)'::regprocedure, 'api.put_customer_health(uuid, jsonb, integer)'::regprocedure;
SELECT 1/(api.decode_cursor(api.encode_cursor('{"a": 1}')) = '{"a": 1}')::int;
