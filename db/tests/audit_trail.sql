-- The audit trail: health-profile writes (statement triggers, one row per changed row, bulk
-- included), memberships, platform admins, product and customer hard and soft deletes, each with
-- the request context (actor, role, vendor, request id, ip, user agent, before/after). The trail
-- is append-only for every role, the owner included, and a vendor admin reads only its vendor's.
BEGIN;
SELECT plan(31);

\ir fixtures/tenants.psql
-- More customers in A for the bulk tests.
SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a';
INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, location)
SELECT crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'bulk-' || g), 'aaaaaaaa-0000-4000-8000-00000000000a',
       'bulk-' || g, 'Bulk ' || g, 'bulk' || g || '@example.com', 30, '{}'
  FROM generate_series(1, 25) g;
INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, location)
VALUES (crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'c-one'), 'aaaaaaaa-0000-4000-8000-00000000000a',
        'c-one', 'One', 'one@example.com', 30, '{}');
-- The rows appended since the last pg_temp.set_mark().
CREATE TEMP TABLE mark (id bigint);
INSERT INTO mark VALUES (0);
CREATE FUNCTION pg_temp.set_mark() RETURNS void LANGUAGE sql AS $$ UPDATE pg_temp.mark SET id = (SELECT max(id) FROM audit.audit_log) $$;
CREATE FUNCTION pg_temp.new_trail() RETURNS SETOF audit.audit_log LANGUAGE sql AS $$
    SELECT * FROM audit.audit_log WHERE id > (SELECT id FROM pg_temp.mark) ORDER BY id
$$;
SELECT pg_temp.set_mark() \g /dev/null
CREATE FUNCTION pg_temp.rows_affected(p_sql text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_n bigint; BEGIN EXECUTE p_sql; GET DIAGNOSTICS v_n = ROW_COUNT; RETURN v_n; END $$;
GRANT EXECUTE ON FUNCTION pg_temp.rows_affected(text) TO PUBLIC;

-- 1. A health-profile insert, update, delete
SELECT set_config('odyssey.user_id', 'user-seed', true), set_config('odyssey.request_id', 'req-0001', true),
       set_config('odyssey.ip', '203.0.113.7', true), set_config('odyssey.ua', 'odyssey-test/1.0', true) \g /dev/null
SET LOCAL ROLE odyssey_vendor_admin;
INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level)
VALUES ('aaaaaaaa-0000-4000-8000-00000000000a', crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'c-one'), 180, 80, 40, 'male', 'moderate');
RESET ROLE;
SELECT results_eq(
    $$ SELECT action, entity, entity_id, vendor_id, actor_user_id, actor_role, request_id, ip, ua, before IS NULL,
              (after ->> 'weight_kg')::numeric FROM pg_temp.new_trail() $$,
    format($$ VALUES ('insert'::text, 'health.customer_health_profiles'::text, %L::text, 'aaaaaaaa-0000-4000-8000-00000000000a'::uuid,
                      'user-seed'::text, 'vendor_admin'::text, 'req-0001'::text, '203.0.113.7'::inet, 'odyssey-test/1.0'::text, true, 80::numeric) $$,
           crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'c-one')),
    'a health-profile INSERT writes one audit row with actor, role, vendor, request id, ip, user agent and the new row');
SELECT pg_temp.set_mark() \g /dev/null

SELECT set_config('odyssey.request_id', 'req-0002', true), set_config('odyssey.user_id', 'user-attack', true) \g /dev/null
SET LOCAL ROLE odyssey_vendor_operator;
UPDATE health.customer_health_profiles SET weight_kg = 78.5
 WHERE customer_id = crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'c-one');
RESET ROLE;
SELECT results_eq(
    $$ SELECT action, actor_user_id, actor_role, request_id, (before ->> 'weight_kg')::numeric, (after ->> 'weight_kg')::numeric,
              (after ->> 'version')::int FROM pg_temp.new_trail() $$,
    $$ VALUES ('update'::text, 'user-attack'::text, 'vendor_operator'::text, 'req-0002'::text, 80::numeric, 78.5::numeric, 2) $$,
    'a health-profile UPDATE writes one audit row with before and after, actor and role from SET ROLE');
