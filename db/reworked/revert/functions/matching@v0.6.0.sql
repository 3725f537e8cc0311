-- Revert odyssey:functions/matching from pg
BEGIN;
DROP TRIGGER scoring_policies_invalidate_matches ON matching.scoring_policies;
DROP FUNCTION matching.invalidate_vendor_matches();
DROP FUNCTION api.match_products(uuid, integer);
DROP FUNCTION matching.match_products_for_customer(uuid, integer);
DROP FUNCTION matching.within_caps(float8[], float8[]);
DROP FUNCTION matching.penalty(float8[], float8[]);
COMMIT;
