-- Vendor partitioning: creating a vendor creates every registered partition (products 16 hash
-- leaves, customers 32, one leaf per LIST-only table), all in schema partitions; creating them
-- again is a no-op; offboarding archives (FKs only among the vendor's archived tables, rows kept) or drops them, and
-- never touches another vendor.
BEGIN;
SELECT plan(28);

-- Fixtures: vendors A, B (live), C (to be dropped); a category; rows in A, B and C.
INSERT INTO catalog.tax_categories (code, label) VALUES ('t-part-cat', 'Test category');
INSERT INTO core.vendors (id, name) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000000a', 'Test Vendor A'),
    ('bbbbbbbb-0000-4000-8000-00000000000b', 'Test Vendor B'),
    ('cccccccc-0000-4000-8000-00000000000c', 'Test Vendor C');

CREATE FUNCTION pg_temp.seed(p_vendor uuid, p_n integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('odyssey.vendor_id', p_vendor::text, true);
    INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, barcode)
    SELECT catalog.product_id(p_vendor, 'p' || g), p_vendor, 'p' || g, 'Product ' || g, 'Brand', 'Desc',
           (SELECT id FROM catalog.tax_categories WHERE code = 't-part-cat'), 1.50, lpad(g::text, 12, '0')
      FROM generate_series(1, p_n) g;
    INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, location)
    SELECT crm.customer_id(p_vendor, 'c' || g), p_vendor, 'c' || g, 'Customer ' || g, 'c' || g || '@example.com', 40, '{}'
      FROM generate_series(1, p_n) g;
    INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level)
    SELECT p_vendor, crm.customer_id(p_vendor, 'c' || g), 170, 70, 40, 'female', 'moderate'
      FROM generate_series(1, p_n) g;
    INSERT INTO crm.customer_whitelists (vendor_id, customer_id, product_id)
    VALUES (p_vendor, crm.customer_id(p_vendor, 'c1'), catalog.product_id(p_vendor, 'p1'));
    INSERT INTO matching.matches_cache (vendor_id, customer_id, catalog_version, results, ttl_at)
    VALUES (p_vendor, crm.customer_id(p_vendor, 'c1'), 1, '[]', now() + interval '1 hour');
END $$;

-- Leaf counts of one vendor, per registered parent.
CREATE FUNCTION pg_temp.leaf_counts(p_vendor uuid) RETURNS TABLE (parent text, leaves bigint) LANGUAGE sql AS $$
    SELECT t.parent::text,
           CASE WHEN t.hash_modulus IS NULL
                THEN (SELECT count(*) FROM pg_class c WHERE c.oid = app.vendor_partition(t.parent, p_vendor) AND c.relkind = 'r')
                ELSE (SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                       WHERE i.inhparent = app.vendor_partition(t.parent, p_vendor) AND c.relkind = 'r') END
      FROM app.vendor_partitioned_tables t
$$;

-- Every relation (table or index) named after a vendor, by schema.
CREATE FUNCTION pg_temp.rels(p_vendor uuid, p_schema text, p_kinds "char"[] DEFAULT '{r,p}')
RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname LIKE '%' || replace(p_vendor::text, '-', '') || '%'
       AND n.nspname = p_schema AND c.relkind = ANY (p_kinds)
$$;

SELECT pg_temp.seed('aaaaaaaa-0000-4000-8000-00000000000a', 5);
SELECT pg_temp.seed('bbbbbbbb-0000-4000-8000-00000000000b', 3);
SELECT pg_temp.seed('cccccccc-0000-4000-8000-00000000000c', 2);
SET LOCAL odyssey.vendor_id = '';

-- 1. Creation
SELECT ok((SELECT count(*) FROM app.vendor_partitioned_tables) >= 10,
          'the registry lists the vendor-partitioned tables');
SELECT results_eq(
    $$ SELECT parent, leaves FROM pg_temp.leaf_counts('aaaaaaaa-0000-4000-8000-00000000000a') ORDER BY parent $$,
    $$ SELECT parent::text, coalesce(hash_modulus, 1)::bigint FROM app.vendor_partitioned_tables ORDER BY parent::text $$,
    'creating a vendor creates every registered partition: hash_modulus leaves for HASH tables, one leaf otherwise');