SELECT pg_temp.set_mark() \g /dev/null

SELECT set_config('odyssey.request_id', 'req-0003', true) \g /dev/null
SET LOCAL ROLE odyssey_worker;
DELETE FROM health.customer_health_profiles WHERE customer_id = crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'c-one');
RESET ROLE;
SELECT results_eq(
    $$ SELECT action, entity_id, request_id, (before ->> 'weight_kg')::numeric, after IS NULL, db_role FROM pg_temp.new_trail() $$,
    format($$ VALUES ('delete'::text, %L::text, 'req-0003'::text, 78.5::numeric, true, %L::text) $$,
           crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'c-one'), session_user),
    'a health-profile DELETE writes one audit row with the deleted row');
SELECT pg_temp.set_mark() \g /dev/null

-- 2. Bulk: one audit row per profile
SELECT set_config('odyssey.request_id', 'req-bulk', true) \g /dev/null
SET LOCAL ROLE odyssey_worker;
INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level)
SELECT 'aaaaaaaa-0000-4000-8000-00000000000a', crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'bulk-' || g), 160 + g, 60 + g, 30, 'female', 'light'
  FROM generate_series(1, 25) g;
RESET ROLE;
SELECT results_eq(
    $$ SELECT count(*), count(DISTINCT entity_id), min(action), max(action), min(request_id), bool_and(after IS NOT NULL)
         FROM pg_temp.new_trail() $$,
    $$ VALUES (25::bigint, 25::bigint, 'insert'::text, 'insert'::text, 'req-bulk'::text, true) $$,
    'a bulk INSERT ... SELECT of 25 profiles writes 25 audit rows, one per profile');
SELECT pg_temp.set_mark() \g /dev/null
SET LOCAL ROLE odyssey_worker;
UPDATE health.customer_health_profiles SET activity_level = 'very' WHERE customer_id IN
    (SELECT crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'bulk-' || g) FROM generate_series(1, 10) g);
RESET ROLE;
SELECT results_eq(
    $$ SELECT count(*), bool_and(before ->> 'activity_level' = 'light' AND after ->> 'activity_level' = 'very'
                                 AND before ->> 'customer_id' = after ->> 'customer_id')
         FROM pg_temp.new_trail() $$,
    $$ VALUES (10::bigint, true) $$, 'a bulk UPDATE of 10 profiles writes 10 rows pairing each before with its after');
SELECT pg_temp.set_mark() \g /dev/null

-- 3. Memberships and platform admins
SELECT set_config('odyssey.request_id', 'req-links', true), set_config('odyssey.user_id', 'user-seed', true) \g /dev/null
SET LOCAL ROLE odyssey_vendor_admin;
INSERT INTO core.user_links (user_id, vendor_id, role) VALUES ('user-attack', 'aaaaaaaa-0000-4000-8000-00000000000a', 'vendor_viewer');
UPDATE core.user_links SET role = 'vendor_operator' WHERE user_id = 'user-attack';
DELETE FROM core.user_links WHERE user_id = 'user-attack';
RESET ROLE;
SELECT results_eq(
    $$ SELECT action, entity, vendor_id, actor_role, before ->> 'role', after ->> 'role' FROM pg_temp.new_trail() $$,
    $$ VALUES ('insert'::text, 'core.user_links'::text, 'aaaaaaaa-0000-4000-8000-00000000000a'::uuid, 'vendor_admin'::text, NULL::text, 'vendor_viewer'::text),
              ('update', 'core.user_links', 'aaaaaaaa-0000-4000-8000-00000000000a', 'vendor_admin', 'vendor_viewer', 'vendor_operator'),
              ('delete', 'core.user_links', 'aaaaaaaa-0000-4000-8000-00000000000a', 'vendor_admin', 'vendor_operator', NULL) $$,
    'membership insert, role change and removal are audited with before/after');
