-- Verify odyssey:functions/api_customers on pg
SELECT 'api.list_customers(text, text, text[], timestamptz, text, integer)'::regprocedure,
       'api.upsert_customers(jsonb)'::regprocedure, 'api.get_customer(uuid)'::regprocedure,
       'api.update_customer(uuid, jsonb, integer, boolean)'::regprocedure, 'api.delete_customer(uuid, integer)'::regprocedure;
