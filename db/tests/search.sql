-- Search: websearch syntax on search_tsv, each filter, both sorts, keyset paging with ties (every
-- row exactly once), limits and cursor errors, tenant isolation; the search rows
-- (catalog.product_search) following every kind of product write, and results equal to a naive
-- query over catalog.products; the operators' customer search; the health API (PUT with units and
-- If-Match, GET audited).
BEGIN;
SELECT plan(44);

-- Label words (dairy/whey/casein -> milk, diabetes/t2d -> type2_diabetes) come from the seeded dictionary.
INSERT INTO catalog.tax_categories (code, label) VALUES ('t-search-a', 'Search A'), ('t-search-b', 'Search B');
SELECT id AS cat_a FROM catalog.tax_categories WHERE code = 't-search-a' \gset
SELECT id AS cat_b FROM catalog.tax_categories WHERE code = 't-search-b' \gset
INSERT INTO core.vendors (id, name) VALUES
    ('f0000000-0000-4000-8000-0000000000a1', 'Search Test A'),
    ('f0000000-0000-4000-8000-0000000000b2', 'Search Test B');

SET LOCAL odyssey.vendor_id = 'f0000000-0000-4000-8000-0000000000b2';
INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price)
VALUES (catalog.product_id('f0000000-0000-4000-8000-0000000000b2', 'other'), 'f0000000-0000-4000-8000-0000000000b2', 'other',
        'Granola from another vendor', 'Else', 'granola', :cat_a, 1);

SET LOCAL odyssey.vendor_id = 'f0000000-0000-4000-8000-0000000000a1';
-- 60 granolas with identical text (relevance ties), 20 muesli bars, a few specials.
INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, dietary_tags, allergens, updated_at)
SELECT catalog.product_id('f0000000-0000-4000-8000-0000000000a1', 'g' || g), 'f0000000-0000-4000-8000-0000000000a1', 'g' || g,
       'Crunchy granola', CASE WHEN g % 2 = 0 THEN 'Acme' ELSE 'Bolt' END, 'Oat granola with honey and almonds',
       CASE WHEN g % 3 = 0 THEN :cat_b ELSE :cat_a END, 3,
       CASE WHEN g % 4 = 0 THEN '{vegan}'::text[] ELSE '{}' END, CASE WHEN g % 5 = 0 THEN '{whey}'::text[] ELSE '{}' END,
       '2026-01-01'::timestamptz + (g % 7) * interval '1 day'
  FROM generate_series(1, 60) g;
INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, updated_at)
SELECT catalog.product_id('f0000000-0000-4000-8000-0000000000a1', 'm' || g), 'f0000000-0000-4000-8000-0000000000a1', 'm' || g,
       'Muesli bar', 'Acme', 'Chewy bar with dried fruit' || repeat(' and granola', g % 3), :cat_a, 2, '2026-02-01'
  FROM generate_series(1, 20) g;
INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, status)
VALUES (catalog.product_id('f0000000-0000-4000-8000-0000000000a1', 'off'), 'f0000000-0000-4000-8000-0000000000a1', 'off',
        'Granola retired', 'Acme', 'old', :cat_a, 1, 'inactive');

CREATE FUNCTION pg_temp.names(p jsonb) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(e ->> 'external_id' ORDER BY i), '{}') FROM jsonb_array_elements(p -> 'items') WITH ORDINALITY a(e, i) $$;
-- Pages through a query with a page size, returning every external_id seen (in order).
CREATE FUNCTION pg_temp.page_all(p_q text, p_filters jsonb, p_sort text, p_size int) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE v_cursor text; v_page jsonb; v_all text[] := '{}'; v_guard int := 0;
BEGIN
    LOOP
        v_page := api.search_products(p_q, p_filters, p_sort, v_cursor, p_size);
        v_all := v_all || pg_temp.names(v_page);
        v_cursor := v_page ->> 'next_cursor';
        v_guard := v_guard + 1;
        EXIT WHEN v_cursor IS NULL OR v_guard > 1000;
    END LOOP;
    RETURN v_all;
END $$;

SET LOCAL ROLE odyssey_vendor_viewer;
-- 1. Query syntax and relevance
SELECT is(cardinality(pg_temp.names(api.search_products('granola', '{}', NULL, NULL, 200))), 74,
          'a word matches name and short description (60 granolas + 14 bars mentioning granola), active only, this vendor only');
