-- Deploy odyssey:policies/ingestion to pg
-- requires: schema/ingestion
-- Ingestion: dictionaries are global reference data (read by all, written by superadmins).
-- Everything else is tenant-isolated. Staging and raw pages belong to the worker alone; job
-- errors may carry customer data, so vendor_viewer does not read them.
BEGIN;

GRANT SELECT ON ingest.synonyms_header, ingest.synonyms_value
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer,
      odyssey_worker, odyssey_analyst;
GRANT INSERT, UPDATE, DELETE ON ingest.synonyms_header, ingest.synonyms_value TO odyssey_superadmin;

GRANT SELECT ON ingest.vendor_mappings, ingest.ingestion_jobs, ingest.connectors, ingest.connector_cursors
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker;
GRANT INSERT, UPDATE, DELETE ON ingest.vendor_mappings, ingest.connectors
   TO odyssey_superadmin, odyssey_vendor_admin;
GRANT INSERT, UPDATE ON ingest.ingestion_jobs
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT INSERT, UPDATE ON ingest.connector_cursors TO odyssey_worker;
GRANT SELECT ON ingest.ingestion_job_errors
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT INSERT, DELETE ON ingest.ingestion_job_errors TO odyssey_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON ingest.stg_products, ingest.stg_customers, ingest.stg_vendor_raw
   TO odyssey_worker;

SELECT app.enable_tenant_rls(t)
  FROM unnest(ARRAY['ingest.vendor_mappings', 'ingest.ingestion_jobs', 'ingest.ingestion_job_errors',
                    'ingest.stg_products', 'ingest.stg_customers', 'ingest.stg_vendor_raw',
                    'ingest.connectors', 'ingest.connector_cursors']::regclass[]) AS t;
SELECT app.enable_analyst_read('ingest.ingestion_jobs');

COMMIT;