SELECT is((SELECT leaves FROM pg_temp.leaf_counts('aaaaaaaa-0000-4000-8000-00000000000a') WHERE parent = 'catalog.products'),
          16::bigint, 'products: 16 hash leaves per vendor');
SELECT is((SELECT leaves FROM pg_temp.leaf_counts('aaaaaaaa-0000-4000-8000-00000000000a') WHERE parent = 'crm.customers'),
          32::bigint, 'customers: 32 hash leaves per vendor');
SELECT is((SELECT count(*) FROM pg_temp.leaf_counts('aaaaaaaa-0000-4000-8000-00000000000a')
            WHERE parent IN ('catalog.product_barcodes', 'catalog.product_images', 'catalog.product_sources',
                             'crm.customer_consents', 'crm.customer_whitelists', 'crm.customer_blacklists',
                             'health.customer_health_profiles', 'matching.matches_cache') AND leaves = 1),
          8::bigint, 'every LIST-only table has exactly one leaf for the vendor');
SELECT is(pg_temp.rels('aaaaaaaa-0000-4000-8000-00000000000a', 'partitions'),
          (SELECT sum(coalesce(hash_modulus, 0) + 1) FROM app.vendor_partitioned_tables)::bigint,
          'all of the vendor''s partitions (vendor level and hash leaves) live in schema partitions');
SELECT is((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relname LIKE '%aaaaaaaa00004000800000000000000a%' AND n.nspname <> 'partitions'),
          0::bigint, 'no table or index of the vendor lives outside schema partitions');
SELECT is((SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c
            WHERE c.oid = app.vendor_partition('catalog.products', 'aaaaaaaa-0000-4000-8000-00000000000a')),
          'FOR VALUES IN (''aaaaaaaa-0000-4000-8000-00000000000a'')', 'the vendor partition is bound to the vendor id');
SELECT is((SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = app.vendor_partition('catalog.products', 'aaaaaaaa-0000-4000-8000-00000000000a')
              AND pg_get_expr(c.relpartbound, c.oid) ~ '^FOR VALUES WITH \(modulus 16, remainder ([0-9]|1[0-5])\)$'),
          16::bigint, 'the products hash leaves cover remainders of modulus 16');
SELECT is((SELECT count(*) FROM catalog.products p JOIN pg_inherits i ON i.inhrelid = p.tableoid
            WHERE i.inhparent = app.vendor_partition('catalog.products', 'aaaaaaaa-0000-4000-8000-00000000000a')),
          5::bigint, 'the vendor''s rows are stored in its own hash leaves');

-- 2. Idempotency
SELECT is(app.create_vendor_partitions('aaaaaaaa-0000-4000-8000-00000000000a'), 0,
          'create_vendor_partitions on an existing vendor creates nothing');
SELECT is(pg_temp.rels('aaaaaaaa-0000-4000-8000-00000000000a', 'partitions'),
          (SELECT sum(coalesce(hash_modulus, 0) + 1) FROM app.vendor_partitioned_tables)::bigint,
          'and leaves the vendor''s relations as they were');
SELECT is(app.create_vendor_partitions('dddddddd-0000-4000-8000-00000000000d'),
          (SELECT count(*)::integer FROM app.vendor_partitioned_tables),
          'create_vendor_partitions returns the number of vendor-level partitions it created');
SELECT is(app.create_vendor_partitions('dddddddd-0000-4000-8000-00000000000d'), 0, 'and 0 the second time');

-- 3. Offboarding with an archive
SELECT is(app.offboard_vendor('aaaaaaaa-0000-4000-8000-00000000000a', true),
          (SELECT count(*)::integer FROM app.vendor_partitioned_tables), 'offboard (keep) handles every partition');