SELECT ok(NOT ('off' = ANY (pg_temp.names(api.search_products('granola', '{}', NULL, NULL, 200)))), 'inactive products are not searched by default');
SELECT ok('off' = ANY (pg_temp.names(api.search_products('granola', '{"status": "inactive"}', NULL, NULL, 200))), 'unless status asks for them');
SELECT is(cardinality(pg_temp.names(api.search_products('granola -almonds', '{}', NULL, NULL, 200))), 14, 'websearch syntax: -word excludes');
SELECT is(cardinality(pg_temp.names(api.search_products('"muesli bar" OR honey', '{}', NULL, NULL, 200))), 80, 'websearch syntax: phrase OR word');
SELECT ok((SELECT bool_and(e ->> 'external_id' LIKE 'g%') FROM jsonb_array_elements(api.search_products('granola', '{}', 'relevance', NULL, 60) -> 'items') e),
          'relevance: name matches (weight A) rank above description-only matches');
SELECT ok((SELECT bool_and((a ->> 'match') < (b ->> 'match')
                           OR (a ->> 'match' = b ->> 'match' AND ((a ->> 'updated_at')::timestamptz, (a ->> 'id')::uuid) > ((b ->> 'updated_at')::timestamptz, (b ->> 'id')::uuid)))
             FROM (SELECT e AS a, lead(e) OVER (ORDER BY i) AS b FROM jsonb_array_elements(api.search_products('granola', '{}', 'relevance', NULL, 200) -> 'items') WITH ORDINALITY x(e, i)) s
            WHERE b IS NOT NULL), 'relevance order: name matches, then text matches; newest first, then id, within each');

-- 2. Filters
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.search_products('granola', '{"brand": "Bolt"}', NULL, NULL, 200) -> 'items') e
            WHERE e ->> 'brand' = 'Bolt'), 30::bigint, 'brand filter');
SELECT is(jsonb_array_length(api.search_products('granola', jsonb_build_object('category_id', :cat_b), NULL, NULL, 200) -> 'items'), 20, 'category_id filter');
SELECT is(jsonb_array_length(api.search_products('granola', '{"tags.any": ["vegan", "keto"]}', NULL, NULL, 200) -> 'items'), 15, 'tags.any filter');
SELECT is(jsonb_array_length(api.search_products('crunchy granola', '{"allergens.none": ["dairy"]}', NULL, NULL, 200) -> 'items'), 48,
          'allergens.none normalized: "dairy" removes products labelled "whey"');
SELECT is(jsonb_array_length(api.search_products('granola', '{"updated_after": "2026-01-31T00:00:00Z"}', NULL, NULL, 200) -> 'items'), 14, 'updated_after filter');
SELECT is(jsonb_array_length(api.search_products(NULL, '{"brand": ["Acme"]}', NULL, NULL, 200) -> 'items'), 50, 'no query: filters alone (brand list)');

-- 3. Sort -updated_at and paging exactly once, with ties
SELECT ok((SELECT bool_and((a ->> 'updated_at')::timestamptz >= (b ->> 'updated_at')::timestamptz)
             FROM (SELECT e AS a, lead(e) OVER (ORDER BY i) AS b FROM jsonb_array_elements(api.search_products('granola', '{}', '-updated_at', NULL, 200) -> 'items') WITH ORDINALITY x(e, i)) s
            WHERE b IS NOT NULL), '-updated_at sorts newest first');
SELECT is(pg_temp.page_all('granola', '{}', 'relevance', 7), pg_temp.names(api.search_products('granola', '{}', 'relevance', NULL, 200)),
          'relevance paging by 7 (ties of equal distance) returns every row exactly once, in order');
SELECT is(pg_temp.page_all('granola', '{}', '-updated_at', 9), pg_temp.names(api.search_products('granola', '{}', '-updated_at', NULL, 200)),
          '-updated_at paging by 9 (ties of equal updated_at) returns every row exactly once, in order');
SELECT is(pg_temp.page_all(NULL, '{"brand": "Acme"}', NULL, 1), pg_temp.names(api.search_products(NULL, '{"brand": "Acme"}', NULL, NULL, 200)),
          'paging one by one without a query');
SELECT is((SELECT count(DISTINCT x) FROM unnest(pg_temp.page_all('granola', '{}', 'relevance', 10)) x), 74::bigint, 'no duplicates across pages');
SELECT is(api.search_products('granola', '{}', NULL, NULL, 74) ->> 'next_cursor', NULL, 'no cursor after the last page');

