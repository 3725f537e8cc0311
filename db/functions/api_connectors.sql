-- Deploy odyssey:functions/api_connectors to pg
-- requires: functions/connector_sync
-- requires: policies/connector_sync
-- requires: functions/queue
-- requires: functions/api_gateway
-- requires: functions/api_products
-- requires: functions/audit_trail
-- requires: functions/ingest_uploads
-- requires: functions/webhooks
-- Connectors API (PRD §5.5): a vendor's external API, one per source name.
--   PUT    /api/v1/connectors/{source}        create or replace: base_url, mode, auth_type (+ auth_header,
--                                             token_url), rate_limit_rpm, paging, enabled, and the
--                                             credential in "secret" (write-only: never answered; absent
--                                             keeps the stored one, null removes it); audited
--   GET    /api/v1/connectors[/{source}]      the configuration, the cursor row (last sync, watermark,
--                                             status) and the latest test; never the credential
--   DELETE /api/v1/connectors/{source}        with its credential and cursor (a running sync is
--                                             canceled); audited
--   POST   /api/v1/connectors/{source}/test   queues one call of the first page (worker: connector.test);
--                                             the outcome lands in last_test
--   POST   /api/v1/connectors/{source}/sync   an ingestion job of the connector's mode (params.source
--                                             'api'), queued for the worker (ingest.api); 409 while one runs
-- secrets_ref is Odyssey's name for where the credential is kept ('ingest.connector_secrets:<id>');
-- a PUT may repeat it but not point it elsewhere (a reference to another vendor's secret would send
-- that secret to this vendor's URL).
BEGIN;

CREATE OR REPLACE FUNCTION ingest.connector_json(p_connector ingest.connectors)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT (pg_catalog.to_jsonb(p_connector) - 'paging' - 'auth_header')
        || pg_catalog.jsonb_build_object(
               'paging', ingest.connector_paging(p_connector.paging),
               'auth_header', CASE WHEN p_connector.auth_type = 'api_key' THEN coalesce(p_connector.auth_header, 'X-Api-Key') END,
               'has_secret', p_connector.secrets_ref IS NOT NULL,
               'cursor', (SELECT pg_catalog.jsonb_build_object('watermark', k.cursor, 'synced_at', k.synced_at, 'status', k.status,
                                                               'job_id', k.job_id, 'last_error', k.last_error)
                            FROM ingest.connector_cursors k
                           WHERE k.vendor_id = p_connector.vendor_id AND k.source = p_connector.source))
$$;
COMMENT ON FUNCTION ingest.connector_json(ingest.connectors) IS
  'The API form of a connector: its configuration (paging with defaults), has_secret, the cursor row (watermark, synced_at, status, last job, last error) and last_test; never the credential.';

CREATE OR REPLACE FUNCTION ingest.connector_for(p_source text, p_lock boolean DEFAULT false)
RETURNS ingest.connectors
LANGUAGE plpgsql
AS $$
DECLARE
    v_connector ingest.connectors;
BEGIN
    IF p_lock THEN
        SELECT c.* INTO v_connector FROM ingest.connectors c
         WHERE c.vendor_id = app.require_vendor() AND c.source = p_source FOR UPDATE;
    ELSE
        SELECT c.* INTO v_connector FROM ingest.connectors c WHERE c.vendor_id = app.require_vendor() AND c.source = p_source;
    END IF;
    IF NOT FOUND THEN
        PERFORM app.raise_problem('OD404', 'connector not found');
    END IF;
    RETURN v_connector;
END
$$;
COMMENT ON FUNCTION ingest.connector_for(text, boolean) IS 'The current vendor''s connector of that source (row-locked when asked); OD404 otherwise.';

CREATE OR REPLACE FUNCTION ingest.connector_errors(p_source text, p_body jsonb, p_has_secret boolean)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    WITH b AS (SELECT p_body AS b, coalesce(p_body ->> 'auth_type', 'none') AS auth,
                      ingest.connector_paging(CASE WHEN pg_catalog.jsonb_typeof(p_body -> 'paging') = 'object' THEN p_body -> 'paging' END) AS pg)
    SELECT CASE WHEN p_body IS NULL OR pg_catalog.jsonb_typeof(p_body) <> 'object' THEN app.field_errors_of_patch(p_body, '{}')
      ELSE nullif(coalesce(app.field_errors_of_patch(p_body, ARRAY['base_url', 'mode', 'auth_type', 'auth_header', 'token_url',
                                                                  'rate_limit_rpm', 'paging', 'enabled', 'secret', 'secrets_ref',
                                                                  'id', 'vendor_id', 'source', 'created_at', 'updated_at',
                                                                  'has_secret', 'cursor', 'last_test']), '[]')
               || coalesce((SELECT pg_catalog.jsonb_agg(e) FROM b, LATERAL (
        SELECT '{"field": "source", "code": "invalid", "message": "lower-case letters and digits, words joined by - or _, at most 64 characters"}'::jsonb AS e
         WHERE NOT (p_source ~ '^[a-z0-9]+([_-][a-z0-9]+)*$' AND length(p_source) <= 64)
        UNION ALL
        SELECT '{"field": "base_url", "code": "required", "message": "is required"}'
         WHERE b.b -> 'base_url' IS NULL OR b.b -> 'base_url' = 'null'
        UNION ALL
        SELECT '{"field": "base_url", "code": "invalid", "message": "an https:// URL (http:// only to localhost, 127.0.0.1 or [::1]) without credentials or fragment, at most 2000 characters"}'
         WHERE b.b ? 'base_url' AND b.b -> 'base_url' <> 'null'
           AND NOT (pg_catalog.jsonb_typeof(b.b -> 'base_url') = 'string' AND app.outbound_url_ok(b.b ->> 'base_url'))
        UNION ALL
        SELECT '{"field": "mode", "code": "invalid", "message": "products or customers"}'
         WHERE b.b ? 'mode' AND b.b -> 'mode' NOT IN ('"products"', '"customers"')
        UNION ALL
        SELECT '{"field": "auth_type", "code": "invalid", "message": "none, api_key, bearer, basic or oauth2"}'
         WHERE b.b ? 'auth_type' AND b.b -> 'auth_type' NOT IN ('"none"', '"api_key"', '"bearer"', '"basic"', '"oauth2"')
        UNION ALL
        SELECT '{"field": "auth_header", "code": "invalid", "message": "an HTTP header name (letters, digits, -; at most 64), only with auth_type api_key"}'
         WHERE b.b ? 'auth_header' AND b.b -> 'auth_header' <> 'null'
           AND NOT (b.auth = 'api_key' AND coalesce(b.b ->> 'auth_header', '') ~ '^[A-Za-z][A-Za-z0-9-]{0,63}$'
                    AND lower(b.b ->> 'auth_header') NOT IN ('host', 'content-length', 'transfer-encoding', 'connection', 'cookie'))
        UNION ALL
        SELECT '{"field": "token_url", "code": "required", "message": "the OAuth 2.0 token endpoint is required with auth_type oauth2"}'
         WHERE b.auth = 'oauth2' AND coalesce(b.b -> 'token_url', 'null') = 'null'
        UNION ALL
        SELECT '{"field": "token_url", "code": "invalid", "message": "an https:// URL (http:// only to localhost), only with auth_type oauth2"}'
         WHERE b.b ? 'token_url' AND b.b -> 'token_url' <> 'null'
           AND NOT (b.auth = 'oauth2' AND pg_catalog.jsonb_typeof(b.b -> 'token_url') = 'string' AND app.outbound_url_ok(b.b ->> 'token_url'))
        UNION ALL
        SELECT '{"field": "rate_limit_rpm", "code": "invalid", "message": "an integer from 1 to 100000 (requests per minute to the vendor''s API)"}'
         WHERE b.b ? 'rate_limit_rpm' AND NOT (pg_catalog.jsonb_typeof(b.b -> 'rate_limit_rpm') = 'number'
               AND (b.b ->> 'rate_limit_rpm') ~ '^[0-9]{1,6}$' AND (b.b ->> 'rate_limit_rpm')::int BETWEEN 1 AND 100000)
        UNION ALL
        SELECT '{"field": "enabled", "code": "invalid", "message": "true or false"}'
         WHERE b.b ? 'enabled' AND pg_catalog.jsonb_typeof(b.b -> 'enabled') <> 'boolean'
        UNION ALL
        SELECT '{"field": "secret", "code": "invalid", "message": "a string of 1 to 4096 characters (basic: user:password; oauth2: client_id:client_secret), or null to remove it"}'
         WHERE b.b ? 'secret' AND b.b -> 'secret' <> 'null'
           AND NOT (pg_catalog.jsonb_typeof(b.b -> 'secret') = 'string' AND length(b.b ->> 'secret') BETWEEN 1 AND 4096
                    AND (b.auth NOT IN ('basic', 'oauth2') OR position(':' IN b.b ->> 'secret') > 1))
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('field', 'secret', 'code', 'required',
                                             'message', 'a credential is required with auth_type ' || b.auth)
         WHERE b.auth <> 'none' AND b.auth IN ('api_key', 'bearer', 'basic', 'oauth2')
           AND (CASE WHEN b.b ? 'secret' THEN b.b -> 'secret' = 'null' ELSE NOT p_has_secret END)
        UNION ALL
        SELECT '{"field": "paging", "code": "invalid", "message": "an object"}'
         WHERE b.b ? 'paging' AND pg_catalog.jsonb_typeof(b.b -> 'paging') <> 'object'
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('field', 'paging.' || k, 'code', 'not_writable', 'message', 'is not a paging setting')
          FROM pg_catalog.jsonb_object_keys(CASE WHEN pg_catalog.jsonb_typeof(b.b -> 'paging') = 'object' THEN b.b -> 'paging' ELSE '{}' END) k
         WHERE k NOT IN ('items_path', 'next_cursor_path', 'total_path', 'cursor_param', 'limit_param', 'page_size', 'since_param', 'max_pages')
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('field', 'paging.' || k, 'code', 'invalid',
                                             'message', 'a dotted path of JSON keys ("data.items"), at most 200 characters')
          FROM unnest(ARRAY['items_path', 'next_cursor_path', 'total_path']) k
         WHERE NOT (pg_catalog.jsonb_typeof(b.pg -> k) = 'string' AND b.pg ->> k ~ '^([^.\s]+(\.[^.\s]+)*)?$' AND length(b.pg ->> k) <= 200)
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('field', 'paging.' || k, 'code', 'invalid',
                                             'message', 'a query parameter name (letters, digits, _ . [ ] -; at most 64)'
                                                        || CASE WHEN k IN ('since_param', 'limit_param') THEN ', or null' ELSE '' END)
          FROM unnest(ARRAY['cursor_param', 'limit_param', 'since_param']) k
         WHERE NOT (pg_catalog.jsonb_typeof(b.pg -> k) = 'string' AND b.pg ->> k ~ '^[A-Za-z_][A-Za-z0-9_.\[\]-]{0,63}$')
           AND NOT (k IN ('since_param', 'limit_param') AND pg_catalog.jsonb_typeof(b.pg -> k) = 'null')
        UNION ALL
        SELECT '{"field": "paging.page_size", "code": "invalid", "message": "an integer from 1 to 10000"}'
         WHERE NOT (pg_catalog.jsonb_typeof(b.pg -> 'page_size') = 'number' AND (b.pg ->> 'page_size') ~ '^[0-9]{1,5}$'
                    AND (b.pg ->> 'page_size')::int BETWEEN 1 AND 10000)
        UNION ALL
        SELECT '{"field": "paging.max_pages", "code": "invalid", "message": "an integer from 1 to 1000000"}'
         WHERE NOT (pg_catalog.jsonb_typeof(b.pg -> 'max_pages') = 'number' AND (b.pg ->> 'max_pages') ~ '^[0-9]{1,7}$'
                    AND (b.pg ->> 'max_pages')::int BETWEEN 1 AND 1000000)) x), '[]'),
             '[]') END
$$;
COMMENT ON FUNCTION ingest.connector_errors(text, jsonb, boolean) IS
  'Field errors of a connector PUT body (p_has_secret: a credential is stored already); NULL when none.';

CREATE OR REPLACE FUNCTION ingest.connector_secret_set(p_connector_id uuid, p_secret text)
RETURNS text
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
BEGIN
    -- Definer rights: only the owner writes connector_secrets; forced RLS and the connector's own
    -- vendor keep it inside the current tenant. p_secret NULL removes the credential.
    IF NOT EXISTS (SELECT FROM ingest.connectors c WHERE c.id = p_connector_id AND c.vendor_id = v_vendor) THEN
        PERFORM app.raise_problem('OD404', 'connector not found');
    END IF;
    IF p_secret IS NULL THEN
        DELETE FROM ingest.connector_secrets s WHERE s.connector_id = p_connector_id AND s.vendor_id = v_vendor;
        RETURN NULL;
    END IF;
    INSERT INTO ingest.connector_secrets AS s (connector_id, vendor_id, secret) VALUES (p_connector_id, v_vendor, p_secret)
    ON CONFLICT (connector_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = pg_catalog.now();
    RETURN 'ingest.connector_secrets:' || p_connector_id;
END
$$;
COMMENT ON FUNCTION ingest.connector_secret_set(uuid, text) IS
  'Stores (or with NULL removes) the credential of a connector of the current vendor where no role but the owner reads it; returns its secrets_ref.';

CREATE OR REPLACE FUNCTION api.connector_put(p_source text, p_body jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_vendor  uuid := app.require_vendor();
    v_before  ingest.connectors;
    v_after   ingest.connectors;
    v_errors  jsonb;
    v_ref     text;
BEGIN
    SELECT c.* INTO v_before FROM ingest.connectors c WHERE c.vendor_id = v_vendor AND c.source = p_source FOR UPDATE;
    v_errors := ingest.connector_errors(p_source, p_body, v_before.secrets_ref IS NOT NULL);
    IF v_errors IS NULL AND p_body ? 'secrets_ref' AND p_body -> 'secrets_ref' <> 'null'
       AND p_body ->> 'secrets_ref' IS DISTINCT FROM v_before.secrets_ref THEN
        v_errors := '[{"field": "secrets_ref", "code": "not_writable", "message": "Odyssey names where a credential is kept: send the credential itself in \"secret\""}]';
    END IF;
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the body has invalid fields', v_errors);
    END IF;
    -- PUT replaces the configuration: what the body leaves out takes its default; the credential
    -- stays unless "secret" says otherwise, and goes with auth_type none.
    INSERT INTO ingest.connectors AS c (vendor_id, source, base_url, mode, auth_type, auth_header, token_url, rate_limit_rpm,
                                        paging, enabled)
    VALUES (v_vendor, p_source, p_body ->> 'base_url', coalesce(p_body ->> 'mode', 'products')::ingest.mapping_mode,
            coalesce(p_body ->> 'auth_type', 'none')::ingest.auth_type, p_body ->> 'auth_header', p_body ->> 'token_url',
            coalesce((p_body ->> 'rate_limit_rpm')::int, 60),
            CASE WHEN pg_catalog.jsonb_typeof(p_body -> 'paging') = 'object' THEN p_body -> 'paging' ELSE '{}' END,
            coalesce((p_body ->> 'enabled')::boolean, true))
    ON CONFLICT (vendor_id, source) DO UPDATE
       SET base_url = EXCLUDED.base_url, mode = EXCLUDED.mode, auth_type = EXCLUDED.auth_type, auth_header = EXCLUDED.auth_header,
           token_url = EXCLUDED.token_url, rate_limit_rpm = EXCLUDED.rate_limit_rpm, paging = EXCLUDED.paging,
           enabled = EXCLUDED.enabled
    RETURNING c.* INTO v_after;
    v_ref := v_after.secrets_ref;
    IF v_after.auth_type = 'none' THEN
        v_ref := ingest.connector_secret_set(v_after.id, NULL);
    ELSIF p_body ? 'secret' THEN
        v_ref := ingest.connector_secret_set(v_after.id, p_body ->> 'secret');
    END IF;
    UPDATE ingest.connectors c SET secrets_ref = v_ref WHERE c.id = v_after.id RETURNING c.* INTO v_after;
    PERFORM audit.record(CASE WHEN v_before.id IS NULL THEN 'connector_create' ELSE 'connector_update' END, 'connector', p_source,
                         v_vendor, CASE WHEN v_before.id IS NOT NULL THEN ingest.connector_json(v_before) END,
                         ingest.connector_json(v_after) || pg_catalog.jsonb_build_object('secret_replaced', p_body ? 'secret'));
    RETURN ingest.connector_json(v_after);
END
$$;
COMMENT ON FUNCTION api.connector_put(text, jsonb) IS
  'PUT /api/v1/connectors/{source}: creates or replaces a connector of the vendor (the credential in "secret" is kept where only the owner reads it and is never answered); audited. OD422 with field errors.';

CREATE OR REPLACE FUNCTION api.connector_get(p_source text)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$ SELECT ingest.connector_json(c) FROM ingest.connector_for(p_source) c $$;
COMMENT ON FUNCTION api.connector_get(text) IS 'GET /api/v1/connectors/{source}: a connector of the vendor with its cursor row and latest test.';

CREATE OR REPLACE FUNCTION api.connector_list(p_cursor text DEFAULT NULL, p_limit integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_limit  integer := app.page_limit(p_limit);
    v_pos    jsonb := app.cursor_decode(p_cursor);
    v_items  jsonb;
    v_count  bigint;
BEGIN
    IF v_pos IS NOT NULL AND (v_pos ->> 's' IS DISTINCT FROM 'connectors' OR v_pos ->> 'k' IS NULL) THEN
        PERFORM app.raise_problem('OD400', 'invalid cursor',
            '[{"field": "cursor", "code": "invalid", "message": "not a cursor of this list"}]');
    END IF;
    SELECT coalesce(pg_catalog.jsonb_agg(ingest.connector_json(t.c) ORDER BY (t.c).source) FILTER (WHERE t.n <= v_limit), '[]'),
           pg_catalog.count(*)
      INTO v_items, v_count
      FROM (SELECT c, pg_catalog.row_number() OVER (ORDER BY c.source) AS n
              FROM ingest.connectors c
             WHERE c.vendor_id = v_vendor AND (v_pos IS NULL OR c.source > v_pos ->> 'k')
             ORDER BY c.source LIMIT v_limit + 1) t;
    RETURN pg_catalog.jsonb_build_object('items', v_items, 'limit', v_limit,
        'next_cursor', CASE WHEN v_count > v_limit
                            THEN app.cursor_encode(pg_catalog.jsonb_build_object('s', 'connectors', 'k', v_items -> (v_limit - 1) ->> 'source')) END);
END
$$;
COMMENT ON FUNCTION api.connector_list(text, integer) IS 'GET /api/v1/connectors: the vendor''s connectors by source name, keyset-paginated.';

CREATE OR REPLACE FUNCTION ingest.connector_active_job(p_connector ingest.connectors)
RETURNS ingest.ingestion_jobs
LANGUAGE sql STABLE
AS $$
    SELECT j.* FROM ingest.connector_cursors k
      JOIN ingest.ingestion_jobs j ON j.vendor_id = k.vendor_id AND j.id = k.job_id
     WHERE k.vendor_id = p_connector.vendor_id AND k.source = p_connector.source AND j.status IN ('queued', 'running')
$$;
COMMENT ON FUNCTION ingest.connector_active_job(ingest.connectors) IS 'The queued or running sync of a connector (its cursor row''s job), if any.';

CREATE OR REPLACE FUNCTION api.connector_delete(p_source text)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_connector ingest.connectors := ingest.connector_for(p_source, true);
    v_job       ingest.ingestion_jobs := ingest.connector_active_job(v_connector);
BEGIN
    IF v_job.id IS NOT NULL THEN
        PERFORM api.cancel_job(v_job.id);
    END IF;
    PERFORM ingest.connector_secret_set(v_connector.id, NULL);
    DELETE FROM ingest.connector_cursors k WHERE k.vendor_id = v_connector.vendor_id AND k.source = v_connector.source;
    DELETE FROM ingest.connectors c WHERE c.vendor_id = v_connector.vendor_id AND c.id = v_connector.id;
    PERFORM audit.record('connector_delete', 'connector', p_source, v_connector.vendor_id, ingest.connector_json(v_connector), NULL);
    RETURN pg_catalog.jsonb_build_object('deleted', true, 'source', p_source, 'canceled_job_id', v_job.id);
END
$$;
COMMENT ON FUNCTION api.connector_delete(text) IS
  'DELETE /api/v1/connectors/{source}: the connector, its credential and cursor row (a queued or running sync is canceled first); audited. Its jobs and kept pages stay.';

CREATE OR REPLACE FUNCTION api.connector_test(p_source text)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_connector ingest.connectors := ingest.connector_for(p_source, true);
    v_test      jsonb := pg_catalog.jsonb_build_object('id', pg_catalog.gen_random_uuid(), 'status', 'queued',
                                                       'requested_at', pg_catalog.now(), 'requested_by', app.current_user_id());
BEGIN
    UPDATE ingest.connectors c SET last_test = v_test WHERE c.id = v_connector.id;
    PERFORM queue.enqueue('connector.test', v_connector.vendor_id,
                          pg_catalog.jsonb_build_object('connector_id', v_connector.id, 'test_id', v_test ->> 'id'), 10);
    RETURN v_test || pg_catalog.jsonb_build_object('source', p_source,
                                                   'poll', '/api/v1/connectors/' || p_source);
END
$$;
COMMENT ON FUNCTION api.connector_test(text) IS
  'POST /api/v1/connectors/{source}/test: queues one call of the API''s first page (a worker makes it; the outcome replaces last_test, see GET /api/v1/connectors/{source}).';

CREATE OR REPLACE FUNCTION api.connector_sync(p_source text)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_connector ingest.connectors := ingest.connector_for(p_source);
    v_active    ingest.ingestion_jobs;
    v_since     text;
    v_job       ingest.ingestion_jobs;
    v_qid       bigint;
BEGIN
    -- One sync per connector at a time: two requests at once are serialized here (operators may
    -- not lock the connector row), and the second finds the first's job.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('ingest.connector_sync'),
                                             pg_catalog.hashtext(v_connector.id::text));
    v_active := ingest.connector_active_job(v_connector);
    IF NOT v_connector.enabled THEN
        PERFORM app.raise_problem('OD409', 'connector ' || p_source || ' is disabled');
    END IF;
    IF v_active.id IS NOT NULL THEN
        PERFORM app.raise_problem('OD409', 'a sync of connector ' || p_source || ' is already ' || v_active.status::text
                                           || ' (job ' || v_active.id || ')');
    END IF;
    IF ingest.connector_paging(v_connector.paging) ->> 'since_param' IS NOT NULL THEN
        SELECT k.cursor INTO v_since FROM ingest.connector_cursors k
         WHERE k.vendor_id = v_connector.vendor_id AND k.source = v_connector.source;
    END IF;
    INSERT INTO ingest.ingestion_jobs AS j (vendor_id, mode, status, phase, params, created_by)
    VALUES (v_connector.vendor_id, v_connector.mode::text::ingest.job_mode, 'queued', 'queued',
            pg_catalog.jsonb_build_object('source', 'api', 'connector', v_connector.source, 'connector_id', v_connector.id,
                                          'base_url', v_connector.base_url, 'paging', ingest.connector_paging(v_connector.paging),
                                          'since', v_since),
            app.current_user_id())
    RETURNING j.* INTO v_job;
    v_qid := queue.enqueue('ingest.api', v_job.vendor_id, pg_catalog.jsonb_build_object('job_id', v_job.id), 0, NULL, v_job.id::text);
    UPDATE ingest.ingestion_jobs j SET queue_job_id = v_qid WHERE j.id = v_job.id RETURNING j.* INTO v_job;
    INSERT INTO ingest.connector_cursors AS k (vendor_id, source, status, job_id)
    VALUES (v_job.vendor_id, v_connector.source, 'idle', v_job.id)
    ON CONFLICT (vendor_id, source) DO UPDATE SET job_id = EXCLUDED.job_id;
    PERFORM audit.record('connector_sync', 'ingest.ingestion_jobs', v_job.id::text, v_job.vendor_id, NULL,
                         pg_catalog.jsonb_build_object('connector', p_source, 'mode', v_job.mode, 'since', v_since));
    RETURN app.ingestion_job_json(v_job, NULL, false);
END
$$;
COMMENT ON FUNCTION api.connector_sync(text) IS
  'POST /api/v1/connectors/{source}/sync: an ingestion job of the connector''s mode, queued for a worker (incremental when paging.since_param is set and an earlier sync completed); OD409 when the connector is disabled or a sync of it is queued or running.';

GRANT EXECUTE ON FUNCTION ingest.connector_json(ingest.connectors), ingest.connector_for(text, boolean),
      ingest.connector_active_job(ingest.connectors), api.connector_get(text), api.connector_list(text, integer)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;
GRANT EXECUTE ON FUNCTION api.connector_sync(text) TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;
GRANT EXECUTE ON FUNCTION ingest.connector_errors(text, jsonb, boolean), ingest.connector_secret_set(uuid, text),
      api.connector_put(text, jsonb), api.connector_delete(text), api.connector_test(text)
   TO odyssey_superadmin, odyssey_vendor_admin;

COMMIT;
