-- Verify odyssey:schema/matching on pg
SELECT id, vendor_id, weights, active, created_at, updated_at FROM matching.scoring_policies WHERE false;
SELECT vendor_id, customer_id, catalog_version, results, ttl_at FROM matching.matches_cache WHERE false;
