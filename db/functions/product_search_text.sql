-- Deploy odyssey:functions/product_search_text to pg
-- requires: schema/namespaces
-- What product full-text search indexes (PRD §4.1): name (weight A), brand (B) and a *short*
-- description (C) -- the first ~300 characters, cut at a word boundary -- never the full text,
-- which would make common words match most of a catalog and make every write rebuild a big vector.
-- Customers (operator search): full name, email and external_id, with the 'simple' configuration.
BEGIN;

CREATE OR REPLACE FUNCTION catalog.short_description(p_description text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN length(p_description) <= 300 THEN p_description
                ELSE regexp_replace(left(p_description, 301), '\s+\S*$', '') END
$$;
COMMENT ON FUNCTION catalog.short_description(text) IS 'The first ~300 characters of a description, cut at a word boundary.';

CREATE OR REPLACE FUNCTION catalog.product_tsv(p_name text, p_brand text, p_description text)
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT setweight(to_tsvector('english'::regconfig, coalesce(p_name, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(p_brand, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(catalog.short_description(p_description), '')), 'C')
$$;
COMMENT ON FUNCTION catalog.product_tsv(text, text, text) IS 'products.search_tsv: name (A), brand (B), short description (C), english.';

CREATE OR REPLACE FUNCTION crm.customer_tsv(p_full_name text, p_email text, p_external_id text)
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT setweight(to_tsvector('simple'::regconfig, coalesce(p_full_name, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(p_email, '') || ' ' || coalesce(replace(p_email, '@', ' '), '')), 'B')
        || setweight(to_tsvector('simple'::regconfig, coalesce(p_external_id, '')), 'A')
$$;
COMMENT ON FUNCTION crm.customer_tsv(text, text, text) IS 'customers.search_tsv: full name, email (whole and split), external_id; simple configuration.';

COMMIT;
