-- The gateway's stored functions: principal resolution (roles from memberships, X-Vendor-Id,
-- break-glass), admission (rate limits, audited refusals), idempotency keys, cursors.
BEGIN;
SELECT plan(27);

INSERT INTO core.vendors (id, name) VALUES ('a0000000-0000-0000-0000-00000000000a', 'tap gw A'),
                                          ('b0000000-0000-0000-0000-00000000000b', 'tap gw B');
INSERT INTO core.users (id, email) VALUES ('tap-admin', 'tap-admin@x.io'), ('tap-both', 'tap-both@x.io'),
                                          ('tap-root', 'tap-root@x.io'), ('tap-none', 'tap-none@x.io');
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-0000-0000-00000000000a', true);
INSERT INTO core.user_links (user_id, vendor_id, role) VALUES ('tap-admin', 'a0000000-0000-0000-0000-00000000000a', 'vendor_admin'),
                                                           ('tap-both', 'a0000000-0000-0000-0000-00000000000a', 'vendor_viewer');
SELECT set_config('odyssey.vendor_id', 'b0000000-0000-0000-0000-00000000000b', true);
INSERT INTO core.user_links (user_id, vendor_id, role) VALUES ('tap-both', 'b0000000-0000-0000-0000-00000000000b', 'vendor_operator');
INSERT INTO core.platform_admins (user_id, reason) VALUES ('tap-root', 'tap');
SELECT set_config('odyssey.vendor_id', '', true);

SET LOCAL ROLE odyssey_gateway;

SELECT results_eq($$ SELECT db_role, vendor_id, app_role FROM api.resolve_principal('tap-admin', NULL, NULL) $$,
                  $$ VALUES ('odyssey_vendor_admin', 'a0000000-0000-0000-0000-00000000000a'::uuid, 'vendor_admin') $$,
                  'a single membership resolves without X-Vendor-Id');
SELECT is(app.current_vendor_id(), 'a0000000-0000-0000-0000-00000000000a'::uuid, 'and sets the request''s vendor');
SELECT throws_ok($$ SELECT * FROM api.resolve_principal('tap-both', NULL, NULL) $$, 'OD403', NULL,
                 'several memberships and no X-Vendor-Id: refused');
SELECT results_eq($$ SELECT db_role FROM api.resolve_principal('tap-both', 'b0000000-0000-0000-0000-00000000000b', NULL) $$,
                  $$ VALUES ('odyssey_vendor_operator') $$, 'X-Vendor-Id picks the membership and its role');
SELECT throws_ok($$ SELECT * FROM api.resolve_principal('tap-admin', 'b0000000-0000-0000-0000-00000000000b', NULL) $$, 'OD403', NULL,
                 'X-Vendor-Id of a vendor without membership: refused');
SELECT throws_ok($$ SELECT * FROM api.resolve_principal('tap-none', NULL, NULL) $$, 'OD403', NULL, 'no membership: refused');
SELECT results_eq($$ SELECT db_role, vendor_id FROM api.resolve_principal('tap-root', NULL, NULL) $$,
                  $$ VALUES ('odyssey_superadmin', NULL::uuid) $$, 'a superadmin outside any vendor');
SELECT throws_ok($$ SELECT * FROM api.resolve_principal('tap-root', 'a0000000-0000-0000-0000-00000000000a', NULL) $$, 'OD403', NULL,
                 'break-glass without justification: refused');
SELECT results_eq($$ SELECT db_role, vendor_id FROM api.resolve_principal('tap-root', 'a0000000-0000-0000-0000-00000000000a', 'INC-1', 'req-tap') $$,
                  $$ VALUES ('odyssey_superadmin', 'a0000000-0000-0000-0000-00000000000a'::uuid) $$, 'break-glass with justification');
RESET ROLE;
SELECT results_eq($$ SELECT actor_user_id, justification, request_id FROM audit.audit_log WHERE action = 'break_glass' AND request_id = 'req-tap' $$,
                  $$ VALUES ('tap-root', 'INC-1', 'req-tap') $$, 'break-glass is audited');

