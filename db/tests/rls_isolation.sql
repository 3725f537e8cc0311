-- Tenant isolation, attacked table by table and role by role. Every table of the domain schemas
-- with a vendor_id column must have RLS enabled AND forced (the list is compared with pg_catalog,
-- so a new vendor table fails here until it is covered). Then, for every such table and each of
-- odyssey_vendor_admin, _operator, _viewer, odyssey_superadmin (inside vendor B) and
-- odyssey_worker, acting in vendor B while the same rows exist in vendor A:
--   1. A's rows are invisible (B's own rows are visible)
--   2. inserting a row with vendor_id = A is rejected (new row violates row-level security)
--   3. moving one of B's rows to A (SET vendor_id = A) is rejected
--   4. UPDATE of A's rows affects 0 rows
--   5. DELETE of A's rows affects 0 rows
--   6. with odyssey.vendor_id unset, empty or malformed, nothing is visible
-- Where the role lacks the privilege, each of these must fail with "permission denied" instead.
-- By design superadmins manage memberships and read the audit trail of every vendor: those two
-- (role, table) pairs are asserted separately in rls_privileges.sql.
-- Finally every vendor's rows are counted again: nothing was added, moved or removed.
BEGIN;
SELECT plan(957);

\ir fixtures/tenants.psql

-- 0. Coverage
SELECT results_eq(
    $$ SELECT (n.nspname || '.' || c.relname) COLLATE "default" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('core', 'catalog', 'crm', 'health', 'matching', 'ingest', 'hooks', 'ops', 'audit')
          AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'vendor_id' AND NOT a.attisdropped)
        ORDER BY 1 $$,
    $$ SELECT tbl::text COLLATE "default" FROM pg_temp.fx ORDER BY 1 $$,
    'every table with a vendor_id column in the domain schemas is covered by this test');
SELECT is_empty(
    $$ SELECT c.oid::regclass::text FROM pg_class c JOIN pg_temp.fx f ON f.tbl = c.oid
        WHERE NOT (c.relrowsecurity AND c.relforcerowsecurity) $$,
    'RLS is enabled AND forced on every vendor table');
SELECT ok((SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'core.vendors'::regclass),
          'RLS is enabled and forced on core.vendors');
SELECT is_empty(
    $$ SELECT f.tbl::text FROM pg_temp.fx f
        WHERE NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = f.tbl
                           AND pg_get_expr(p.polqual, p.polrelid) LIKE '%vendor_id = ( SELECT app.current_vendor_id()%') $$,
    'every vendor table has a policy comparing vendor_id with the transaction''s vendor');
SELECT is_empty(
    $$ SELECT r.rolname FROM pg_roles r WHERE r.rolname LIKE 'odyssey\_%' AND r.rolname <> 'odyssey_owner'
          AND (has_schema_privilege(r.oid, 'partitions', 'USAGE') OR has_schema_privilege(r.oid, 'archive', 'USAGE')) $$,
    'no Odyssey role but the owner has USAGE on schemas partitions or archive');
SELECT is_empty(
    $$ SELECT r.rolname FROM pg_roles r WHERE r.rolname LIKE 'odyssey\_%' AND r.rolbypassrls $$,
    'no Odyssey role bypasses RLS');

-- The attack, run as the current role in vendor B against vendor A. Six tests per table.
CREATE FUNCTION pg_temp.attack(p_skip regclass[] DEFAULT '{}') RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    v_a constant uuid := 'aaaaaaaa-0000-4000-8000-00000000000a';
    v_b constant uuid := 'bbbbbbbb-0000-4000-8000-00000000000b';
    r record;
    v_who text := current_user;
    v_sel boolean; v_ins boolean; v_upd boolean; v_del boolean;
    v_n bigint; v_own bigint; v_other bigint; v_unset bigint[];
    v_setting text;
