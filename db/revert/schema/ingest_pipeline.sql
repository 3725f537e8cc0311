-- Revert odyssey:schema/ingest_pipeline from pg
BEGIN;

DROP TABLE hooks.events;
DROP TABLE ingest.uploads;
ALTER TABLE ingest.ingestion_jobs DROP COLUMN phase, DROP COLUMN checkpoint, DROP COLUMN queue_job_id;

COMMIT;
