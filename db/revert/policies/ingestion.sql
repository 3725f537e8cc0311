-- Revert odyssey:policies/ingestion from pg
BEGIN;
SELECT app.disable_tenant_rls(t)
  FROM unnest(ARRAY['ingest.vendor_mappings', 'ingest.ingestion_jobs', 'ingest.ingestion_job_errors',
                    'ingest.stg_products', 'ingest.stg_customers', 'ingest.stg_vendor_raw',
                    'ingest.connectors', 'ingest.connector_cursors',
                    'ingest.synonyms_header', 'ingest.synonyms_value']::regclass[]) AS t;
COMMIT;
