-- Revert odyssey:functions/ingest_csv_format from pg
BEGIN;
DROP FUNCTION ingest.sniff_csv(bytea);
DROP FUNCTION ingest.csv_count_outside_quotes(text, text);
DROP FUNCTION ingest.csv_split(text, text);
COMMIT;
