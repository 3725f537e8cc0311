-- Role privileges around tenant data (rls_isolation.sql attacks every table; this file pins the
-- privilege matrix the PRD asks for): vendor_viewer has no access to PHI-derived tables; the
-- operator cannot manage memberships; leaf partitions are reachable only through their parents;
-- the gateway login without SET ROLE reads nothing; the analyst reads every vendor's catalog but
-- no customer, health or audit data and writes nothing; superadmins are global only where
-- designed (vendors, memberships, audit trail).
BEGIN;
SELECT plan(76);

\ir fixtures/tenants.psql
SELECT app.vendor_partition_name('catalog.products', 'aaaaaaaa-0000-4000-8000-00000000000a') || '_h00' AS leaf_products,
       app.vendor_partition_name('health.customer_health_profiles', 'aaaaaaaa-0000-4000-8000-00000000000a') AS leaf_health \gset

-- 1. vendor_viewer: no PHI-derived data
SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a';
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT throws_ok('SELECT * FROM health.customer_health_profiles', '42501', 'permission denied for table customer_health_profiles',
                 'viewer: health profiles are denied');
SELECT throws_ok('SELECT * FROM crm.customer_consents', '42501', 'permission denied for table customer_consents',
                 'viewer: consents are denied');
SELECT throws_ok('SELECT * FROM matching.matches_cache', '42501', 'permission denied for table matches_cache',
                 'viewer: the matches cache is denied');
SELECT throws_ok('SELECT * FROM crm.customer_whitelists', '42501', 'permission denied for table customer_whitelists',
                 'viewer: customer whitelists are denied');
SELECT throws_ok('SELECT * FROM crm.customer_blacklists', '42501', 'permission denied for table customer_blacklists',
                 'viewer: customer blacklists are denied');
SELECT throws_ok('SELECT * FROM ingest.ingestion_job_errors', '42501', 'permission denied for table ingestion_job_errors',
                 'viewer: ingestion job errors are denied');
SELECT throws_ok('SELECT * FROM audit.audit_log', '42501', 'permission denied for table audit_log', 'viewer: the audit trail is denied');
SELECT is((SELECT count(*) FROM catalog.products), 1::bigint, 'viewer: reads its vendor''s products');
SELECT is((SELECT count(*) FROM crm.customers), 1::bigint, 'viewer: reads its vendor''s customers');
SELECT throws_ok(pg_temp.fx_sql('catalog.products', 'aaaaaaaa-0000-4000-8000-00000000000a', 'viewer'), '42501',
                 'permission denied for table products', 'viewer: cannot create products, even in its own vendor');
SELECT throws_ok('UPDATE catalog.products SET name = ''x''', '42501', 'permission denied for table products',
                 'viewer: cannot update products');
SELECT throws_ok(pg_temp.fx_sql('crm.customers', 'aaaaaaaa-0000-4000-8000-00000000000a', 'viewer'), '42501',
                 'permission denied for table customers', 'viewer: cannot create customers');
RESET ROLE;

-- 2. Memberships: the operator cannot touch them; the admin manages its own vendor's
SET LOCAL ROLE odyssey_vendor_operator;
SELECT throws_ok(pg_temp.fx_sql('core.user_links', 'aaaaaaaa-0000-4000-8000-00000000000a', 'attack'), '42501',
                 'permission denied for table user_links', 'operator: cannot INSERT a membership');
SELECT throws_ok('UPDATE core.user_links SET role = ''vendor_admin''', '42501', 'permission denied for table user_links',
                 'operator: cannot UPDATE memberships (e.g. promote itself)');
SELECT throws_ok('DELETE FROM core.user_links', '42501', 'permission denied for table user_links', 'operator: cannot DELETE memberships');
SELECT throws_ok('SELECT * FROM core.users', '42501', 'permission denied for table users', 'operator: cannot list users');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_admin;
SELECT lives_ok(pg_temp.fx_sql('core.user_links', 'aaaaaaaa-0000-4000-8000-00000000000a', 'attack'), 'admin: adds a member to its own vendor');
SELECT lives_ok($$UPDATE core.user_links SET role = 'vendor_operator' WHERE user_id = 'user-attack'$$, 'admin: changes a member''s role');
SELECT throws_ok($$UPDATE core.user_links SET role = 'superadmin' WHERE user_id = 'user-attack'$$, '23514', NULL,
                 'admin: cannot make anyone superadmin through a membership');
SELECT results_eq($$ SELECT id FROM core.users ORDER BY id $$, $$ VALUES ('user-attack'::text), ('user-seed') $$,
                  'admin: sees the users linked to its vendor');
SELECT throws_ok($$INSERT INTO core.platform_admins (user_id, reason) VALUES ('user-attack', 'x')$$, '42501',
                 'permission denied for table platform_admins', 'admin: cannot grant platform admin');
