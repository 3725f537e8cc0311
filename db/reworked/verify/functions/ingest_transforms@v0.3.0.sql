-- Verify odyssey:functions/ingest_transforms on pg
SELECT 'ingest.try_numeric(text, text)'::regprocedure;
SELECT 'ingest.decimal_evidence(text)'::regprocedure;
SELECT 'ingest.number_text(text, text)'::regprocedure;
SELECT 'ingest.split_list(text)'::regprocedure;
SELECT 'ingest.quantity_grams(text, text)'::regprocedure;
SELECT 'ingest.ft_in_to_cm(text)'::regprocedure;
SELECT 'ingest.apply_ops(text, jsonb, text, text)'::regprocedure;
SELECT 1 / (ingest.try_numeric('1,234') = 1234)::int;