-- 4. Errors
SELECT throws_ok($$ SELECT api.search_products('granola', '{}', NULL, NULL, 201) $$, 'OD422', NULL, 'limit above 200: 422');
SELECT throws_ok($$ SELECT api.search_products('granola', '{"colour": "red"}', NULL, NULL, 20) $$, 'OD422', NULL, 'unknown filter: 422');
SELECT throws_ok($$ SELECT api.search_products('granola', '{}', 'price', NULL, 20) $$, 'OD422', NULL, 'unknown sort: 422');
SELECT throws_ok($$ SELECT api.search_products('granola', '{}', NULL, 'not-a-cursor!', 20) $$, 'OD400', NULL, 'malformed cursor: 400');
SELECT throws_ok(format('SELECT api.search_products(%L, ''{}'', NULL, %L, 20)', 'muesli', api.search_products('granola', '{}', NULL, NULL, 5) ->> 'next_cursor'),
                 'OD400', NULL, 'a cursor from another query: 400');
SELECT throws_ok($$ SELECT api.search_customers('ann', NULL, 20) $$, '42501', NULL, 'vendor_viewer cannot search customers');
RESET ROLE;

-- 5. The search rows follow the catalog; results equal a naive query over catalog.products
CREATE FUNCTION pg_temp.doc_rows_differ() RETURNS SETOF text LANGUAGE sql AS $$
    (SELECT row(vendor_id, id, external_id, name, brand, category_id, price, currency, status, dietary_tags, allergens,
                updated_at, search_tsv, name_tsv)::text FROM catalog.products WHERE soft_deleted_at IS NULL AND vendor_id IN ('f0000000-0000-4000-8000-0000000000a1', 'f0000000-0000-4000-8000-0000000000b2')
     EXCEPT ALL
     SELECT row(vendor_id, id, external_id, name, brand, category_id, price, currency, status, dietary_tags, allergens,
                updated_at, search_tsv, name_tsv)::text FROM catalog.product_search WHERE vendor_id IN ('f0000000-0000-4000-8000-0000000000a1', 'f0000000-0000-4000-8000-0000000000b2'))
    UNION ALL
    (SELECT row(vendor_id, id, external_id, name, brand, category_id, price, currency, status, dietary_tags, allergens,
                updated_at, search_tsv, name_tsv)::text FROM catalog.product_search WHERE vendor_id IN ('f0000000-0000-4000-8000-0000000000a1', 'f0000000-0000-4000-8000-0000000000b2')
     EXCEPT ALL
     SELECT row(vendor_id, id, external_id, name, brand, category_id, price, currency, status, dietary_tags, allergens,
                updated_at, search_tsv, name_tsv)::text FROM catalog.products WHERE soft_deleted_at IS NULL AND vendor_id IN ('f0000000-0000-4000-8000-0000000000a1', 'f0000000-0000-4000-8000-0000000000b2')) $$;
-- The order search promises, computed the plain way: name matches first, newest first, then id.
CREATE FUNCTION pg_temp.naive(p_q text, p_brand text, p_tags text[]) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(external_id ORDER BY NOT (name_tsv @@ q), updated_at DESC, id DESC), '{}')
      FROM catalog.products, websearch_to_tsquery('english', p_q) q
     WHERE vendor_id = current_setting('odyssey.vendor_id')::uuid AND soft_deleted_at IS NULL AND status = 'active'
       AND search_tsv @@ q AND (p_brand IS NULL OR brand = p_brand) AND (p_tags IS NULL OR dietary_tags && p_tags) $$;
SELECT is_empty('SELECT * FROM pg_temp.doc_rows_differ()', 'every product that is not soft-deleted has exactly its search row (both test vendors)');
UPDATE catalog.products SET name = 'Granola bar' WHERE vendor_id = 'f0000000-0000-4000-8000-0000000000a1' AND external_id = 'm1';
UPDATE catalog.products SET soft_deleted_at = now() WHERE vendor_id = 'f0000000-0000-4000-8000-0000000000a1' AND external_id IN ('g1', 'g2');
DELETE FROM catalog.products WHERE vendor_id = 'f0000000-0000-4000-8000-0000000000a1' AND external_id = 'g3';
UPDATE catalog.products SET status = 'inactive', dietary_tags = '{vegan}' WHERE vendor_id = 'f0000000-0000-4000-8000-0000000000a1' AND external_id = 'g5';
SELECT is_empty('SELECT * FROM pg_temp.doc_rows_differ()', 'after a rename, soft deletes, a delete and a status change, the search rows are still exactly the catalog''s');
SELECT is((SELECT count(*) FROM catalog.product_search WHERE vendor_id = 'f0000000-0000-4000-8000-0000000000a1' AND external_id IN ('g1', 'g2', 'g3')),
          0::bigint, 'soft-deleted and deleted products have no search row');
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT is((SELECT e ->> 'match' FROM jsonb_array_elements(api.search_products('granola', '{}', NULL, NULL, 200) -> 'items') e
            WHERE e ->> 'external_id' = 'm1'), 'name', 'a renamed product moves to the name tier at once');
