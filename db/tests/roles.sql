-- Cluster roles and the request-context helpers: attributes and memberships of the Odyssey roles,
-- app.current_app_role() following SET ROLE, app.current_vendor_id() failing closed.
BEGIN;
SELECT plan(41);

SELECT has_role(r, r || ' exists')
  FROM unnest(ARRAY['odyssey_owner', 'odyssey_gateway', 'odyssey_superadmin', 'odyssey_vendor_admin',
                    'odyssey_vendor_operator', 'odyssey_vendor_viewer', 'odyssey_worker', 'odyssey_analyst']) r;
SELECT is_empty($$ SELECT rolname FROM pg_roles WHERE rolname LIKE 'odyssey\_%' AND (rolsuper OR rolbypassrls OR rolcreatedb OR rolreplication) $$,
                'no Odyssey role (the owner included) is superuser, bypasses RLS, creates databases or replicates');
SELECT is_empty($$ SELECT rolname FROM pg_roles WHERE rolname LIKE 'odyssey\_%' AND rolname <> 'odyssey_owner' AND rolcreaterole $$,
                'only the owner (which deploys the roles) may create roles');
SELECT results_eq(
    $$ SELECT rolcanlogin, rolinherit FROM pg_roles WHERE rolname = 'odyssey_gateway' $$,
    $$ VALUES (true, false) $$, 'the gateway logs in and does NOT inherit its roles'' privileges (NOINHERIT)');
SELECT results_eq(
    $$ SELECT b.rolname::text COLLATE "default" FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles b ON b.oid = m.roleid
        WHERE r.rolname = 'odyssey_gateway' ORDER BY 1 $$,
    $$ VALUES ('odyssey_superadmin'), ('odyssey_vendor_admin'), ('odyssey_vendor_operator'), ('odyssey_vendor_viewer') $$,
    'the gateway is a member of exactly the four RBAC roles');
SELECT ok(NOT pg_has_role('odyssey_gateway', 'odyssey_owner', 'MEMBER') AND NOT pg_has_role('odyssey_gateway', 'odyssey_worker', 'MEMBER')
          AND NOT pg_has_role('odyssey_gateway', 'odyssey_analyst', 'MEMBER'),
          'the gateway cannot become the owner, the worker or the analyst');
SELECT ok(NOT pg_has_role('odyssey_gateway', 'odyssey_vendor_admin', 'USAGE'), 'the gateway has no privileges of the RBAC roles before SET ROLE');
SELECT is_empty($$ SELECT rolname FROM pg_roles WHERE rolname IN ('odyssey_superadmin', 'odyssey_vendor_admin', 'odyssey_vendor_operator', 'odyssey_vendor_viewer')
                    AND (rolcanlogin OR rolinherit) $$, 'the RBAC roles cannot log in and are NOINHERIT');
SELECT results_eq($$ SELECT rolname::text COLLATE "default", rolcanlogin FROM pg_roles WHERE rolname IN ('odyssey_worker', 'odyssey_analyst') ORDER BY 1 $$,
                  $$ VALUES ('odyssey_analyst', true), ('odyssey_worker', true) $$, 'the worker and the analyst log in');
SELECT is_empty($$ SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member IN ('odyssey_worker'::regrole, 'odyssey_analyst'::regrole) $$,
                'the worker and the analyst are members of no role');
SELECT ok((SELECT setconfig @> ARRAY['default_transaction_read_only=on'] FROM pg_db_role_setting
            WHERE setrole = 'odyssey_analyst'::regrole AND setdatabase = 0), 'the analyst''s transactions are read-only by default');
SELECT ok((SELECT bool_or(s LIKE 'statement_timeout=%') FROM pg_db_role_setting, unnest(setconfig) s
            WHERE setrole = 'odyssey_analyst'::regrole), 'the analyst has a statement timeout');
