-- Full-text search columns: products.search_tsv is kept by trigger from name (A), brand (B) and the
-- short description (C, first ~300 characters), never the full description; customers.search_tsv
-- from full name, email and external_id. GIN indexes exist on the partitioned parents and on
-- every leaf.
BEGIN;
SELECT plan(32);

INSERT INTO catalog.tax_categories (code, label) VALUES ('t-search-cat', 'Test category');
INSERT INTO core.vendors (id, name) VALUES ('aaaaaaaa-0000-4000-8000-00000000000a', 'Test Vendor A');
SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a';
SELECT id AS cat FROM catalog.tax_categories WHERE code = 't-search-cat' \gset
-- 'cranberry' sits at ~char 200, 'pistachio' after char 400.
SELECT 'Crunchy almond clusters baked slowly. ' || repeat('Simple honest food for busy mornings. ', 4)
       || 'With cranberry pieces. ' || repeat('Store in a cool dry place after opening. ', 5)
       || 'Contains pistachio dust.' AS descr \gset

CREATE TEMP VIEW p WITH (security_invoker = true) AS SELECT * FROM catalog.products WHERE external_id = 's-1';
CREATE TEMP VIEW c WITH (security_invoker = true) AS SELECT * FROM crm.customers WHERE external_id = 'CRM-7781';
GRANT SELECT ON p, c TO PUBLIC;
SET LOCAL ROLE odyssey_vendor_operator;
INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, search_tsv)
VALUES (catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', 's-1'), 'aaaaaaaa-0000-4000-8000-00000000000a', 's-1',
        'Quinoa Crunch Bar', 'Nordic Fields', :'descr', :cat, 3.20, 'injected:1');

SELECT ok(position('cranberry' in :'descr') BETWEEN 150 AND 290 AND position('pistachio' in :'descr') > 400,
          'fixture: cranberry within the first 300 characters, pistachio beyond 400');
SELECT ok((SELECT search_tsv @@ to_tsquery('english', 'quinoa:A') FROM p), 'the name is indexed (weight A)');
SELECT ok((SELECT search_tsv @@ to_tsquery('english', 'nordic:B') FROM p), 'the brand is indexed (weight B)');
SELECT ok((SELECT search_tsv @@ to_tsquery('english', 'almond:C') FROM p), 'the start of the description is indexed (weight C)');
SELECT ok((SELECT search_tsv @@ to_tsquery('english', 'cranberry') FROM p), 'a word within the first ~300 characters matches');
SELECT ok((SELECT NOT search_tsv @@ to_tsquery('english', 'pistachio') FROM p), 'a word only after ~300 characters does not match');
SELECT ok((SELECT NOT search_tsv @@ to_tsquery('english', 'injected') FROM p), 'a search_tsv given on INSERT is replaced');
SELECT ok((SELECT search_tsv @@ plainto_tsquery('english', 'crunchy bars') FROM p), 'english stemming applies (bars ~ bar)');
SELECT is((SELECT search_tsv FROM p), catalog.product_tsv('Quinoa Crunch Bar', 'Nordic Fields', :'descr'),
          'search_tsv equals product_tsv(name, brand, description)');

UPDATE catalog.products SET name = 'Millet Crunch Bar' WHERE external_id = 's-1';
SELECT ok((SELECT search_tsv @@ to_tsquery('english', 'millet') AND NOT search_tsv @@ to_tsquery('english', 'quinoa') FROM p),
          'renaming updates search_tsv');
UPDATE catalog.products SET brand = 'Baltic Farms' WHERE external_id = 's-1';
SELECT ok((SELECT search_tsv @@ to_tsquery('english', 'baltic') AND NOT search_tsv @@ to_tsquery('english', 'nordic') FROM p),
          'a brand change updates search_tsv');
UPDATE catalog.products SET description = 'Sesame and sunflower seeds.' WHERE external_id = 's-1';
SELECT ok((SELECT search_tsv @@ to_tsquery('english', 'sunflower') AND NOT search_tsv @@ to_tsquery('english', 'almond') FROM p),
          'a description change updates search_tsv');
UPDATE catalog.products SET search_tsv = 'injected:1' WHERE external_id = 's-1';
SELECT ok((SELECT NOT search_tsv @@ to_tsquery('english', 'injected') AND search_tsv @@ to_tsquery('english', 'millet') FROM p),
          'search_tsv cannot be written directly by an UPDATE');
UPDATE catalog.products SET price = 4.00 WHERE external_id = 's-1';
SELECT is((SELECT search_tsv FROM p), catalog.product_tsv('Millet Crunch Bar', 'Baltic Farms', 'Sesame and sunflower seeds.'),
          'an update of other columns keeps search_tsv');
SELECT is(catalog.short_description(repeat('word ', 100)), rtrim(left(repeat('word ', 100), 300)),
          'short_description cuts at a word boundary at most ~300 characters in');
SELECT is(catalog.short_description('tiny'), 'tiny', 'a short description is kept whole');

-- Customers
INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, location)
VALUES (crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'CRM-7781'), 'aaaaaaaa-0000-4000-8000-00000000000a',
        'CRM-7781', 'Zelda Fitzgerald', 'zelda.f@example.org', 44, '{}');