SELECT is(cardinality(pg_temp.names(api.search_products('granola', '{}', NULL, NULL, 200))), 70, 'soft-deleted, deleted and deactivated products drop out');
RESET ROLE;
UPDATE catalog.products SET soft_deleted_at = NULL WHERE vendor_id = 'f0000000-0000-4000-8000-0000000000a1' AND external_id = 'g1';
SELECT is_empty('SELECT * FROM pg_temp.doc_rows_differ()', 'a restored product gets its search row back');
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT is(pg_temp.names(api.search_products('granola -honey', '{}', NULL, NULL, 200)), pg_temp.naive('granola -honey', NULL, NULL),
          'negation, name tier tested as a filter: the same rows in the same order as the naive query');
SELECT is(pg_temp.names(api.search_products('granola -almonds', '{"brand": "Acme"}', NULL, NULL, 200)), pg_temp.naive('granola -almonds', 'Acme', NULL),
          'brand filter with a negation: as the naive query');
SELECT is(pg_temp.names(api.search_products('"crunchy granola" OR bar', '{"tags.any": ["vegan"]}', NULL, NULL, 200)),
          pg_temp.naive('"crunchy granola" OR bar', NULL, '{vegan}'), 'phrase OR word with a tag filter: as the naive query');
SELECT is(pg_temp.names(api.search_products('bar', '{"brand": ["Acme", "Bolt"]}', NULL, NULL, 200)), pg_temp.naive('bar', NULL, NULL),
          'a brand list: as the naive query');
SELECT is(pg_temp.names(api.search_products('almonds', '{}', NULL, NULL, 200)), pg_temp.naive('almonds', NULL, NULL),
          'a word no name holds (the name tier read from its index): as the naive query');
SELECT is(pg_temp.page_all('granola -almonds', '{"brand": "Acme"}', 'relevance', 4), pg_temp.naive('granola -almonds', 'Acme', NULL),
          'paging by 4 through the filtered tiers: every row once, in the naive order');
RESET ROLE;

-- 6. Customer search and the health API (operator)
INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, gender, location)
SELECT crm.customer_id('f0000000-0000-4000-8000-0000000000a1', 'cust-' || g), 'f0000000-0000-4000-8000-0000000000a1', 'cust-' || g,
       CASE WHEN g <= 3 THEN 'Ann Lee ' || g ELSE 'Bob Roe ' || g END, 'user' || g || '@mail.example', 35, 'female', '{}'
  FROM generate_series(1, 8) g;
SELECT crm.customer_id('f0000000-0000-4000-8000-0000000000a1', 'cust-1') AS c1 \gset
SET LOCAL ROLE odyssey_vendor_operator;
SELECT is(jsonb_array_length(api.search_customers('ann', NULL, 20) -> 'items'), 3, 'customer search by name');
SELECT is(api.search_customers('user5@mail.example', NULL, 20) #>> '{items,0,external_id}', 'cust-5', 'by email');
SELECT is(api.search_customers('cust-7', NULL, 20) #>> '{items,0,external_id}', 'cust-7', 'by external_id');
SELECT is((SELECT count(DISTINCT e ->> 'id') FROM (
             SELECT jsonb_array_elements(api.search_customers(NULL, NULL, 3) -> 'items') e
             UNION ALL SELECT jsonb_array_elements(api.search_customers(NULL, api.search_customers(NULL, NULL, 3) ->> 'next_cursor', 3) -> 'items')
             UNION ALL SELECT jsonb_array_elements(api.search_customers(NULL, api.search_customers(NULL, api.search_customers(NULL, NULL, 3) ->> 'next_cursor', 3) ->> 'next_cursor', 3) -> 'items')) s),
          8::bigint, 'customer paging covers all 8 exactly once');
SELECT is((api.put_customer_health(:'c1', '{"height": {"value": 69, "unit": "in"}, "weight": {"value": 154, "unit": "lb"}, "activity_level": "light", "avoid_allergens": ["casein"]}') ->> 'height_cm')::numeric,
          175.26, 'PUT health converts inches to cm');
SELECT throws_ok(format('SELECT api.put_customer_health(%L, ''{"height_cm": 170, "weight_kg": 70, "activity_level": "light"}'', 7)', :'c1'),
                 'OD412', NULL, 'a stale If-Match version: 412');
SELECT is(api.get_customer_health(:'c1') -> 'avoid_allergens', '["milk"]', 'GET health returns the normalized profile');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