SELECT is((SELECT count(*) FROM app.vendor_partitioned_tables t
            WHERE app.vendor_partition(t.parent, 'aaaaaaaa-0000-4000-8000-00000000000a') IS NOT NULL),
          0::bigint, 'no partition of the offboarded vendor is attached any more');
SELECT is(pg_temp.rels('aaaaaaaa-0000-4000-8000-00000000000a', 'partitions'), 0::bigint,
          'nothing of the offboarded vendor is left in schema partitions');
SELECT is(pg_temp.rels('aaaaaaaa-0000-4000-8000-00000000000a', 'archive'),
          (SELECT sum(coalesce(hash_modulus, 0) + 1) FROM app.vendor_partitioned_tables)::bigint,
          'every table of the offboarded vendor (hash leaves included) moved to schema archive');
SELECT is((SELECT count(*) FROM pg_constraint k
             JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
            WHERE n.nspname = 'archive' AND k.contype = 'f'
              AND c.relname LIKE '%aaaaaaaa00004000800000000000000a%'
              AND (rn.nspname = 'partitions' OR r.oid IN ('catalog.products'::regclass, 'crm.customers'::regclass))),
          0::bigint, 'archived tables have no foreign keys into live vendor tables');
SELECT ok((SELECT count(*) FROM pg_constraint k
             JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
            WHERE k.contype = 'f' AND k.conparentid = 0
              AND c.oid = 'archive.customer_health_profiles_aaaaaaaa00004000800000000000000a'::regclass
              AND r.oid = 'archive.customers_aaaaaaaa00004000800000000000000a'::regclass) = 1,
          'the archive keeps its own foreign keys (health profiles -> the vendor''s archived customers)');
SELECT is((SELECT count(*) FROM pg_constraint k JOIN pg_class c ON c.oid = k.confrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'archive' AND k.contype = 'f'
              AND k.conrelid NOT IN (SELECT oid FROM pg_class WHERE relnamespace = 'archive'::regnamespace)),
          0::bigint, 'no live table references an archived table');
SELECT is((SELECT count(*) FROM archive.products_aaaaaaaa00004000800000000000000a), 5::bigint,
          'archived products keep their rows');
SELECT is((SELECT count(*) FROM archive.customer_health_profiles_aaaaaaaa00004000800000000000000a), 5::bigint,
          'archived health profiles keep their rows');

-- 4. Offboarding without an archive
SELECT is(app.offboard_vendor('cccccccc-0000-4000-8000-00000000000c', false),
          (SELECT count(*)::integer FROM app.vendor_partitioned_tables), 'offboard (drop) handles every partition');
SELECT is((SELECT count(*) FROM pg_class WHERE relname LIKE '%cccccccc00004000800000000000000c%'), 0::bigint,
          'offboard (drop) leaves no table or index of the vendor anywhere');
SELECT is(app.offboard_vendor('cccccccc-0000-4000-8000-00000000000c', false), 0,
          'offboarding again finds nothing to do');

-- 5. The other vendor is untouched
SET LOCAL odyssey.vendor_id = 'bbbbbbbb-0000-4000-8000-00000000000b';
SELECT results_eq(
    $$ SELECT (SELECT count(*) FROM catalog.products), (SELECT count(*) FROM crm.customers),
              (SELECT count(*) FROM health.customer_health_profiles), (SELECT count(*) FROM catalog.product_barcodes),
              (SELECT count(*) FROM crm.customer_whitelists), (SELECT count(*) FROM matching.matches_cache) $$,
    $$ VALUES (3::bigint, 3::bigint, 3::bigint, 3::bigint, 1::bigint, 1::bigint) $$,
    'another vendor keeps all its rows after offboardings');
SELECT is((SELECT count(*) FROM pg_temp.leaf_counts('bbbbbbbb-0000-4000-8000-00000000000b') l
             JOIN app.vendor_partitioned_tables t ON t.parent::text = l.parent
            WHERE l.leaves = coalesce(t.hash_modulus, 1)),
          (SELECT count(*) FROM app.vendor_partitioned_tables), 'and all its partitions');

SELECT * FROM finish();
ROLLBACK;
