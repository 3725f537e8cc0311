-- Verify odyssey:schema/ingestion on pg
SELECT id, mode, canonical, synonyms, transform_ops, confidence FROM ingest.synonyms_header WHERE false;
SELECT id, domain, canonical, synonyms FROM ingest.synonyms_value WHERE false;
SELECT id, vendor_id, mode, map, version, created_at, updated_at FROM ingest.vendor_mappings WHERE false;
SELECT id, vendor_id, mode, status, progress_pct, totals, error_url, started_at, finished_at, attempt, params
  FROM ingest.ingestion_jobs WHERE false;
SELECT id, job_id, row_no, field, code, message, raw FROM ingest.ingestion_job_errors WHERE false;
SELECT vendor_id, job_id, row_no FROM ingest.stg_products WHERE false;
SELECT vendor_id, job_id, row_no FROM ingest.stg_customers WHERE false;
SELECT id, vendor_id, source, page_id, payload, fetched_at FROM ingest.stg_vendor_raw WHERE false;
SELECT id, vendor_id, source, base_url, auth_type, rate_limit_rpm, secrets_ref, enabled FROM ingest.connectors WHERE false;
SELECT id, vendor_id, source, cursor, synced_at, status FROM ingest.connector_cursors WHERE false;
