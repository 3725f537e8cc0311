-- Partition pruning with several vendors, under generic plans (PREPARE + force_generic_plan, what
-- a pooled gateway gets after a few executions):
--   * an explicit vendor_id = $1 predicate prunes at executor start-up ("Subplans Removed"): only
--     that vendor's leaves are in the executed plan; (vendor_id, id) = ($1, $2) leaves exactly one.
--   * with RLS alone (no vendor predicate, only odyssey.vendor_id set), the tenant value is an
--     InitPlan ((SELECT app.current_vendor_id())): it is known neither at plan time nor at executor
--     start-up, so the plan lists every vendor's leaves and there is no "Subplans Removed"; the
--     pruning happens at run time instead: the other vendors' leaves are "never executed"
--     (Actual Loops = 0). That is what these tests pin down.
BEGIN;
SELECT plan(24);

INSERT INTO catalog.tax_categories (code, label) VALUES ('t-prune-cat', 'Test category');
INSERT INTO core.vendors (id, name) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000000a', 'Test Vendor A'),
    ('bbbbbbbb-0000-4000-8000-00000000000b', 'Test Vendor B'),
    ('cccccccc-0000-4000-8000-00000000000c', 'Test Vendor C');

CREATE FUNCTION pg_temp.seed(p_vendor uuid, p_n integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('odyssey.vendor_id', p_vendor::text, true);
    INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, barcode)
    SELECT catalog.product_id(p_vendor, 'p' || g), p_vendor, 'p' || g, 'Product ' || g, 'Brand', 'Desc',
           (SELECT id FROM catalog.tax_categories WHERE code = 't-prune-cat'), 1.50, lpad(g::text, 12, '0')
      FROM generate_series(1, p_n) g;
    INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, location)
    SELECT crm.customer_id(p_vendor, 'c' || g), p_vendor, 'c' || g, 'Customer ' || g, 'c' || g || '@example.com', 40, '{}'
      FROM generate_series(1, p_n) g;
    INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level)
    SELECT p_vendor, crm.customer_id(p_vendor, 'c' || g), 170, 70, 40, 'female', 'moderate'
      FROM generate_series(1, p_n) g;
    INSERT INTO matching.matches_cache (vendor_id, customer_id, catalog_version, results, ttl_at)
    SELECT p_vendor, crm.customer_id(p_vendor, 'c' || g), 1, '[]', now() + interval '1 hour'
      FROM generate_series(1, p_n) g;
    PERFORM set_config('odyssey.vendor_id', '', true);
END $$;
SELECT pg_temp.seed('aaaaaaaa-0000-4000-8000-00000000000a', 20);
SELECT pg_temp.seed('bbbbbbbb-0000-4000-8000-00000000000b', 20);
SELECT pg_temp.seed('cccccccc-0000-4000-8000-00000000000c', 20);

-- The relations of an EXPLAIN (FORMAT JSON) plan: name and Actual Loops (NULL without ANALYZE).
CREATE FUNCTION pg_temp.plan_rels(p_sql text, p_analyze boolean DEFAULT false)
RETURNS TABLE (rel text, loops numeric) LANGUAGE plpgsql AS $$
DECLARE v_plan json;
BEGIN
    EXECUTE format('EXPLAIN (FORMAT JSON, COSTS OFF%s) %s',
                   CASE WHEN p_analyze THEN ', ANALYZE, TIMING OFF, SUMMARY OFF' ELSE '' END, p_sql) INTO v_plan;
    RETURN QUERY SELECT n ->> 'Relation Name', (n ->> 'Actual Loops')::numeric
                   FROM jsonb_path_query(v_plan::jsonb, 'strict $.**') n
                  WHERE jsonb_typeof(n) = 'object' AND n ? 'Relation Name';