SELECT throws_ok($$INSERT INTO core.vendors (name) VALUES ('Rogue')$$, '42501', 'permission denied for table vendors',
                 'admin: cannot create vendors');
SELECT throws_ok($$UPDATE core.vendors SET name = 'Renamed'$$, '42501', 'permission denied for table vendors',
                 'admin: cannot update its vendor row directly');
SELECT results_eq($$ SELECT id FROM core.vendors $$, $$ VALUES ('aaaaaaaa-0000-4000-8000-00000000000a'::uuid) $$,
                  'admin: sees only its own vendor');
SELECT throws_ok($$SELECT app.offboard_vendor('bbbbbbbb-0000-4000-8000-00000000000b', false)$$, '42501', NULL,
                 'admin: cannot offboard a vendor');
SELECT throws_ok($$SELECT app.create_vendor_partitions(gen_random_uuid())$$, '42501', NULL,
                 'admin: cannot create partitions');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT results_eq($$ SELECT id FROM core.vendors $$, $$ VALUES ('aaaaaaaa-0000-4000-8000-00000000000a'::uuid) $$,
                  'viewer: sees only its own vendor');
SELECT throws_ok('SELECT * FROM core.user_links', '42501', 'permission denied for table user_links', 'viewer: cannot list memberships');
RESET ROLE;

-- 3. Superadmin: global where designed, tenant-bound elsewhere
SET LOCAL odyssey.vendor_id = 'bbbbbbbb-0000-4000-8000-00000000000b';
SET LOCAL ROLE odyssey_superadmin;
SELECT is((SELECT count(DISTINCT id) FROM core.vendors WHERE id IN ('aaaaaaaa-0000-4000-8000-00000000000a', 'bbbbbbbb-0000-4000-8000-00000000000b')),
          2::bigint, 'superadmin: sees every vendor');
SELECT is((SELECT count(DISTINCT vendor_id) FROM core.user_links), 2::bigint, 'superadmin: sees every vendor''s memberships');
SELECT is((SELECT count(DISTINCT vendor_id) FROM audit.audit_log
            WHERE vendor_id IN ('aaaaaaaa-0000-4000-8000-00000000000a', 'bbbbbbbb-0000-4000-8000-00000000000b')),
          2::bigint, 'superadmin: reads every vendor''s audit trail');
