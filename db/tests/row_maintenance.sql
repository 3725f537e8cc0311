-- Row maintenance: created_at / updated_at / version kept by triggers (products, customers,
-- health profiles), soft_deleted_at on products and customers, CHECK constraints on values, the
-- vendor's catalog_version bumped by every catalog write, and catalog writes refused without a tenant.
BEGIN;
SELECT plan(55);

INSERT INTO catalog.tax_categories (code, label) VALUES ('t-rowm-cat', 'Test category');
INSERT INTO core.vendors (id, name) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000000a', 'Test Vendor A'),
    ('bbbbbbbb-0000-4000-8000-00000000000b', 'Test Vendor B');
SELECT id AS cat FROM catalog.tax_categories WHERE code = 't-rowm-cat' \gset

-- A product INSERT as SQL, with one column overridden.
CREATE FUNCTION pg_temp.product(p_ext text, p_col text DEFAULT NULL, p_val text DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
    SELECT format('INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price%s) '
                  'VALUES (%L, ''aaaaaaaa-0000-4000-8000-00000000000a'', %L, ''Name'', ''Brand'', ''Desc'', %s, 1.00%s)',
                  CASE WHEN p_col IS NOT NULL THEN ', ' || p_col ELSE '' END,
                  catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', p_ext), p_ext,
                  (SELECT id FROM catalog.tax_categories WHERE code = 't-rowm-cat'),
                  CASE WHEN p_col IS NOT NULL THEN ', ' || p_val ELSE '' END)
$$;
CREATE FUNCTION pg_temp.customer(p_ext text, p_cols text DEFAULT 'age', p_vals text DEFAULT '30') RETURNS text LANGUAGE sql AS $$
    SELECT format('INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, location, %s) '
                  'VALUES (%L, ''aaaaaaaa-0000-4000-8000-00000000000a'', %L, ''Name'', %L, ''{}'', %s)',
                  p_cols, crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', p_ext), p_ext, p_ext || '@example.com', p_vals)
$$;
CREATE FUNCTION pg_temp.profile(p_ext text, p_height text DEFAULT '170', p_weight text DEFAULT '70', p_age text DEFAULT '30') RETURNS text LANGUAGE sql AS $$
    SELECT format('INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level) '
                  'VALUES (''aaaaaaaa-0000-4000-8000-00000000000a'', %L, %s, %s, %s, ''male'', ''light'')',
                  crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', p_ext), p_height, p_weight, p_age)
$$;
CREATE FUNCTION pg_temp.catalog_version(p_vendor uuid) RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$
    SELECT catalog_version FROM core.vendors WHERE id = p_vendor
$$;
GRANT EXECUTE ON FUNCTION pg_temp.product(text, text, text), pg_temp.customer(text, text, text),
      pg_temp.profile(text, text, text, text), pg_temp.catalog_version(uuid) TO PUBLIC;

-- 1. Without a tenant, catalog writes fail with a clear error (even for a superuser, who bypasses RLS)
SELECT throws_ok(pg_temp.product('no-tenant'), '42501', 'catalog writes require the tenant setting odyssey.vendor_id',
                 'a catalog write without odyssey.vendor_id is refused with a clear error');
SET LOCAL odyssey.vendor_id = 'not-a-uuid';
SELECT throws_ok(pg_temp.product('no-tenant'), '42501', 'catalog writes require the tenant setting odyssey.vendor_id',
                 'a malformed odyssey.vendor_id counts as none');

SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a';
SET LOCAL ROLE odyssey_vendor_operator;
SELECT throws_ok(replace(pg_temp.product('no-tenant-2'), '''aaaaaaaa-0000-4000-8000-00000000000a''', 'NULL'), '23514',
                 'no partition of relation "products" found for row', 'a product without vendor_id has no partition to go to');

-- 2. Timestamps and version: products
SELECT pg_temp.catalog_version('aaaaaaaa-0000-4000-8000-00000000000a') AS cv0 \gset
SELECT lives_ok(pg_temp.product('rm-1', 'version', '42'), 'a product is inserted (with a bogus version)');
SELECT is(pg_temp.catalog_version('aaaaaaaa-0000-4000-8000-00000000000a'), (:cv0 + 1)::bigint, 'a product insert bumps the vendor''s catalog_version');
SELECT is(pg_temp.catalog_version('bbbbbbbb-0000-4000-8000-00000000000b'), 1::bigint, 'and not another vendor''s');
SELECT results_eq($$ SELECT version, created_at = now(), updated_at = now(), soft_deleted_at IS NULL FROM catalog.products WHERE external_id = 'rm-1' $$,
                  $$ VALUES (1, true, true, true) $$, 'a new product starts at version 1 with created_at = updated_at = now()');
UPDATE catalog.products SET name = 'Renamed', created_at = '2000-01-01', updated_at = '2000-01-01', version = 99 WHERE external_id = 'rm-1';
SELECT results_eq($$ SELECT version, created_at = now(), updated_at = now() FROM catalog.products WHERE external_id = 'rm-1' $$,
                  $$ VALUES (2, true, true) $$, 'an UPDATE increments version, stamps updated_at, and cannot change created_at');
SELECT is(pg_temp.catalog_version('aaaaaaaa-0000-4000-8000-00000000000a'), (:cv0 + 2)::bigint, 'a product update bumps catalog_version');
UPDATE catalog.products SET price = 2.50 WHERE external_id = 'rm-1';
SELECT is((SELECT version FROM catalog.products WHERE external_id = 'rm-1'), 3, 'every update increments version');
SELECT lives_ok(format('INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price) '
                       'SELECT catalog.product_id(%L, ''bulk-'' || g), %L, ''bulk-'' || g, ''Bulk'', '''', '''', %s, 1 FROM generate_series(1, 5) g',
                       'aaaaaaaa-0000-4000-8000-00000000000a', 'aaaaaaaa-0000-4000-8000-00000000000a', :cat),
                'a 5-row INSERT ... SELECT');
SELECT is(pg_temp.catalog_version('aaaaaaaa-0000-4000-8000-00000000000a'), (:cv0 + 4)::bigint, 'bumps catalog_version once (statement trigger)');
SELECT lives_ok(format('INSERT INTO catalog.product_images (vendor_id, product_id, url) VALUES (%L, %L, ''https://img.example/1.png'')',
                       'aaaaaaaa-0000-4000-8000-00000000000a', catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', 'rm-1')),
                'a product image is added');
SELECT is(pg_temp.catalog_version('aaaaaaaa-0000-4000-8000-00000000000a'), (:cv0 + 5)::bigint, 'an image write bumps catalog_version too');
UPDATE catalog.products SET soft_deleted_at = now() WHERE external_id = 'bulk-1';
SELECT is(pg_temp.catalog_version('aaaaaaaa-0000-4000-8000-00000000000a'), (:cv0 + 6)::bigint, 'a soft delete bumps catalog_version');
SELECT is((SELECT count(*) FROM catalog.products WHERE soft_deleted_at IS NOT NULL), 1::bigint, 'soft_deleted_at marks the product');
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
DELETE FROM catalog.products WHERE external_id = 'bulk-2';
-- (the FK cascade into product_images runs its own statement, which bumps once more: harmless, versions only grow)
SELECT ok(pg_temp.catalog_version('aaaaaaaa-0000-4000-8000-00000000000a') > (:cv0 + 6)::bigint, 'a hard delete (worker) bumps catalog_version');
RESET ROLE;

-- 3. Timestamps and version: customers and health profiles
SET LOCAL ROLE odyssey_vendor_admin;
SELECT lives_ok(pg_temp.customer('rm-c1', 'age, version', '30, 7'), 'a customer is inserted');
SELECT is((SELECT version FROM crm.customers WHERE external_id = 'rm-c1'), 1, 'customers start at version 1');
UPDATE crm.customers SET full_name = 'Other', created_at = '2000-01-01', version = 50 WHERE external_id = 'rm-c1';
SELECT results_eq($$ SELECT version, created_at = now(), updated_at = now() FROM crm.customers WHERE external_id = 'rm-c1' $$,
                  $$ VALUES (2, true, true) $$, 'customer UPDATE: version increments, created_at is kept');
SELECT lives_ok(pg_temp.profile('rm-c1'), 'a health profile is inserted');
UPDATE health.customer_health_profiles SET weight_kg = 72, created_at = '2000-01-01', version = 9
 WHERE customer_id = crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'rm-c1');
SELECT results_eq($$ SELECT version, created_at = now(), updated_at = now(), weight_kg FROM health.customer_health_profiles $$,
                  $$ VALUES (2, true, true, 72.00::numeric(6,2)) $$, 'health profile UPDATE: version increments, created_at is kept');
UPDATE health.customer_health_profiles SET weight_kg = 73;
SELECT is((SELECT version FROM health.customer_health_profiles), 3, 'and again');
RESET ROLE;

SELECT has_column('catalog', 'products', 'soft_deleted_at', 'products have soft_deleted_at');
SELECT col_type_is('catalog', 'products', 'soft_deleted_at', 'timestamp with time zone', 'products.soft_deleted_at is timestamptz');
SELECT has_column('crm', 'customers', 'soft_deleted_at', 'customers have soft_deleted_at');
SELECT col_is_null('crm', 'customers', 'soft_deleted_at', 'customers.soft_deleted_at is nullable');

-- 4. CHECK constraints
SET LOCAL ROLE odyssey_vendor_operator;
SELECT throws_ok(replace(pg_temp.product('bad-2'), '1.00)', '-1.00)'), '23514', NULL, 'a negative price is rejected');
SELECT throws_ok(pg_temp.product('bad-3', 'currency', '''usd'''), '23514', NULL, 'currency ''usd'' (lower case) is rejected');
SELECT throws_ok(pg_temp.product('bad-4', 'currency', '''US'''), '23514', NULL, 'a 2-letter currency is rejected');
SELECT throws_ok(pg_temp.product('bad-5', 'nutrition', '''{"calories": 100}'''), '23514', NULL, 'nutrition with an unknown key is rejected');
SELECT throws_ok(pg_temp.product('bad-6', 'nutrition', '''{"sugars_g": -1}'''), '23514', NULL, 'a negative nutrient is rejected');
SELECT throws_ok(pg_temp.product('bad-7', 'nutrition', '''{"sugars_g": "5"}'''), '23514', NULL, 'a nutrient given as a string is rejected');
SELECT throws_ok(pg_temp.product('bad-8', 'nutrition', '''[1, 2]'''), '23514', NULL, 'nutrition that is not an object is rejected');
SELECT throws_ok(pg_temp.product('bad-9', 'nutrition', '''{"energy_kcal": 50000}'''), '23514', NULL, 'an implausible energy value is rejected');
SELECT throws_ok(pg_temp.product('bad-10', 'serving_size', '''lots'''), '23514', NULL, 'serving_size ''lots'' is rejected');
SELECT throws_ok(pg_temp.product('bad-11', 'package_weight', '''12 parsecs'''), '23514', NULL, 'a package_weight with an unknown unit is rejected');
SELECT throws_ok(pg_temp.product('bad-12', 'barcode', '''12AB5678'''), '23514', NULL, 'a non-numeric barcode is rejected');
SELECT throws_ok(pg_temp.product('bad-13', 'gtin_type', '''ean_13'''), '23514', NULL, 'a gtin_type without a barcode is rejected');
SELECT throws_ok(pg_temp.product('bad-14', 'source_url', '''ftp://x.example/a'''), '23514', NULL, 'a non-http source_url is rejected');
SELECT throws_ok(pg_temp.product(' bad-15 '), '23514', NULL, 'an external_id with surrounding blanks is rejected');
SELECT lives_ok(pg_temp.product('ok-1', 'nutrition, serving_size, package_weight, barcode, gtin_type',
                                '''{"energy_kcal": 250, "sodium_mg": 120, "fiber_g": 3.5}'', ''1 cup (240 ml)'', ''500 g'', ''4006381333931'', ''ean_13'''),
                'valid nutrition, quantities and barcode are accepted');
SELECT throws_ok(replace(pg_temp.customer('bad-c2'), 'bad-c2@example.com', 'not-an-email'), '23514', NULL, 'a bad email is rejected');
SELECT throws_ok(pg_temp.customer('bad-c3', 'gender', '''female'''), '23514', NULL, 'a customer with neither dob nor age is rejected');
SELECT throws_ok(pg_temp.customer('bad-c4', 'age', '200'), '23514', NULL, 'an age of 200 is rejected');
SELECT throws_ok(pg_temp.customer('bad-c5', 'dob', '''1850-01-01'''), '23514', NULL, 'a dob before 1900 is rejected');
SELECT throws_ok(pg_temp.customer('bad-c6', 'age, phone', '30, ''call me'''), '23514', NULL, 'a malformed phone is rejected');
SELECT lives_ok(pg_temp.customer('ok-c1', 'dob, phone', '''1980-05-17'', ''+1 (555) 010-2030'''), 'a customer with only a dob and a phone is accepted');
SELECT lives_ok(pg_temp.customer('ok-c9', 'age, phone', '30, ''(555) 987-6543'''), 'a US number written with its area code in parentheses first is accepted');
SELECT throws_ok(pg_temp.customer('bad-c7', 'age, phone', '30, ''((555)'''), '23514', NULL, 'a phone of parentheses and too few digits is still refused');
SELECT throws_ok(pg_temp.profile('ok-c1', '10'), '23514', NULL, 'a height of 10 cm is rejected');
SELECT throws_ok(pg_temp.profile('ok-c1', '170', '1'), '23514', NULL, 'a weight of 1 kg is rejected');
-- (the age check needs a customer without a dob: with one, the profile's age is derived from it)
SELECT lives_ok(pg_temp.customer('ok-c2'), 'a customer with only an age is accepted');
SELECT throws_ok(pg_temp.profile('ok-c2', '170', '70', '0'), '23514', NULL, 'a health-profile age of 0 is rejected');
SELECT lives_ok(pg_temp.profile('ok-c1', '165.5', '58.2', '44'), 'a plausible health profile is accepted');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