END $$;
-- Sum of "Subplans Removed" (initial pruning) over a plan.
CREATE FUNCTION pg_temp.subplans_removed(p_sql text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE v_plan json;
BEGIN
    EXECUTE format('EXPLAIN (FORMAT JSON, COSTS OFF) %s', p_sql) INTO v_plan;
    RETURN (SELECT coalesce(sum((n ->> 'Subplans Removed')::numeric), 0)
              FROM jsonb_path_query(v_plan::jsonb, 'strict $.**') n
             WHERE jsonb_typeof(n) = 'object' AND n ? 'Subplans Removed');
END $$;
-- Leaves a vendor-scoped plan may touch: the vendor's partition or its hash leaves.
CREATE FUNCTION pg_temp.is_vendor_leaf(p_rel text, p_vendor uuid) RETURNS boolean LANGUAGE sql AS $$
    SELECT p_rel LIKE '%\_' || replace(p_vendor::text, '-', '') || '%'
$$;

SET LOCAL plan_cache_mode = force_generic_plan;
GRANT EXECUTE ON FUNCTION pg_temp.plan_rels(text, boolean), pg_temp.subplans_removed(text) TO PUBLIC;

-- 1. Explicit vendor predicates, generic plans
PREPARE products_by_vendor(uuid) AS SELECT count(*) FROM catalog.products WHERE vendor_id = $1;
SELECT is((SELECT count(*) FROM pg_temp.plan_rels($$EXECUTE products_by_vendor('aaaaaaaa-0000-4000-8000-00000000000a')$$)),
          16::bigint, 'products by vendor: the generic plan keeps 16 leaves');
SELECT ok((SELECT bool_and(pg_temp.is_vendor_leaf(rel, 'aaaaaaaa-0000-4000-8000-00000000000a'))
             FROM pg_temp.plan_rels($$EXECUTE products_by_vendor('aaaaaaaa-0000-4000-8000-00000000000a')$$)),
          'products by vendor: all of them the vendor''s hash leaves');
SELECT is(pg_temp.subplans_removed($$EXECUTE products_by_vendor('aaaaaaaa-0000-4000-8000-00000000000a')$$),
          32::numeric, 'products by vendor: the other vendors'' 32 leaves are removed at executor start-up');
SELECT ok((SELECT generic_plans > 0 AND custom_plans = 0 FROM pg_prepared_statements WHERE name = 'products_by_vendor'),
          'and the plan used was a generic one');
SELECT is((SELECT count(*) FROM catalog.products WHERE vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a'), 20::bigint,
          'products by vendor returns the vendor''s rows');

PREPARE product_by_key(uuid, uuid) AS SELECT * FROM catalog.products WHERE vendor_id = $1 AND id = $2;
SELECT results_eq(
    format('SELECT rel FROM pg_temp.plan_rels(%L)',
           format('EXECUTE product_by_key(%L, %L)', 'bbbbbbbb-0000-4000-8000-00000000000b',
                  catalog.product_id('bbbbbbbb-0000-4000-8000-00000000000b', 'p7'))),
    $$ SELECT c.relname::text COLLATE "default" FROM catalog.products p JOIN pg_class c ON c.oid = p.tableoid
        WHERE p.vendor_id = 'bbbbbbbb-0000-4000-8000-00000000000b' AND p.external_id = 'p7' $$,
    'products (vendor_id, id): exactly one leaf, the one holding the row');
SELECT is(pg_temp.subplans_removed(format('EXECUTE product_by_key(%L, %L)', 'bbbbbbbb-0000-4000-8000-00000000000b',
                                          catalog.product_id('bbbbbbbb-0000-4000-8000-00000000000b', 'p7'))),
          47::numeric, 'products (vendor_id, id): 47 of 48 leaves removed');

PREPARE customers_by_vendor(uuid) AS SELECT count(*) FROM crm.customers WHERE vendor_id = $1;
SELECT is((SELECT count(*) FROM pg_temp.plan_rels($$EXECUTE customers_by_vendor('cccccccc-0000-4000-8000-00000000000c')$$)
            WHERE pg_temp.is_vendor_leaf(rel, 'cccccccc-0000-4000-8000-00000000000c')),
          32::bigint, 'customers by vendor: the vendor''s 32 leaves are in the plan');
SELECT is((SELECT count(*) FROM pg_temp.plan_rels($$EXECUTE customers_by_vendor('cccccccc-0000-4000-8000-00000000000c')$$)),
          32::bigint, 'customers by vendor: and nothing else');
SELECT is(pg_temp.subplans_removed($$EXECUTE customers_by_vendor('cccccccc-0000-4000-8000-00000000000c')$$),
          64::numeric, 'customers by vendor: 64 leaves removed');

PREPARE customer_by_key(uuid, uuid) AS SELECT * FROM crm.customers WHERE vendor_id = $1 AND id = $2;
SELECT results_eq(
    format('SELECT rel FROM pg_temp.plan_rels(%L)',
           format('EXECUTE customer_by_key(%L, %L)', 'aaaaaaaa-0000-4000-8000-00000000000a',
                  crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'c3'))),
    $$ SELECT c.relname::text COLLATE "default" FROM crm.customers p JOIN pg_class c ON c.oid = p.tableoid
        WHERE p.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a' AND p.external_id = 'c3' $$,
    'customers (vendor_id, id): exactly one leaf, the one holding the row');

PREPARE profiles_by_vendor(uuid) AS SELECT count(*) FROM health.customer_health_profiles WHERE vendor_id = $1;
SELECT results_eq($$ SELECT rel FROM pg_temp.plan_rels('EXECUTE profiles_by_vendor(''bbbbbbbb-0000-4000-8000-00000000000b'')') $$,
                  $$ SELECT relname::text COLLATE "default" FROM pg_class WHERE oid = app.vendor_partition('health.customer_health_profiles', 'bbbbbbbb-0000-4000-8000-00000000000b') $$,
                  'health profiles by vendor: the vendor''s partition only');
PREPARE matches_by_customer(uuid, uuid) AS
    SELECT results FROM matching.matches_cache WHERE vendor_id = $1 AND customer_id = $2 AND ttl_at > now();
SELECT results_eq(format('SELECT rel FROM pg_temp.plan_rels(%L)',
                         format('EXECUTE matches_by_customer(%L, %L)', 'bbbbbbbb-0000-4000-8000-00000000000b',
                                crm.customer_id('bbbbbbbb-0000-4000-8000-00000000000b', 'c1'))),
                  $$ SELECT relname::text COLLATE "default" FROM pg_class WHERE oid = app.vendor_partition('matching.matches_cache', 'bbbbbbbb-0000-4000-8000-00000000000b') $$,
                  'matches_cache by customer: the vendor''s partition only');
PREPARE barcode_lookup(uuid, text) AS SELECT product_id FROM catalog.product_barcodes WHERE vendor_id = $1 AND barcode = $2;
SELECT results_eq($$ SELECT rel FROM pg_temp.plan_rels('EXECUTE barcode_lookup(''cccccccc-0000-4000-8000-00000000000c'', ''000000000001'')') $$,
                  $$ SELECT relname::text COLLATE "default" FROM pg_class WHERE oid = app.vendor_partition('catalog.product_barcodes', 'cccccccc-0000-4000-8000-00000000000c') $$,
                  'barcode lookup: the vendor''s partition only');

-- 2. RLS only (no vendor predicate): run-time pruning
SELECT catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', 'p2') AS a_p2,
       (SELECT c.relname FROM catalog.products p JOIN pg_class c ON c.oid = p.tableoid
         WHERE p.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a' AND p.external_id = 'p2') AS a_p2_leaf \gset
SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a';
SET LOCAL ROLE odyssey_vendor_viewer;
PREPARE rls_products AS SELECT count(*) FROM catalog.products;
SELECT is((SELECT count(*) FROM pg_temp.plan_rels('EXECUTE rls_products')), 48::bigint,
          'RLS only: the generic plan lists every vendor''s product leaves (the tenant is an InitPlan, unknown at plan time)');
SELECT is(pg_temp.subplans_removed('EXECUTE rls_products'), 0::numeric,
          'RLS only: nothing is pruned at executor start-up');
SELECT is((SELECT count(*) FROM pg_temp.plan_rels('EXECUTE rls_products', true) WHERE loops > 0), 16::bigint,
          'RLS only: at run time only 16 leaves are executed');
SELECT ok((SELECT bool_and(pg_temp.is_vendor_leaf(rel, 'aaaaaaaa-0000-4000-8000-00000000000a'))
             FROM pg_temp.plan_rels('EXECUTE rls_products', true) WHERE loops > 0),
          'RLS only: and they are the tenant''s leaves (the other 32 are never executed)');
SELECT is((SELECT count(*) FROM catalog.products), 20::bigint, 'RLS only: the tenant''s rows are returned');
PREPARE rls_customers AS SELECT count(*) FROM crm.customers WHERE soft_deleted_at IS NULL;
SELECT is((SELECT count(*) FROM pg_temp.plan_rels('EXECUTE rls_customers', true) WHERE loops > 0), 32::bigint,
          'RLS only, customers: 32 of 96 leaves executed');
SELECT ok((SELECT bool_and(pg_temp.is_vendor_leaf(rel, 'aaaaaaaa-0000-4000-8000-00000000000a'))
             FROM pg_temp.plan_rels('EXECUTE rls_customers', true) WHERE loops > 0),
          'RLS only, customers: all of them the tenant''s');
PREPARE rls_product_by_id(uuid) AS SELECT name FROM catalog.products WHERE id = $1;
SELECT is(pg_temp.subplans_removed(format('EXECUTE rls_product_by_id(%L)', :'a_p2')),
          45::numeric, 'RLS + id = $1: hash pruning on id removes 45 leaves at start-up (one hash leaf per vendor remains)');
SELECT results_eq(format('SELECT rel FROM pg_temp.plan_rels(%L, true) WHERE loops > 0', format('EXECUTE rls_product_by_id(%L)', :'a_p2')),
                  format('SELECT %L::text', :'a_p2_leaf'),
                  'RLS + id = $1: at run time exactly one leaf is executed, the one holding the row');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_viewer;
PREPARE rls_profiles_explicit(uuid) AS SELECT count(*) FROM catalog.products WHERE vendor_id = $1;
SELECT is(pg_temp.subplans_removed($$EXECUTE rls_profiles_explicit('aaaaaaaa-0000-4000-8000-00000000000a')$$), 32::numeric,
          'RLS plus an explicit vendor_id = $1: start-up pruning again (the gateway should pass the vendor explicitly)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
