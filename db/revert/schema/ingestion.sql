-- Revert odyssey:schema/ingestion from pg
BEGIN;
DROP TABLE ingest.connector_cursors, ingest.connectors, ingest.stg_vendor_raw, ingest.stg_customers,
           ingest.stg_products, ingest.ingestion_job_errors, ingest.ingestion_jobs,
           ingest.vendor_mappings, ingest.synonyms_value, ingest.synonyms_header;
DROP TYPE ingest.auth_type, ingest.source_kind, ingest.job_status, ingest.job_mode,
          ingest.value_domain, ingest.mapping_mode;
COMMIT;
