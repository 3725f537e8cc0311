-- Verify odyssey:policies/ingestion on pg
-- The tables this change protects, by name (later changes add more RLS tables to ingest).
SELECT 1/(count(*) = 8)::int FROM pg_catalog.pg_class
 WHERE relnamespace = 'ingest'::regnamespace AND relkind IN ('r', 'p')
   AND relname IN ('vendor_mappings', 'ingestion_jobs', 'ingestion_job_errors', 'stg_products', 'stg_customers',
                   'stg_vendor_raw', 'connectors', 'connector_cursors')
   AND relrowsecurity AND relforcerowsecurity;