SET LOCAL ROLE odyssey_gateway;
SELECT is((api.rate_limit_take('tap-admin', NULL, false) ->> 'limit')::int, 60, 'default per-user limit: 60 per minute');
SELECT is((api.rate_limit_take('tap-admin', NULL, true) ->> 'limit')::int, 6, 'default per-vendor ingest limit: 6 per minute');
SELECT is(api.rate_limit_take('tap-none', 'b0000000-0000-0000-0000-00000000000b', false, 'req-denied') ->> 'denied', 'true',
          'admission refuses a user without membership');
RESET ROLE;
SELECT results_eq($$ SELECT actor_user_id, vendor_id FROM audit.audit_log WHERE action = 'authz_denied' AND request_id = 'req-denied' $$,
                  $$ VALUES ('tap-none', 'b0000000-0000-0000-0000-00000000000b'::uuid) $$, 'and the refusal is audited');

-- Break-glass at admission: recorded by rate_limit_take's own statement (committed before the
-- request runs, so a failing request cannot roll it back); the request transaction adds no second record.
SET LOCAL ROLE odyssey_gateway;
SELECT is(api.rate_limit_take('tap-root', 'a0000000-0000-0000-0000-00000000000a', false, 'req-bg-none') ->> 'denied', 'true',
          'admission refuses a superadmin inside a vendor without justification');
SELECT is(api.rate_limit_take('tap-root', 'a0000000-0000-0000-0000-00000000000a', false, 'req-bg', '10.0.0.9', 'tap-ua', 'INC-2') ->> 'allowed',
          'true', 'admission lets a justified superadmin in');
SELECT results_eq($$ SELECT db_role FROM api.resolve_principal('tap-root', 'a0000000-0000-0000-0000-00000000000a', 'INC-2', 'req-bg') $$,
                  $$ VALUES ('odyssey_superadmin') $$, 'and the request resolves');
RESET ROLE;
SELECT results_eq($$ SELECT actor_user_id, actor_role, vendor_id, justification, host(ip), ua FROM audit.audit_log
                      WHERE action = 'break_glass' AND request_id = 'req-bg' $$,
                  $$ VALUES ('tap-root', 'superadmin', 'a0000000-0000-0000-0000-00000000000a'::uuid, 'INC-2', '10.0.0.9', 'tap-ua') $$,
                  'break-glass is recorded once, by admission, with who, why and from where');
SELECT results_eq($$ SELECT actor_user_id, vendor_id FROM audit.audit_log WHERE action = 'authz_denied' AND request_id = 'req-bg-none' $$,
                  $$ VALUES ('tap-root', 'a0000000-0000-0000-0000-00000000000a'::uuid) $$,
                  'an unjustified break-glass attempt is audited as a refusal');

-- Idempotency, as the request's role in vendor A.
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-0000-0000-00000000000a', true), set_config('odyssey.user_id', 'tap-admin', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT is(api.idempotency_begin('k1', 'POST', '/api/v1/products', 'h1'), NULL, 'a new key: go on');
SELECT lives_ok($$ SELECT api.idempotency_finish('k1', 200, '{"inserted": 1}') $$, 'the response is stored with the key');
SELECT is(api.idempotency_begin('k1', 'POST', '/api/v1/products', 'h1'), '{"status": 200, "body": {"inserted": 1}}'::jsonb,
          'the same request again: replay');
SELECT throws_ok($$ SELECT api.idempotency_begin('k1', 'POST', '/api/v1/products', 'other') $$, 'OD422', NULL,
                 'the key with another payload: 422');
RESET ROLE;
SELECT set_config('odyssey.vendor_id', 'b0000000-0000-0000-0000-00000000000b', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT is(api.idempotency_begin('k1', 'POST', '/api/v1/products', 'h1'), NULL, 'keys are per vendor');
RESET ROLE;

SELECT is(app.cursor_decode(app.cursor_encode('{"s": "x", "i": 42}')), '{"s": "x", "i": 42}'::jsonb, 'cursors round-trip');
SELECT throws_ok($$ SELECT app.cursor_decode('!!not a cursor') $$, 'OD400', NULL, 'a forged cursor is a 400');
SELECT throws_ok($$ SELECT app.page_limit(201) $$, 'OD422', NULL, 'limit <= 200');

SELECT * FROM finish();
ROLLBACK;
