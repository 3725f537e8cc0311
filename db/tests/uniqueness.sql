-- Uniqueness across hash leaves: products and customers are HASH(id) sub-partitioned, so
-- UNIQUE (vendor_id, external_id) / (vendor_id, barcode) cannot be declared. Instead the id is
-- UUID v5 of (vendor_id, external_id) (pinned by a CHECK), making PRIMARY KEY (vendor_id, id) the
-- external_id key, and barcodes are keyed in catalog.product_barcodes. Writes run as vendor_admin.
BEGIN;
SELECT plan(37);

INSERT INTO catalog.tax_categories (code, label) VALUES ('t-uniq-cat', 'Test category');
INSERT INTO core.vendors (id, name) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000000a', 'Test Vendor A'),
    ('bbbbbbbb-0000-4000-8000-00000000000b', 'Test Vendor B');
SELECT id AS cat FROM catalog.tax_categories WHERE code = 't-uniq-cat' \gset

-- The hash remainder (leaf) a product id of a vendor falls in.
CREATE FUNCTION pg_temp.leaf(p_parent regclass, p_modulus integer, p_vendor uuid, p_id uuid) RETURNS integer
LANGUAGE sql SECURITY DEFINER AS $$
    SELECT r FROM generate_series(0, p_modulus - 1) r
     WHERE satisfies_hash_partition(app.vendor_partition(p_parent, p_vendor)::oid, p_modulus, r, p_id)
$$;
-- The name of that leaf.
CREATE FUNCTION pg_temp.leaf_name(p_parent regclass, p_modulus integer, p_vendor uuid, p_id uuid) RETURNS text
LANGUAGE sql SECURITY DEFINER AS $$
    SELECT app.vendor_partition_name(p_parent, p_vendor) || '_h' || lpad(pg_temp.leaf(p_parent, p_modulus, p_vendor, p_id)::text, 2, '0')
