-- Verify odyssey:schema/namespaces on pg
SELECT 1/(count(*) = 13)::int FROM pg_catalog.pg_namespace
 WHERE nspname IN ('app','core','catalog','crm','health','matching','ingest','hooks','ops','audit','api','partitions','archive');
SELECT public.uuid_generate_v5('00000000-0000-0000-0000-000000000000'::uuid, 'x');
