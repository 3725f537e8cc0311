-- Verify odyssey:policies/matching on pg
SELECT 1/(count(*) = 2)::int FROM pg_catalog.pg_class
 WHERE oid IN ('matching.scoring_policies'::regclass, 'matching.matches_cache'::regclass)
   AND relrowsecurity AND relforcerowsecurity;
