-- Verify odyssey:functions/matching on pg
SELECT 'matching.match_products_for_customer(uuid, integer, integer)'::regprocedure, 'api.match_products(uuid, integer)'::regprocedure,
       'matching.key_bound(float8, float8, float8)'::regprocedure;