SELECT is((SELECT count(*) FROM catalog.products WHERE vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a'), 0::bigint,
          'superadmin inside vendor B: vendor A''s products are invisible (break-glass is per vendor)');
SELECT is((SELECT count(*) FROM health.customer_health_profiles WHERE vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a'), 0::bigint,
          'superadmin inside vendor B: vendor A''s health profiles are invisible');
SELECT lives_ok($$INSERT INTO core.vendors (id, name) VALUES ('dddddddd-0000-4000-8000-00000000000d', 'Test Vendor D')$$,
                'superadmin: creates a vendor');
SELECT lives_ok($$INSERT INTO core.platform_admins (user_id, reason) VALUES ('user-seed', 'test')$$, 'superadmin: grants platform admin');
RESET ROLE;
SELECT is((SELECT count(*) FROM app.vendor_partitioned_tables t
            WHERE app.vendor_partition(t.parent, 'dddddddd-0000-4000-8000-00000000000d') IS NOT NULL),
          (SELECT count(*) FROM app.vendor_partitioned_tables), 'a vendor created by a superadmin gets all its partitions');

-- 4. Leaf partitions: only through their parents
SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a';
CREATE FUNCTION pg_temp.leaf_attacks(p_leaf text, p_health text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT throws_ok(format('SELECT * FROM partitions.%I', p_leaf), '42501', 'permission denied for schema partitions',
                          current_user || ': cannot read a products leaf directly');
    RETURN NEXT throws_ok(format('DELETE FROM partitions.%I', p_leaf), '42501', 'permission denied for schema partitions',
                          current_user || ': cannot delete from a products leaf directly');
    RETURN NEXT throws_ok(format('SELECT * FROM partitions.%I', p_health), '42501', 'permission denied for schema partitions',
                          current_user || ': cannot read a health-profile partition directly');
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.leaf_attacks(text, text) TO PUBLIC;
SET LOCAL ROLE odyssey_vendor_admin;    SELECT * FROM pg_temp.leaf_attacks(:'leaf_products', :'leaf_health'); RESET ROLE;
SET LOCAL ROLE odyssey_vendor_operator; SELECT * FROM pg_temp.leaf_attacks(:'leaf_products', :'leaf_health'); RESET ROLE;
SET LOCAL ROLE odyssey_vendor_viewer;   SELECT * FROM pg_temp.leaf_attacks(:'leaf_products', :'leaf_health'); RESET ROLE;
SET LOCAL ROLE odyssey_superadmin;      SELECT * FROM pg_temp.leaf_attacks(:'leaf_products', :'leaf_health'); RESET ROLE;
SET LOCAL ROLE odyssey_worker;          SELECT * FROM pg_temp.leaf_attacks(:'leaf_products', :'leaf_health'); RESET ROLE;
SET LOCAL ROLE odyssey_analyst;         SELECT * FROM pg_temp.leaf_attacks(:'leaf_products', :'leaf_health'); RESET ROLE;
SET LOCAL ROLE odyssey_gateway;         SELECT * FROM pg_temp.leaf_attacks(:'leaf_products', :'leaf_health'); RESET ROLE;

-- 5. The gateway login without SET ROLE reads nothing
CREATE FUNCTION pg_temp.count_readable() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE r record; v_ok bigint := 0;
BEGIN
    FOR r IN SELECT tbl::text AS tbl FROM pg_temp.fx UNION ALL VALUES ('core.vendors'), ('core.users'), ('core.platform_admins'),
             ('catalog.tax_categories'), ('ingest.synonyms_value') LOOP
        BEGIN
            EXECUTE format('SELECT count(*) FROM %s', r.tbl);
            v_ok := v_ok + 1;
        EXCEPTION WHEN insufficient_privilege THEN NULL;
        END;
    END LOOP;
    RETURN v_ok;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.count_readable() TO PUBLIC;
SET LOCAL ROLE odyssey_gateway;
SELECT is(pg_temp.count_readable(), 0::bigint, 'gateway (no SET ROLE): not one table of the schema is readable');
SELECT throws_ok('SELECT count(*) FROM catalog.products', '42501', 'permission denied for schema catalog',
                 'gateway (no SET ROLE): products are denied at the schema');
SELECT throws_ok('SELECT count(*) FROM health.customer_health_profiles', '42501', 'permission denied for schema health',
                 'gateway (no SET ROLE): health is denied at the schema');
SELECT throws_ok($$INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, location) VALUES (gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-00000000000a', 'gw', 'Name', 'gw@example.com', 30, '{}')$$,
                 '42501', 'permission denied for schema crm',
                 'gateway (no SET ROLE): cannot write customers');
RESET ROLE;

-- 6. The analyst: every vendor's catalog, nothing personal, no writes
SET LOCAL odyssey.vendor_id = '';
SET LOCAL ROLE odyssey_analyst;
SELECT is((SELECT count(DISTINCT vendor_id) FROM catalog.products
            WHERE vendor_id IN ('aaaaaaaa-0000-4000-8000-00000000000a', 'bbbbbbbb-0000-4000-8000-00000000000b')),
          2::bigint, 'analyst: reads products of all vendors, without a tenant');
SELECT is((SELECT count(DISTINCT vendor_id) FROM catalog.product_images
            WHERE vendor_id IN ('aaaaaaaa-0000-4000-8000-00000000000a', 'bbbbbbbb-0000-4000-8000-00000000000b')),
          2::bigint, 'analyst: reads product images of all vendors');
SELECT is((SELECT count(DISTINCT vendor_id) FROM ingest.ingestion_jobs
            WHERE vendor_id IN ('aaaaaaaa-0000-4000-8000-00000000000a', 'bbbbbbbb-0000-4000-8000-00000000000b')),
          2::bigint, 'analyst: reads ingestion jobs of all vendors');
SELECT ok((SELECT count(*) FROM core.vendors) >= 2, 'analyst: reads vendors');
SELECT throws_ok('SELECT * FROM crm.customers', '42501', 'permission denied for table customers', 'analyst: no customers');
SELECT throws_ok('SELECT * FROM crm.customer_consents', '42501', 'permission denied for table customer_consents', 'analyst: no consents');
SELECT throws_ok('SELECT * FROM health.customer_health_profiles', '42501', 'permission denied for table customer_health_profiles',
                 'analyst: no health profiles');
SELECT throws_ok('SELECT * FROM matching.matches_cache', '42501', 'permission denied for table matches_cache', 'analyst: no matches');
SELECT throws_ok('SELECT * FROM audit.audit_log', '42501', 'permission denied for table audit_log', 'analyst: no audit trail');
SELECT throws_ok('SELECT * FROM core.users', '42501', 'permission denied for table users', 'analyst: no users');
SELECT throws_ok('SELECT * FROM ingest.ingestion_job_errors', '42501', 'permission denied for table ingestion_job_errors',
                 'analyst: no job errors (they may carry customer data)');
SELECT throws_ok($$INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price) VALUES (gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-00000000000a', 'an', 'N', 'B', 'D', 1, 1)$$, '42501',
                 'permission denied for table products', 'analyst: cannot insert products');
SELECT throws_ok('UPDATE catalog.products SET name = ''x''', '42501', 'permission denied for table products', 'analyst: cannot update products');
SELECT throws_ok('DELETE FROM catalog.products', '42501', 'permission denied for table products', 'analyst: cannot delete products');
SELECT throws_ok('UPDATE core.vendors SET name = ''x''', '42501', 'permission denied for table vendors', 'analyst: cannot update vendors');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
