-- Verify odyssey:functions/matching on pg
SELECT 'matching.match_products_for_customer(uuid, integer)'::regprocedure, 'api.match_products(uuid, integer)'::regprocedure;
