-- Deploy odyssey:functions/api_gateway to pg
-- requires: schema/gateway_ops
-- requires: policies/core
-- requires: policies/idempotency
-- What the gateway calls around each request's one api function:
--   api.rate_limit_take    (own statement, before the request transaction) shared fixed-window limits;
--                          break-glass audited here, committed even if the request then fails
--   api.resolve_principal  (first statement of the request transaction) vendor + role from user_links
--   api.idempotency_begin / api.idempotency_finish  the key row, in the write's own transaction
--   api.record_requests    latency samples (batched by the gateway)
--   api.replica_status     replication position and lag (run on the replica)
-- and the cursor helpers every list uses.
BEGIN;

CREATE OR REPLACE FUNCTION app.raise_problem(p_state text, p_message text, p_errors jsonb DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_errors IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = p_message;
    END IF;
    RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = p_message, DETAIL = p_errors::text;
END
$$;
COMMENT ON FUNCTION app.raise_problem(text, text, jsonb) IS 'Raises an API error: SQLSTATE OD4xx, message = detail, DETAIL = JSON array of field errors.';

CREATE OR REPLACE FUNCTION app.cursor_encode(p_position jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT pg_catalog.translate(pg_catalog.encode(pg_catalog.convert_to(p_position::text, 'UTF8'), 'base64'), E'+/=\n', '-_') $$;
COMMENT ON FUNCTION app.cursor_encode(jsonb) IS 'Opaque, URL-safe pagination cursor from a keyset position.';

CREATE OR REPLACE FUNCTION app.cursor_decode(p_cursor text)
RETURNS jsonb
-- PARALLEL UNSAFE: its exception block starts a subtransaction, which a parallel query cannot.
LANGUAGE plpgsql IMMUTABLE PARALLEL UNSAFE
AS $$
DECLARE
    v_b64 text;
    v_pos jsonb;
BEGIN
    IF p_cursor IS NULL OR p_cursor = '' THEN
        RETURN NULL;
    END IF;
    v_b64 := pg_catalog.translate(p_cursor, '-_', '+/');
    v_b64 := v_b64 || pg_catalog.repeat('=', (4 - pg_catalog.length(v_b64) % 4) % 4);
    v_pos := pg_catalog.convert_from(pg_catalog.decode(v_b64, 'base64'), 'UTF8')::jsonb;
    IF pg_catalog.jsonb_typeof(v_pos) <> 'object' THEN
        RAISE EXCEPTION 'not an object';
    END IF;
    RETURN v_pos;
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION USING ERRCODE = 'OD400', MESSAGE = 'invalid cursor',
          DETAIL = '[{"field": "cursor", "code": "invalid", "message": "not a cursor returned by this API"}]';
END
$$;
COMMENT ON FUNCTION app.cursor_decode(text) IS 'Keyset position of a cursor made by app.cursor_encode; OD400 when malformed.';

CREATE OR REPLACE FUNCTION app.page_limit(p_limit integer)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    IF p_limit IS NULL THEN
        RETURN 50;
    END IF;
    IF p_limit < 1 OR p_limit > 200 THEN
        RAISE EXCEPTION USING ERRCODE = 'OD422', MESSAGE = 'limit must be between 1 and 200',
              DETAIL = '[{"field": "limit", "code": "out_of_range", "message": "1 <= limit <= 200"}]';
    END IF;
    RETURN p_limit;
END
$$;
COMMENT ON FUNCTION app.page_limit(integer) IS 'Validated page size: default 50, at most 200.';

-- Resolution of a caller to (vendor, role). Sets odyssey.user_id / odyssey.vendor_id as it goes,
-- transaction-locally, because the tables it reads are row-level secured for the owner too.
CREATE OR REPLACE FUNCTION app.resolve_link(p_user_id text, p_vendor_id uuid,
                                            OUT vendor_id uuid, OUT app_role text, OUT is_superadmin boolean)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_links  integer;
    v_status core.vendor_status;
BEGIN
    IF p_user_id IS NULL OR p_user_id = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'OD401', MESSAGE = 'no authenticated user';
    END IF;
    PERFORM pg_catalog.set_config('odyssey.user_id', p_user_id, true);
    is_superadmin := EXISTS (SELECT FROM core.platform_admins a WHERE a.user_id = p_user_id);
    IF is_superadmin THEN
        app_role := 'superadmin';
        vendor_id := p_vendor_id;
    ELSIF p_vendor_id IS NOT NULL THEN
        SELECT l.vendor_id, l.role::text INTO vendor_id, app_role
          FROM core.user_links l
         WHERE l.user_id = p_user_id AND l.vendor_id = p_vendor_id AND l.status = 'active';
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'OD403', MESSAGE = 'you have no active membership in the vendor given by X-Vendor-Id';
        END IF;
    ELSE
        SELECT pg_catalog.count(*) INTO v_links
          FROM core.user_links l WHERE l.user_id = p_user_id AND l.status = 'active';
        IF v_links = 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'OD403', MESSAGE = 'you have no active vendor membership';
        ELSIF v_links > 1 THEN
            RAISE EXCEPTION USING ERRCODE = 'OD403', MESSAGE = 'you belong to several vendors: choose one with the X-Vendor-Id header';
        END IF;
        SELECT l.vendor_id, l.role::text INTO vendor_id, app_role
          FROM core.user_links l WHERE l.user_id = p_user_id AND l.status = 'active';
    END IF;
    IF vendor_id IS NOT NULL THEN
        PERFORM pg_catalog.set_config('odyssey.vendor_id', vendor_id::text, true);
        SELECT v.status INTO v_status FROM core.vendors v WHERE v.id = vendor_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'OD403', MESSAGE = 'unknown vendor';
        ELSIF v_status <> 'active' AND NOT is_superadmin THEN
            RAISE EXCEPTION USING ERRCODE = 'OD403', MESSAGE = pg_catalog.format('vendor is %s', v_status);
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION app.resolve_link(text, uuid) IS 'The vendor and app role of a user (from user_links / platform_admins); OD403 when there is no usable membership.';

CREATE OR REPLACE FUNCTION app.set_request_context(p_user_id text, p_vendor_id uuid, p_role text, p_request_id text,
                                                   p_ip text, p_ua text, p_justification text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    -- Transaction-local, read back through app.current_user_id(), app.current_vendor_id(),
    -- app.request_id(), audit.client_ip() ...; NULL is stored as '' (unset).
    SELECT pg_catalog.set_config('odyssey.user_id', coalesce(p_user_id, ''), true),
           pg_catalog.set_config('odyssey.vendor_id', coalesce(p_vendor_id::text, ''), true),
           pg_catalog.set_config('odyssey.role', coalesce(p_role, ''), true),
           pg_catalog.set_config('odyssey.request_id', coalesce(p_request_id, ''), true),
           pg_catalog.set_config('odyssey.ip', coalesce(p_ip, ''), true),
           pg_catalog.set_config('odyssey.ua', coalesce(pg_catalog.left(p_ua, 500), ''), true),
           pg_catalog.set_config('odyssey.justification', coalesce(pg_catalog.left(p_justification, 1000), ''), true)
$$;
COMMENT ON FUNCTION app.set_request_context(text, uuid, text, text, text, text, text) IS
  'Sets the request context (odyssey.user_id, vendor_id, role, request_id, ip, ua, justification), transaction-local.';

CREATE OR REPLACE FUNCTION api.resolve_principal(p_user_id text, p_vendor_id uuid, p_justification text,
                                                 p_request_id text DEFAULT NULL, p_ip text DEFAULT NULL,
                                                 p_ua text DEFAULT NULL)
RETURNS TABLE (db_role text, vendor_id uuid, app_role text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_link record;
BEGIN
    SELECT * INTO v_link FROM app.resolve_link(p_user_id, p_vendor_id);
    -- The whole request context, transaction-local; the caller adds set_config('role', db_role, true)
    -- in the same statement (a definer-rights function may not switch roles itself).
    PERFORM app.set_request_context(p_user_id, v_link.vendor_id, v_link.app_role, p_request_id, p_ip, p_ua, p_justification);
    IF v_link.is_superadmin AND v_link.vendor_id IS NOT NULL THEN
        IF coalesce(pg_catalog.btrim(p_justification), '') = '' THEN
            RAISE EXCEPTION USING ERRCODE = 'OD403',
                  MESSAGE = 'a superadmin acts inside a vendor only with an X-Justification header (break-glass)';
        END IF;
        -- Admission (api.rate_limit_take) has recorded this request's break-glass in its own,
        -- committed statement, so a request that fails and rolls back stays audited. A caller
        -- that skipped admission is recorded here, in the request's transaction.
        IF p_request_id IS NULL OR NOT EXISTS (
               SELECT FROM audit.audit_log a
                WHERE a.actor_user_id = p_user_id AND a.timestamp > pg_catalog.now() - interval '10 minutes'
                  AND a.action = 'break_glass' AND a.request_id = p_request_id AND a.vendor_id = v_link.vendor_id) THEN
            PERFORM audit.record('break_glass', 'core.vendors', v_link.vendor_id::text, v_link.vendor_id, NULL,
                                 pg_catalog.jsonb_build_object('justification', p_justification, 'request_id', p_request_id));
        END IF;
    END IF;
    db_role := 'odyssey_' || v_link.app_role;
    vendor_id := v_link.vendor_id;
    app_role := v_link.app_role;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION api.resolve_principal(text, uuid, text, text, text, text) IS
  'Resolves the caller (JWT user, X-Vendor-Id, X-Justification) to the SQL role, vendor and app role of the request and sets the request context; break-glass is audited (by admission, else here). OD403 when not allowed.';

-- Admission gained p_justification (break-glass is recorded here, durably, before the request runs).
DROP FUNCTION IF EXISTS api.rate_limit_take(text, uuid, boolean, text, text, text);
CREATE OR REPLACE FUNCTION api.rate_limit_take(p_user_id text, p_vendor_id uuid, p_ingest boolean DEFAULT false,
                                               p_request_id text DEFAULT NULL, p_ip text DEFAULT NULL,
                                               p_ua text DEFAULT NULL, p_justification text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_link      record;
    v_settings  jsonb := '{}';
    v_window    timestamptz := pg_catalog.date_trunc('minute', pg_catalog.now());
    v_reset     integer := 60 - pg_catalog.floor(extract(epoch FROM pg_catalog.now() - v_window))::integer;
    v_bucket    record;
    v_hits      integer;
    v_worst     jsonb;
    v_remaining integer;
BEGIN
    BEGIN
        SELECT * INTO v_link FROM app.resolve_link(p_user_id, p_vendor_id);
        IF v_link.is_superadmin AND v_link.vendor_id IS NOT NULL
           AND coalesce(pg_catalog.btrim(p_justification), '') = '' THEN
            RAISE EXCEPTION USING ERRCODE = 'OD403',
                  MESSAGE = 'a superadmin acts inside a vendor only with an X-Justification header (break-glass)';
        END IF;
    EXCEPTION WHEN SQLSTATE 'OD403' THEN
        -- A refused authorization is audited too, in this statement's own (committed) transaction.
        PERFORM app.set_request_context(p_user_id, NULL, NULL, p_request_id, p_ip, p_ua, NULL);
        -- Not audit.record(): its RETURNING needs the row to be readable in the request's vendor,
        -- and a refused request has none.
        INSERT INTO audit.audit_log (actor_user_id, actor_role, vendor_id, action, entity, entity_id,
                                     before, after, ip, ua, justification, request_id, db_role)
        VALUES (p_user_id, NULL, p_vendor_id, 'authz_denied', 'core.user_links', p_user_id, NULL,
                pg_catalog.jsonb_build_object('reason', SQLERRM, 'requested_vendor', p_vendor_id),
                audit.client_ip(), app.setting('odyssey.ua'), NULL, app.request_id(), session_user);
        RETURN pg_catalog.jsonb_build_object('allowed', false, 'denied', true, 'detail', SQLERRM);
    END;
    IF v_link.is_superadmin AND v_link.vendor_id IS NOT NULL THEN
        -- Break-glass: recorded now, committed with this statement (durably: synchronous commit
        -- stays on), before the request's own transaction, which may fail and roll back.
        PERFORM app.set_request_context(p_user_id, v_link.vendor_id, 'superadmin', p_request_id, p_ip, p_ua, p_justification);
        PERFORM audit.record('break_glass', 'core.vendors', v_link.vendor_id::text, v_link.vendor_id, NULL,
                             pg_catalog.jsonb_build_object('justification', p_justification, 'request_id', p_request_id));
    ELSE
        -- Counters need no durable commit: a crash forgets at most the last milliseconds of counts.
        PERFORM pg_catalog.set_config('synchronous_commit', 'off', true);
    END IF;
    IF v_link.vendor_id IS NOT NULL THEN
        SELECT coalesce(v.settings_json -> 'rate_limits', '{}') INTO v_settings
          FROM core.vendors v WHERE v.id = v_link.vendor_id;
    END IF;
    FOR v_bucket IN
        SELECT b.scope, b.key, b.lim FROM (VALUES
            ('user', 'u:' || p_user_id, coalesce((v_settings ->> 'user_rpm')::integer, 60)),
            ('vendor', 'v:' || v_link.vendor_id::text, coalesce((v_settings ->> 'vendor_rpm')::integer, 600)),
            ('ingest', CASE WHEN p_ingest THEN 'i:' || v_link.vendor_id::text END,
                       coalesce((v_settings ->> 'ingest_rpm')::integer, 6))) AS b (scope, key, lim)
         WHERE b.key IS NOT NULL
    LOOP
        INSERT INTO ops.rate_limit_counters AS c (bucket, window_start, hits)
        VALUES (v_bucket.key, v_window, 1)
        ON CONFLICT (bucket, window_start) DO UPDATE SET hits = c.hits + 1
        RETURNING c.hits INTO v_hits;
        v_remaining := greatest(v_bucket.lim - v_hits, 0);
        -- Report the most constraining bucket: an exceeded one first, then the fewest remaining.
        IF v_worst IS NULL
           OR (v_hits > v_bucket.lim AND NOT (v_worst ->> 'exceeded')::boolean)
           OR ((v_hits > v_bucket.lim) = (v_worst ->> 'exceeded')::boolean
               AND v_remaining < (v_worst ->> 'remaining')::integer) THEN
            v_worst := pg_catalog.jsonb_build_object('scope', v_bucket.scope, 'limit', v_bucket.lim,
                                                     'remaining', v_remaining, 'exceeded', v_hits > v_bucket.lim);
        END IF;
    END LOOP;
    IF pg_catalog.random() < 0.01 THEN
        DELETE FROM ops.rate_limit_counters WHERE window_start < v_window - interval '2 minutes';
    END IF;
    RETURN v_worst || pg_catalog.jsonb_build_object('allowed', NOT (v_worst ->> 'exceeded')::boolean,
                                                    'reset', v_reset, 'window', 60,
                                                    'vendor_id', v_link.vendor_id, 'app_role', v_link.app_role);
END
$$;
COMMENT ON FUNCTION api.rate_limit_take(text, uuid, boolean, text, text, text, text) IS
  'Admission of a request (own statement, before its transaction): resolves the caller (a refusal is audited as authz_denied and returned as {denied, detail}; a superadmin inside a vendor needs a justification, and the break-glass is audited here, committed even if the request then fails) and counts one request against the caller''s per-user, per-vendor (and per-vendor ingest) one-minute windows; returns the most constraining {scope, limit, remaining, reset, allowed}. Limits: 60/600/6 rpm unless the vendor''s settings_json.rate_limits overrides them.';

CREATE OR REPLACE FUNCTION api.idempotency_begin(p_key text, p_method text, p_path text, p_request_hash text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.current_vendor_id();
    v_user   text := app.current_user_id();
    v_row    record;
BEGIN
    IF p_key IS NULL OR pg_catalog.length(p_key) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION USING ERRCODE = 'OD400', MESSAGE = 'Idempotency-Key must be 1 to 255 characters',
              DETAIL = '[{"field": "Idempotency-Key", "code": "invalid", "message": "1 to 255 characters"}]';
    END IF;
    -- A concurrent request with the same key holds this lock until its transaction ends.
    IF NOT pg_catalog.pg_try_advisory_xact_lock(
            pg_catalog.hashtextextended(coalesce(v_vendor::text, 'platform:' || v_user) || '/' || p_key, 7)) THEN
        RAISE EXCEPTION USING ERRCODE = 'OD409', MESSAGE = 'a request with this Idempotency-Key is still in progress';
    END IF;
    IF v_vendor IS NOT NULL THEN
        SELECT k.method, k.path, k.request_hash, k.status, k.response_body, k.expires_at INTO v_row
          FROM ops.idempotency_keys k WHERE k.vendor_id = v_vendor AND k.key = p_key;
    ELSE
        SELECT k.method, k.path, k.request_hash, k.status, k.response_body, k.expires_at INTO v_row
          FROM ops.platform_idempotency_keys k WHERE k.user_id = v_user AND k.key = p_key;
    END IF;
    IF FOUND AND v_row.expires_at > pg_catalog.now() THEN
        IF v_row.method <> p_method OR v_row.path <> p_path OR v_row.request_hash <> p_request_hash THEN
            RAISE EXCEPTION USING ERRCODE = 'OD422',
                  MESSAGE = 'this Idempotency-Key was already used with a different request';
        END IF;
        IF v_row.status IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'OD409', MESSAGE = 'a request with this Idempotency-Key is still in progress';
        END IF;
        RETURN pg_catalog.jsonb_build_object('status', v_row.status, 'body', v_row.response_body);
    END IF;
    IF v_vendor IS NOT NULL THEN
        INSERT INTO ops.idempotency_keys AS k (key, vendor_id, user_id, method, path, request_hash)
        VALUES (p_key, v_vendor, v_user, p_method, p_path, p_request_hash)
        ON CONFLICT (vendor_id, key) DO UPDATE
           SET user_id = EXCLUDED.user_id, method = EXCLUDED.method, path = EXCLUDED.path,
               request_hash = EXCLUDED.request_hash, response_hash = NULL, status = NULL,
               response_body = NULL, created_at = pg_catalog.now(),
               expires_at = pg_catalog.now() + interval '24 hours';
    ELSE
        INSERT INTO ops.platform_idempotency_keys AS k (key, user_id, method, path, request_hash)
        VALUES (p_key, v_user, p_method, p_path, p_request_hash)
        ON CONFLICT (user_id, key) DO UPDATE
           SET method = EXCLUDED.method, path = EXCLUDED.path,
               request_hash = EXCLUDED.request_hash, response_hash = NULL, status = NULL,
               response_body = NULL, created_at = pg_catalog.now(),
               expires_at = pg_catalog.now() + interval '24 hours';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION api.idempotency_begin(text, text, text, text) IS
  'First step of a write carrying Idempotency-Key, in its transaction: NULL = go on (key row inserted); {status, body} = replay; OD409 while the first request runs; OD422 when the key was used for another request. Keys live 24 h.';

CREATE OR REPLACE FUNCTION api.idempotency_finish(p_key text, p_status integer, p_body jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    IF app.current_vendor_id() IS NOT NULL THEN
        UPDATE ops.idempotency_keys
           SET status = p_status, response_body = p_body, response_hash = pg_catalog.md5(p_body::text)
         WHERE vendor_id = app.current_vendor_id() AND key = p_key;
    ELSE
        UPDATE ops.platform_idempotency_keys
           SET status = p_status, response_body = p_body, response_hash = pg_catalog.md5(p_body::text)
         WHERE user_id = app.current_user_id() AND key = p_key;
    END IF;
END
$$;
COMMENT ON FUNCTION api.idempotency_finish(text, integer, jsonb) IS 'Stores the response of a write under its Idempotency-Key, in the write''s transaction.';

CREATE OR REPLACE FUNCTION api.record_requests(p_samples jsonb)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_count integer;
BEGIN
    INSERT INTO ops.request_metrics (at, vendor_id, route, method, status, latency_ms)
    SELECT coalesce(s.at, pg_catalog.now()), s.vendor_id, s.route, s.method, s.status, s.latency_ms
      FROM pg_catalog.jsonb_to_recordset(p_samples)
           AS s (at timestamptz, vendor_id uuid, route text, method text, status integer, latency_ms double precision);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF pg_catalog.random() < 0.01 THEN
        DELETE FROM ops.request_metrics WHERE at < pg_catalog.now() - interval '7 days';
    END IF;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION api.record_requests(jsonb) IS 'Appends request latency samples [{at, vendor_id, route, method, status, latency_ms}] (written by the gateway in batches).';

CREATE OR REPLACE FUNCTION api.replica_status()
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    -- On a standby: caught up (receive = replay) means lag 0, whatever the age of the last
    -- transaction; otherwise the time since the last replayed commit.
    SELECT CASE WHEN NOT pg_catalog.pg_is_in_recovery() THEN
                pg_catalog.jsonb_build_object('in_recovery', false, 'lag_seconds', 0,
                                              'lsn', pg_catalog.pg_current_wal_lsn()::text)
           ELSE pg_catalog.jsonb_build_object(
                'in_recovery', true,
                'lsn', pg_catalog.pg_last_wal_replay_lsn()::text,
                'lag_seconds',
                CASE WHEN pg_catalog.pg_last_wal_receive_lsn() = pg_catalog.pg_last_wal_replay_lsn() THEN 0
                     ELSE coalesce(extract(epoch FROM pg_catalog.now() - pg_catalog.pg_last_xact_replay_timestamp()), 0)
                END)
           END
$$;
COMMENT ON FUNCTION api.replica_status() IS 'Replication position and lag of this server: {in_recovery, lsn, lag_seconds}; an idle caught-up standby has lag 0.';

CREATE OR REPLACE FUNCTION api.replica_has_replayed(p_lsn pg_lsn)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT NOT pg_catalog.pg_is_in_recovery() OR pg_catalog.pg_last_wal_replay_lsn() >= p_lsn
$$;
COMMENT ON FUNCTION api.replica_has_replayed(pg_lsn) IS 'True when this server has replayed the WAL up to p_lsn (read-your-writes token).';

GRANT EXECUTE ON FUNCTION app.raise_problem(text, text, jsonb), app.cursor_encode(jsonb),
      app.cursor_decode(text), app.page_limit(integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION api.resolve_principal(text, uuid, text, text, text, text),
      api.rate_limit_take(text, uuid, boolean, text, text, text, text), api.record_requests(jsonb) TO odyssey_gateway;
-- Replication position only: harmless, and called in the request's first statement whatever the role.
GRANT EXECUTE ON FUNCTION api.replica_status(), api.replica_has_replayed(pg_lsn) TO PUBLIC;
GRANT EXECUTE ON FUNCTION api.idempotency_begin(text, text, text, text), api.idempotency_finish(text, integer, jsonb)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;

COMMIT;
