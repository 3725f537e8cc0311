-- Verify odyssey:functions/ingest_csv_format on pg
SELECT 'ingest.csv_split(text, text)'::regprocedure;
SELECT 'ingest.csv_count_outside_quotes(text, text)'::regprocedure;
SELECT 'ingest.sniff_csv(bytea)'::regprocedure;
