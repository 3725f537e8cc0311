-- Deploy odyssey:schema/product_search_rum to pg
-- requires: schema/catalog
-- Index-ordered relevance for product search: a RUM index on search_tsv answers both
-- `search_tsv @@ q` and `ORDER BY search_tsv <=> q` (a ts_rank-like distance) straight from the
-- index, so a top-20 never ranks every match (the GIN + ts_rank plan ranks up to 300k rows).
-- The rum extension is created in schema public by scripts/cluster (it needs a superuser).
BEGIN;

CREATE INDEX products_search_tsv_rum ON catalog.products USING rum (search_tsv public.rum_tsvector_ops);

COMMIT;