SELECT ok((SELECT search_tsv @@ plainto_tsquery('simple', 'fitzgerald') FROM c), 'customers: the full name is indexed');
SELECT ok((SELECT search_tsv @@ plainto_tsquery('simple', 'zelda.f@example.org') FROM c), 'customers: the whole email is indexed');
SELECT ok((SELECT search_tsv @@ plainto_tsquery('simple', 'example.org') FROM c), 'customers: the email domain is indexed');
SELECT ok((SELECT search_tsv @@ plainto_tsquery('simple', 'CRM-7781') FROM c), 'customers: the external_id is indexed');
SELECT ok((SELECT NOT search_tsv @@ plainto_tsquery('simple', 'scott') FROM c), 'customers: other words do not match');
UPDATE crm.customers SET full_name = 'Zelda Sayre', email = 'zs@example.net' WHERE external_id = 'CRM-7781';
SELECT ok((SELECT search_tsv @@ plainto_tsquery('simple', 'sayre') AND NOT search_tsv @@ plainto_tsquery('simple', 'fitzgerald')
                  AND search_tsv @@ plainto_tsquery('simple', 'example.net') AND search_tsv @@ plainto_tsquery('simple', 'CRM-7781') FROM c),
          'customers: name and email changes update search_tsv, the external_id stays');
RESET ROLE;

-- GIN indexes on the parents and every leaf
SELECT results_eq(
    $$ SELECT tablename::text COLLATE "default", indexname::text COLLATE "default", regexp_replace(indexdef, '^.* USING ', '') FROM pg_indexes
        WHERE (schemaname, tablename) IN (('catalog', 'products'), ('catalog', 'product_search'), ('crm', 'customers'))
          AND indexdef LIKE '% USING gin %'
        ORDER BY 1, 2 $$,
    $$ VALUES ('customers', 'customers_search_tsv_gin', 'gin (search_tsv)'),
              ('product_search', 'product_search_name_tsv_gin', 'gin (name_tsv)'),
              ('product_search', 'product_search_tsv_gin', 'gin (search_tsv)'),
              ('products', 'products_allergens_gin', 'gin (allergens)'),
              ('products', 'products_dietary_tags_gin', 'gin (dietary_tags)'),
              ('products', 'products_search_tsv_gin', 'gin (search_tsv)') $$,
    'GIN indexes on products (search_tsv, dietary_tags, allergens), on the search rows (search_tsv, name_tsv for the name tier) and customers (search_tsv)');
SELECT is((SELECT c.relkind::text || ':' || (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid AND i.indisvalid
                                               AND 'catalog.product_search_tsv_gin'::regclass IN (SELECT relid FROM pg_partition_ancestors(i.indexrelid)))
             FROM pg_class c WHERE c.oid = app.vendor_partition('catalog.product_search', 'aaaaaaaa-0000-4000-8000-00000000000a')),
          'r:1', 'a vendor''s search rows are one table (no hash leaves), with the GIN index attached');
SELECT ok((SELECT bool_and(i.indisvalid) FROM pg_index i
            WHERE i.indexrelid IN ('catalog.products_search_tsv_gin'::regclass, 'catalog.products_dietary_tags_gin'::regclass,
                                   'catalog.products_allergens_gin'::regclass, 'crm.customers_search_tsv_gin'::regclass)),
          'the partitioned GIN indexes are valid (every partition has its index attached)');
CREATE FUNCTION pg_temp.leaves_with_index(p_parent regclass, p_index regclass, p_vendor uuid) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM pg_inherits l JOIN pg_index i ON i.indrelid = l.inhrelid
     WHERE l.inhparent = app.vendor_partition(p_parent, p_vendor) AND i.indisvalid
       AND p_index IN (SELECT relid FROM pg_partition_ancestors(i.indexrelid))
$$;
SELECT is(pg_temp.leaves_with_index('catalog.products', 'catalog.products_search_tsv_gin', 'aaaaaaaa-0000-4000-8000-00000000000a'),
          16::bigint, 'every product leaf has the search_tsv GIN index');
SELECT is(pg_temp.leaves_with_index('catalog.products', 'catalog.products_dietary_tags_gin', 'aaaaaaaa-0000-4000-8000-00000000000a'),
          16::bigint, 'every product leaf has the dietary_tags GIN index');
SELECT is(pg_temp.leaves_with_index('catalog.products', 'catalog.products_allergens_gin', 'aaaaaaaa-0000-4000-8000-00000000000a'),
          16::bigint, 'every product leaf has the allergens GIN index');
SELECT is(pg_temp.leaves_with_index('crm.customers', 'crm.customers_search_tsv_gin', 'aaaaaaaa-0000-4000-8000-00000000000a'),
          32::bigint, 'every customer leaf has the search_tsv GIN index');
SELECT is((SELECT am.amname::text FROM pg_class c JOIN pg_am am ON am.oid = c.relam
            WHERE c.oid = (SELECT i.indexrelid FROM pg_inherits l JOIN pg_index i ON i.indrelid = l.inhrelid
                            WHERE l.inhparent = app.vendor_partition('catalog.products', 'aaaaaaaa-0000-4000-8000-00000000000a')
                              AND 'catalog.products_search_tsv_gin'::regclass IN (SELECT relid FROM pg_partition_ancestors(i.indexrelid))
                            LIMIT 1)),
          'gin', 'and the leaf indexes are GIN');
CREATE FUNCTION pg_temp.explain_json(p_sql text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE v json; BEGIN EXECUTE 'EXPLAIN (FORMAT JSON, COSTS OFF) ' || p_sql INTO v; RETURN v; END $$;
SET LOCAL enable_seqscan = off;
SELECT ok((SELECT count(*) FROM catalog.products WHERE search_tsv @@ to_tsquery('english', 'millet')
            AND vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a') = 1, 'a search through the index finds the product');
SELECT ok((SELECT string_agg(x, ' ') FROM (SELECT jsonb_path_query(j::jsonb, 'strict $.**."Index Name"') #>> '{}' AS x
             FROM (SELECT pg_temp.explain_json($$SELECT id FROM catalog.products WHERE search_tsv @@ to_tsquery('english', 'millet')$$) AS j) s) t)
          LIKE '%search_tsv%', 'the planner can use the leaves'' search_tsv index');

SELECT * FROM finish();
ROLLBACK;
