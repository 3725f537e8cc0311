-- Verify odyssey:schema/ingest_pipeline on pg
SELECT phase, checkpoint, queue_job_id FROM ingest.ingestion_jobs WHERE false;
SELECT job_id, vendor_id, storage, object_path, filename, upload_length, upload_offset, metadata, expires_at,
       completed_at, terminated_at FROM ingest.uploads WHERE false;
SELECT event_id, vendor_id, event_type, occurred_at, data, published_at FROM hooks.events WHERE false;