SELECT ok((SELECT bool_or(s LIKE 'statement_timeout=%') FROM pg_db_role_setting, unnest(setconfig) s
            WHERE setrole = 'odyssey_gateway'::regrole), 'the gateway has a statement timeout');
SELECT is((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ('core', 'catalog', 'crm', 'health', 'matching', 'ingest', 'hooks', 'ops', 'audit', 'app')
              AND c.relkind IN ('r', 'p') AND c.relowner <> 'odyssey_owner'::regrole), 0::bigint,
          'the owner owns every table of the domain schemas');

-- app.current_app_role() follows SET ROLE
SET LOCAL ROLE odyssey_superadmin;      SELECT is(app.current_app_role(), 'superadmin', 'SET ROLE odyssey_superadmin -> superadmin');
SELECT ok(app.is_superadmin(), 'and is_superadmin()');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_admin;    SELECT is(app.current_app_role(), 'vendor_admin', 'SET ROLE odyssey_vendor_admin -> vendor_admin');
SELECT ok(NOT app.is_superadmin(), 'and not is_superadmin()');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_operator; SELECT is(app.current_app_role(), 'vendor_operator', 'SET ROLE odyssey_vendor_operator -> vendor_operator'); RESET ROLE;
SET LOCAL ROLE odyssey_vendor_viewer;   SELECT is(app.current_app_role(), 'vendor_viewer', 'SET ROLE odyssey_vendor_viewer -> vendor_viewer'); RESET ROLE;
SET LOCAL odyssey.role = 'superadmin';
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT is(app.current_app_role(), 'vendor_viewer', 'the SQL role wins over an odyssey.role setting');
SELECT ok(NOT app.is_superadmin(), 'so odyssey.role cannot make a vendor role superadmin');
RESET ROLE;
SET LOCAL odyssey.role = '';
SELECT is(app.current_app_role(), NULL, 'no SET ROLE and no odyssey.role: no app role');
SET LOCAL ROLE odyssey_gateway;
SELECT is(app.current_app_role(), NULL, 'the gateway before SET ROLE has no app role');
RESET ROLE;

-- app.current_vendor_id() fails closed
SELECT is(app.current_vendor_id(), NULL, 'current_vendor_id() is NULL when odyssey.vendor_id was never set');
SET LOCAL odyssey.vendor_id = '';
SELECT is(app.current_vendor_id(), NULL, 'NULL when empty');
SET LOCAL odyssey.vendor_id = 'abc';
SELECT is(app.current_vendor_id(), NULL, 'NULL when malformed (abc)');
SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a; DROP TABLE x';
SELECT is(app.current_vendor_id(), NULL, 'NULL when a uuid is followed by anything');
SET LOCAL odyssey.vendor_id = 'aaaaaaaa00004000800000000000000a';
SELECT is(app.current_vendor_id(), NULL, 'NULL for a uuid without hyphens (only the canonical form counts)');
SET LOCAL odyssey.vendor_id = ' aaaaaaaa-0000-4000-8000-00000000000a';
SELECT is(app.current_vendor_id(), NULL, 'NULL with surrounding blanks');
SET LOCAL odyssey.vendor_id = 'AAAAAAAA-0000-4000-8000-00000000000A';
SELECT is(app.current_vendor_id(), 'aaaaaaaa-0000-4000-8000-00000000000a'::uuid, 'an upper-case uuid is the same vendor');
SET LOCAL odyssey.vendor_id = 'aaaaaaaa-0000-4000-8000-00000000000a';
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT is(app.current_vendor_id(), 'aaaaaaaa-0000-4000-8000-00000000000a'::uuid, 'a valid uuid is the vendor, for any role');
RESET ROLE;
SET LOCAL odyssey.user_id = '';
SELECT is(app.current_user_id(), NULL, 'current_user_id() is NULL when empty');
SET LOCAL odyssey.user_id = 'user-42';
SELECT is(app.current_user_id(), 'user-42', 'current_user_id() reads odyssey.user_id');

SELECT * FROM finish();
ROLLBACK;