SELECT pg_temp.set_mark() \g /dev/null
SET LOCAL ROLE odyssey_superadmin;
INSERT INTO core.platform_admins (user_id, reason) VALUES ('user-attack', 'on-call');
DELETE FROM core.platform_admins WHERE user_id = 'user-attack';
RESET ROLE;
SELECT results_eq(
    $$ SELECT action, entity, entity_id, actor_role, coalesce(after, before) ->> 'reason' FROM pg_temp.new_trail() $$,
    $$ VALUES ('insert'::text, 'core.platform_admins'::text, 'user-attack'::text, 'superadmin'::text, 'on-call'::text),
              ('delete', 'core.platform_admins', 'user-attack', 'superadmin', 'on-call') $$,
    'granting and revoking platform admin is audited');
SELECT pg_temp.set_mark() \g /dev/null

-- 4. Product and customer deletes, hard and soft
SELECT set_config('odyssey.request_id', 'req-del', true) \g /dev/null
SET LOCAL ROLE odyssey_vendor_operator;
UPDATE catalog.products SET soft_deleted_at = now() WHERE external_id = 'p-seed';
UPDATE catalog.products SET name = 'Renamed only' WHERE external_id = 'p-seed';
UPDATE catalog.products SET soft_deleted_at = NULL WHERE external_id = 'p-seed';
UPDATE crm.customers SET soft_deleted_at = now() WHERE external_id = 'bulk-25';
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
DELETE FROM catalog.products WHERE external_id = 'p-seed';
DELETE FROM crm.customers WHERE external_id = 'bulk-24';
RESET ROLE;
SELECT results_eq(
    $$ SELECT action, entity, entity_id FROM pg_temp.new_trail() WHERE entity IN ('catalog.products', 'crm.customers') $$,
    format($$ VALUES ('soft_delete'::text, 'catalog.products'::text, %L::text), ('restore', 'catalog.products', %1$L),
                     ('soft_delete', 'crm.customers', %2$L), ('delete', 'catalog.products', %1$L), ('delete', 'crm.customers', %3$L) $$,
           catalog.product_id('aaaaaaaa-0000-4000-8000-00000000000a', 'p-seed'),
           crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'bulk-25'),
           crm.customer_id('aaaaaaaa-0000-4000-8000-00000000000a', 'bulk-24')),
    'soft delete, restore and hard delete of products and customers are audited (a plain update is not)');
SELECT is((SELECT count(*) FROM pg_temp.new_trail() WHERE entity = 'health.customer_health_profiles' AND action = 'delete'),
          1::bigint, 'the health profile removed with its customer (cascade) is audited too');
