-- Verify odyssey:policies/ingestion on pg
SELECT 1/(count(*) = 8)::int FROM pg_catalog.pg_class
 WHERE relnamespace = 'ingest'::regnamespace AND relkind IN ('r', 'p')
   AND relname NOT LIKE 'synonyms%' AND relrowsecurity AND relforcerowsecurity;