BEGIN
    PERFORM set_config('odyssey.vendor_id', v_b::text, true);
    FOR r IN SELECT f.tbl FROM pg_temp.fx f WHERE f.tbl <> ALL (p_skip) ORDER BY f.ord LOOP
        v_sel := has_table_privilege(r.tbl, 'SELECT');
        v_ins := has_table_privilege(r.tbl, 'INSERT');
        v_upd := v_sel AND has_table_privilege(r.tbl, 'UPDATE');
        v_del := v_sel AND has_table_privilege(r.tbl, 'DELETE');
        -- 1. visibility
        IF v_sel THEN
            EXECUTE format('SELECT count(*) FILTER (WHERE vendor_id = %L), count(*) FILTER (WHERE vendor_id = %L) FROM %s', v_b, v_a, r.tbl)
               INTO v_own, v_other;
            RETURN NEXT ok(v_own > 0 AND v_other = 0,
                           format('%s on %s: sees its own vendor''s rows (%s) and none of another''s (%s)', v_who, r.tbl, v_own, v_other));
        ELSE
            RETURN NEXT throws_like(format('SELECT count(*) FROM %s', r.tbl), 'permission denied%',
                                    format('%s on %s: SELECT is denied', v_who, r.tbl));
        END IF;
        -- 2. insert into another vendor
        RETURN NEXT throws_like(pg_temp.fx_sql(r.tbl, v_a, 'attack'),
                                CASE WHEN v_ins THEN 'new row violates row-level security policy%' ELSE 'permission denied%' END,
                                format('%s on %s: inserting a row of another vendor is %s', v_who, r.tbl,
                                       CASE WHEN v_ins THEN 'rejected by RLS' ELSE 'denied' END));
        -- 3. move own rows to another vendor
        RETURN NEXT throws_like(format('UPDATE %s SET vendor_id = %L WHERE vendor_id = %L', r.tbl, v_a, v_b),
                                CASE WHEN v_upd THEN 'new row violates row-level security policy%' ELSE 'permission denied%' END,
                                format('%s on %s: moving a row to another vendor is %s', v_who, r.tbl,
                                       CASE WHEN v_upd THEN 'rejected by RLS' ELSE 'denied' END));
        -- 4. update another vendor's rows
        IF v_upd THEN
            BEGIN
                EXECUTE format('WITH u AS (UPDATE %s SET vendor_id = vendor_id WHERE vendor_id = %L RETURNING 1) SELECT count(*) FROM u', r.tbl, v_a) INTO v_n;
            EXCEPTION WHEN OTHERS THEN v_n := -1;  -- e.g. the rows were visible and the check refused them
            END;
            RETURN NEXT is(v_n, 0::bigint, format('%s on %s: UPDATE of another vendor''s rows affects 0 rows', v_who, r.tbl));
        ELSE
            RETURN NEXT throws_like(format('UPDATE %s SET vendor_id = vendor_id WHERE vendor_id = %L', r.tbl, v_a), 'permission denied%',
                                    format('%s on %s: UPDATE is denied', v_who, r.tbl));
        END IF;
        -- 5. delete another vendor's rows
        IF v_del THEN
            BEGIN
                -- (a subtransaction: if the rows were visible, the deletion is undone after counting)
                EXECUTE format('WITH d AS (DELETE FROM %s WHERE vendor_id = %L RETURNING 1) SELECT count(*) FROM d', r.tbl, v_a) INTO v_n;
                IF v_n > 0 THEN RAISE EXCEPTION USING ERRCODE = 'OD999', MESSAGE = v_n::text; END IF;
            EXCEPTION WHEN SQLSTATE 'OD999' THEN v_n := SQLERRM::bigint;
                      WHEN OTHERS THEN v_n := -1;
            END;
            RETURN NEXT is(v_n, 0::bigint, format('%s on %s: DELETE of another vendor''s rows affects 0 rows', v_who, r.tbl));
        ELSE
            RETURN NEXT throws_like(format('DELETE FROM %s WHERE vendor_id = %L', r.tbl, v_a), 'permission denied%',
                                    format('%s on %s: DELETE is denied', v_who, r.tbl));
        END IF;
        -- 6. no tenant, an empty one, a malformed one
        IF v_sel THEN
            v_unset := '{}';
            FOREACH v_setting IN ARRAY ARRAY[NULL, '', 'abc', 'aaaaaaaa-0000-4000-8000-00000000000a;'] LOOP
                IF v_setting IS NULL THEN
                    EXECUTE 'RESET odyssey.vendor_id';
                ELSE
                    PERFORM set_config('odyssey.vendor_id', v_setting, true);
                END IF;
                EXECUTE format('SELECT count(*) FROM %s WHERE vendor_id IS NOT NULL', r.tbl) INTO v_n;
                v_unset := v_unset || v_n;
            END LOOP;
            PERFORM set_config('odyssey.vendor_id', v_b::text, true);
            RETURN NEXT is(v_unset, '{0,0,0,0}'::bigint[],
                           format('%s on %s: unset, empty or malformed odyssey.vendor_id sees no vendor row', v_who, r.tbl));
        ELSE
            PERFORM set_config('odyssey.vendor_id', '', true);
            RETURN NEXT throws_like(format('SELECT count(*) FROM %s', r.tbl), 'permission denied%',
                                    format('%s on %s: SELECT stays denied without a tenant', v_who, r.tbl));
            PERFORM set_config('odyssey.vendor_id', v_b::text, true);
        END IF;
    END LOOP;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.attack(regclass[]) TO PUBLIC;

SET LOCAL ROLE odyssey_vendor_admin;
SELECT * FROM pg_temp.attack();
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_operator;
SELECT * FROM pg_temp.attack();
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT * FROM pg_temp.attack();
RESET ROLE;
SET LOCAL ROLE odyssey_superadmin;
SELECT * FROM pg_temp.attack(ARRAY['core.user_links', 'audit.audit_log']::regclass[]);
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
SELECT * FROM pg_temp.attack();
RESET ROLE;

-- Nothing was added, moved or removed in any vendor.
SET LOCAL odyssey.vendor_id = '';
SELECT results_eq(
    $$ SELECT tbl, vendor, n FROM pg_temp.vendor_counts() WHERE tbl <> 'audit.audit_log' ORDER BY 1, 2 $$,
    $$ SELECT tbl, vendor, n FROM counts_before WHERE tbl <> 'audit.audit_log' ORDER BY 1, 2 $$,
    'after every attack, each vendor holds exactly the rows it was seeded with');
SELECT results_eq(
    $$ SELECT tbl, vendor, n FROM pg_temp.vendor_counts() WHERE tbl = 'audit.audit_log' ORDER BY 1, 2 $$,
    $$ SELECT tbl, vendor, n FROM counts_before WHERE tbl = 'audit.audit_log' ORDER BY 1, 2 $$,
    'and the audit trail of each vendor is unchanged (failed writes leave no trace)');
SELECT ok((SELECT bool_and(n > 0) AND count(*) = 2 * (SELECT count(*) FROM pg_temp.fx) FROM counts_before),
          'fixture: both vendors had rows in every table');

SELECT * FROM finish();
ROLLBACK;