SELECT ok((SELECT bool_and(request_id = 'req-del' AND vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a') FROM pg_temp.new_trail()),
          'with the request id and the vendor');

-- 5. Append-only, for everyone
SELECT throws_ok('UPDATE audit.audit_log SET action = ''forged''', '42501', 'audit_log is append-only: UPDATE is not allowed',
                 'UPDATE of the trail is refused even to a superuser');
SELECT throws_ok('DELETE FROM audit.audit_log', '42501', 'audit_log is append-only: DELETE is not allowed',
                 'DELETE from the trail is refused even to a superuser');
SELECT throws_ok('TRUNCATE audit.audit_log', '42501', 'audit_log is append-only: TRUNCATE is not allowed',
                 'TRUNCATE of the trail is refused even to a superuser');
SELECT count(*) AS trail_size FROM audit.audit_log \gset
SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a';
SET LOCAL ROLE odyssey_owner;
SELECT throws_ok('TRUNCATE audit.audit_log', '42501', 'audit_log is append-only: TRUNCATE is not allowed',
                 'the owner cannot TRUNCATE the trail');
SELECT is(pg_temp.rows_affected($$UPDATE audit.audit_log SET action = 'forged'$$), 0::bigint,
          'the owner''s UPDATE changes nothing (no UPDATE policy under forced RLS; the trigger would refuse it anyway)');
SELECT is(pg_temp.rows_affected($$DELETE FROM audit.audit_log$$), 0::bigint,
          'the owner''s DELETE removes nothing');
RESET ROLE;
SELECT is((SELECT count(*) FROM audit.audit_log), :trail_size::bigint, 'the trail still holds every row');
SELECT is((SELECT count(*) FROM audit.audit_log WHERE action = 'forged'), 0::bigint, 'and none was altered');
SELECT is_empty(
    $$ SELECT r.rolname || ':' || p.priv FROM pg_roles r CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p(priv)
        WHERE r.rolname LIKE 'odyssey\_%' AND r.rolname <> 'odyssey_owner' AND has_table_privilege(r.oid, 'audit.audit_log', p.priv) $$,
    'no Odyssey role holds INSERT, UPDATE, DELETE or TRUNCATE on the trail');
SELECT is_empty(
    $$ SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit.audit_log'::regclass AND NOT tgisinternal AND tgenabled <> 'O' $$,
    'the append-only triggers are enabled');
SET LOCAL ROLE odyssey_vendor_admin;
SELECT throws_ok('UPDATE audit.audit_log SET action = ''forged''', '42501', 'permission denied for table audit_log',
                 'vendor_admin has no UPDATE privilege on the trail');
SELECT throws_ok('DELETE FROM audit.audit_log', '42501', 'permission denied for table audit_log',
                 'vendor_admin has no DELETE privilege on the trail');
SELECT throws_ok($$INSERT INTO audit.audit_log (vendor_id, action, entity) VALUES ('aaaaaaaa-0000-4000-8000-00000000000a', 'forged', 'x')$$,
                 '42501', 'permission denied for table audit_log', 'vendor_admin cannot INSERT into the trail directly');
RESET ROLE;

-- 6. Reading the trail
SET LOCAL odyssey.vendor_id = 'bbbbbbbb-0000-4000-8000-00000000000b';
SET LOCAL ROLE odyssey_vendor_admin;
SELECT ok((SELECT count(*) > 0 AND bool_and(vendor_id = 'bbbbbbbb-0000-4000-8000-00000000000b') FROM audit.audit_log),
          'vendor_admin of B reads only B''s audit rows');
SELECT is((SELECT count(*) FROM audit.audit_log WHERE vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a'), 0::bigint,
          'and none of A''s');
SELECT is((SELECT count(*) FROM audit.audit_log WHERE vendor_id IS NULL), 0::bigint,
          'nor platform-level rows (e.g. platform admin grants)');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_operator;
SELECT throws_ok('SELECT count(*) FROM audit.audit_log', '42501', 'permission denied for table audit_log', 'the operator cannot read the trail');
RESET ROLE;

-- 7. audit.record: events that are not row changes
SELECT set_config('odyssey.request_id', 'req-rec', true), set_config('odyssey.justification', 'ticket 42', true) \g /dev/null
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT ok(audit.record('health.read', 'health.customer_health_profiles', 'some-id') > 0, 'a viewer can record an event through audit.record');
RESET ROLE;
SELECT results_eq(
    $$ SELECT action, vendor_id, actor_role, request_id, justification FROM audit.audit_log WHERE request_id = 'req-rec' $$,
    $$ VALUES ('health.read'::text, 'bbbbbbbb-0000-4000-8000-00000000000b'::uuid, 'vendor_viewer'::text, 'req-rec'::text, 'ticket 42'::text) $$,
    'audit.record fills vendor, role, request id and justification from the context');
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT throws_ok($$SELECT audit.record('forged.event', 'x', 'y', 'aaaaaaaa-0000-4000-8000-00000000000a')$$, '42501', NULL,
                 'a vendor role cannot write an event into another vendor''s trail');
RESET ROLE;
SET LOCAL ROLE odyssey_superadmin;
SELECT ok(audit.record('breakglass.open', 'core.vendors', 'aaaaaaaa-0000-4000-8000-00000000000a', 'aaaaaaaa-0000-4000-8000-00000000000a') > 0,
          'a superadmin may record an event for any vendor');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
