-- Revert odyssey:schema/matching from pg
BEGIN;
DELETE FROM app.vendor_partitioned_tables WHERE parent = 'matching.matches_cache'::regclass;
DROP TABLE matching.matches_cache, matching.scoring_policies;
COMMIT;