$$;
-- Two external ids of vendor A whose products land in different hash leaves.
SELECT 'bc-1' AS ext_x,
       (SELECT 'bc-' || g FROM generate_series(2, 100) g
         WHERE pg_temp.leaf('catalog.products', 16, 'aaaaaaaa-0000-4000-8000-00000000000a', catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', 'bc-' || g))
            <> pg_temp.leaf('catalog.products', 16, 'aaaaaaaa-0000-4000-8000-00000000000a', catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', 'bc-1'))
         ORDER BY g LIMIT 1) AS ext_y \gset

CREATE FUNCTION pg_temp.product_sql(p_vendor uuid, p_ext text, p_barcode text, p_id uuid DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
    SELECT format('INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, barcode) '
                  'VALUES (%L, %L, %L, %L, ''Brand'', ''Desc'', %s, 2.00, %L)',
                  coalesce(p_id, catalog.product_id(p_vendor, p_ext)), p_vendor, p_ext, 'Product ' || p_ext,
                  (SELECT id FROM catalog.tax_categories WHERE code = 't-uniq-cat'), p_barcode)
$$;
CREATE FUNCTION pg_temp.customer_sql(p_vendor uuid, p_ext text, p_id uuid DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
    SELECT format('INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, location) '
                  'VALUES (%L, %L, %L, %L, %L, 33, ''{}'')',
                  coalesce(p_id, crm.customer_id(p_vendor, p_ext)), p_vendor, p_ext, 'Customer ' || p_ext, p_ext || '@example.com')
$$;
GRANT EXECUTE ON FUNCTION pg_temp.product_sql(uuid, text, text, uuid), pg_temp.customer_sql(uuid, text, uuid),
      pg_temp.leaf(regclass, integer, uuid, uuid), pg_temp.leaf_name(regclass, integer, uuid, uuid) TO PUBLIC;

SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a';
SET LOCAL ROLE odyssey_vendor_admin;

-- 1. external_id of products
SELECT lives_ok(pg_temp.product_sql('aaaaaaaa-0000-4000-8000-00000000000a', 'sku-1', NULL), 'a product is created');
SELECT throws_ok(pg_temp.product_sql('aaaaaaaa-0000-4000-8000-00000000000a', 'sku-1', NULL), '23505', NULL,
                 'the same external_id again in the same vendor is rejected (primary key on the derived id)');
SELECT throws_ok(pg_temp.product_sql('aaaaaaaa-0000-4000-8000-00000000000a', 'sku-1', NULL, gen_random_uuid()), '23514', NULL,
                 'a duplicate external_id cannot sneak in under another id: the id must be product_id(vendor, external_id)');
SELECT throws_ok(pg_temp.product_sql('aaaaaaaa-0000-4000-8000-00000000000a', 'sku-2', NULL,
                                     catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', 'sku-1')), '23514', NULL,
                 'nor can a row reuse another external_id''s id');
SELECT is((SELECT count(*) FROM catalog.products WHERE external_id = 'sku-1'), 1::bigint, 'one product per external_id');
SELECT is((SELECT c.relname::text FROM catalog.products p JOIN pg_class c ON c.oid = p.tableoid WHERE p.external_id = 'sku-1'),
          pg_temp.leaf_name('catalog.products', 16, 'aaaaaaaa-0000-4000-8000-00000000000a',
                            catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', 'sku-1')),
          'an external_id always lands in the hash leaf its derived id hashes to');
SELECT isnt(pg_temp.leaf('catalog.products', 16, 'aaaaaaaa-0000-4000-8000-00000000000a', catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', :'ext_x')),
            pg_temp.leaf('catalog.products', 16, 'aaaaaaaa-0000-4000-8000-00000000000a', catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', :'ext_y')),
            'fixture: the two external ids used below hash to different leaves');

-- 2. barcodes across hash leaves
SELECT lives_ok(pg_temp.product_sql('aaaaaaaa-0000-4000-8000-00000000000a', :'ext_x', '04012345678901'), 'product X takes a barcode');
SELECT throws_ok(pg_temp.product_sql('aaaaaaaa-0000-4000-8000-00000000000a', :'ext_y', '04012345678901'), '23505',
                 'duplicate barcode 04012345678901 for this vendor',
                 'product Y (another hash leaf) cannot take the same barcode in the same vendor');
SELECT lives_ok(pg_temp.product_sql('aaaaaaaa-0000-4000-8000-00000000000a', :'ext_y', '04012345678902'), 'Y with its own barcode is fine');
SELECT isnt((SELECT tableoid FROM catalog.products WHERE external_id = :'ext_x'),
            (SELECT tableoid FROM catalog.products WHERE external_id = :'ext_y'), 'X and Y are stored in different leaves');
SELECT throws_ok(format('UPDATE catalog.products SET barcode = %L WHERE external_id = %L', '04012345678901', :'ext_y'), '23505', NULL,
                 'Y cannot take X''s barcode by an UPDATE either');
SELECT lives_ok(format('UPDATE catalog.products SET name = ''Renamed'', barcode = barcode WHERE external_id = %L', :'ext_x'),
                'updating X without changing its barcode is fine');
SELECT lives_ok(format('UPDATE catalog.products SET barcode = %L WHERE external_id = %L', '04012345678909', :'ext_x'),
                'X changes its barcode');
SELECT results_eq($$ SELECT barcode FROM catalog.product_barcodes ORDER BY barcode $$,
                  $$ VALUES ('04012345678902'::text), ('04012345678909') $$, 'the barcode registry follows the change');
SELECT lives_ok(format('UPDATE catalog.products SET barcode = %L WHERE external_id = %L', '04012345678901', :'ext_y'),
                'the old barcode is free again: Y takes it');
SELECT lives_ok(format('UPDATE catalog.products SET barcode = NULL WHERE external_id = %L', :'ext_x'), 'X drops its barcode');
SELECT lives_ok(pg_temp.product_sql('aaaaaaaa-0000-4000-8000-00000000000a', 'sku-3', '04012345678909'), 'and a new product can take it');

-- 3. upsert keyed on external_id
SELECT lives_ok(pg_temp.product_sql('aaaaaaaa-0000-4000-8000-00000000000a', 'sku-1', NULL)
                || ' ON CONFLICT (vendor_id, id) DO UPDATE SET name = ''Upserted'', price = 9.99',
                'an upsert of an existing external_id succeeds');
SELECT results_eq($$ SELECT count(*), min(name), min(price), min(version) FROM catalog.products WHERE external_id = 'sku-1' $$,
                  $$ VALUES (1::bigint, 'Upserted'::text, 9.99::numeric(12,2), 2) $$,
                  'and updates the row (still one, version incremented) instead of adding one');

-- 4. the same external_id and barcode in another vendor
SET LOCAL odyssey.vendor_id = 'bbbbbbbb-0000-4000-8000-00000000000b';
SELECT lives_ok(pg_temp.product_sql('bbbbbbbb-0000-4000-8000-00000000000b', 'sku-1', '04012345678901'),
                'another vendor may use the same external_id and the same barcode');
SELECT isnt(catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', 'sku-1'),
            catalog.product_id('bbbbbbbb-0000-4000-8000-00000000000b', 'sku-1'), 'with a different id');
SELECT is((SELECT count(*) FROM catalog.product_barcodes WHERE barcode = '04012345678901'), 1::bigint,
          'vendor B sees only its own barcode row');

-- 5. customers
SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a';
SELECT lives_ok(pg_temp.customer_sql('aaaaaaaa-0000-4000-8000-00000000000a', 'cust-1'), 'a customer is created');
SELECT throws_ok(pg_temp.customer_sql('aaaaaaaa-0000-4000-8000-00000000000a', 'cust-1'), '23505', NULL,
                 'the same customer external_id again is rejected');
SELECT throws_ok(pg_temp.customer_sql('aaaaaaaa-0000-4000-8000-00000000000a', 'cust-1', gen_random_uuid()), '23514', NULL,
                 'a customer id must be customer_id(vendor, external_id)');
SELECT lives_ok(pg_temp.customer_sql('aaaaaaaa-0000-4000-8000-00000000000a', 'cust-1')
                || ' ON CONFLICT (vendor_id, id) DO UPDATE SET full_name = ''Upserted Customer''',
                'a customer upsert on an existing external_id succeeds');
SELECT results_eq($$ SELECT count(*), min(full_name), min(version) FROM crm.customers WHERE external_id = 'cust-1' $$,
                  $$ VALUES (1::bigint, 'Upserted Customer'::text, 2) $$, 'and updates the one row');
SELECT is((SELECT c.relname::text FROM crm.customers p JOIN pg_class c ON c.oid = p.tableoid WHERE p.external_id = 'cust-1'),
          pg_temp.leaf_name('crm.customers', 32, 'aaaaaaaa-0000-4000-8000-00000000000a',
                            crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'cust-1')),
          'a customer external_id always lands in the leaf its derived id hashes to');
SET LOCAL odyssey.vendor_id = 'bbbbbbbb-0000-4000-8000-00000000000b';
SELECT lives_ok(pg_temp.customer_sql('bbbbbbbb-0000-4000-8000-00000000000b', 'cust-1'), 'another vendor may use the same customer external_id');
RESET ROLE;
SELECT is((SELECT count(*) FROM crm.customers WHERE external_id = 'cust-1'), 2::bigint,
          'both vendors hold a cust-1 (seen without RLS by the test superuser)');
SELECT is((SELECT count(*) FROM catalog.products WHERE external_id = 'sku-1'), 2::bigint, 'and an sku-1');

-- 6. a deleted product takes its barcode claim and its lineage rows with it (one statement
--    trigger; no per-row foreign key from either table into products)
SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a';
INSERT INTO catalog.product_sources (vendor_id, product_id, source, source_ref)
SELECT vendor_id, id, 'api', 'test' FROM catalog.products
 WHERE vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a' AND external_id IN ('sku-1', 'sku-3');
SELECT is((SELECT count(*) FROM catalog.product_barcodes
            WHERE vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a' AND barcode = '04012345678909'), 1::bigint,
          'sku-3 holds barcode 04012345678909');
DELETE FROM catalog.products WHERE vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a' AND external_id = 'sku-3';
SELECT is((SELECT count(*) FROM catalog.product_barcodes
            WHERE vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a' AND barcode = '04012345678909'), 0::bigint,
          'deleting the product releases its barcode');
SELECT results_eq($$ SELECT product_id FROM catalog.product_sources
                      WHERE vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a' AND source_ref = 'test' $$,
                  $$ VALUES (catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', 'sku-1')) $$,
                  'and removes its lineage rows, not another product''s');
SELECT is((SELECT count(*) FROM catalog.product_barcodes WHERE vendor_id = 'bbbbbbbb-0000-4000-8000-00000000000b'), 1::bigint,
          'another vendor''s barcode claims are untouched');
SELECT is((SELECT count(*) FROM pg_constraint c JOIN pg_inherits i ON i.inhrelid = c.conrelid
            WHERE c.contype = 'f' AND i.inhparent IN ('catalog.product_barcodes'::regclass, 'catalog.product_sources'::regclass)
              AND c.confrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'catalog.products'::regclass)),
          0::bigint, 'no per-row foreign key from barcodes or lineage into products (it cost a lookup per written row)');

SELECT * FROM finish();
ROLLBACK;
