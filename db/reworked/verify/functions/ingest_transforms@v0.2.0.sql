-- Verify odyssey:functions/ingest_transforms on pg
SELECT 'ingest.try_numeric(text)'::regprocedure;
SELECT 'ingest.split_list(text)'::regprocedure;
SELECT 'ingest.quantity_grams(text)'::regprocedure;
SELECT 'ingest.ft_in_to_cm(text)'::regprocedure;
SELECT 'ingest.apply_ops(text, jsonb, text)'::regprocedure;
