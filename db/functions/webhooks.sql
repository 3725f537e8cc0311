-- Deploy odyssey:functions/webhooks to pg
-- requires: schema/webhook_delivery
-- requires: functions/queue
-- requires: functions/api_gateway
-- requires: functions/api_products
-- requires: functions/audit_trail
-- Webhooks (PRD §5.9, §6.5, §11.5 and notes.md "Webhook signature"), every rule of them:
--   endpoints   a vendor admin's: url https:// (http:// only to a loopback host), event_types,
--               retries_max 0..50, tolerance_sec 1..3600 (for receivers), enabled; the signing
--               secret is generated here and shown once (create, rotate);
--   fan-out     an outbox event (hooks.events) becomes, in the statement that wrote it, one
--               delivery per enabled endpoint of the vendor subscribed to its type, and one queue
--               job webhook.deliver per delivery (attempts = retries_max + 1, queued with one
--               enqueue_many per retries_max: v0.4.0 called queue.enqueue per delivery); published_at is
--               its insertion time (schema/webhook_delivery made it the column default);
--   signing     body = the delivery payload {vendor_id, event_id, event_type, occurred_at, data} as
--               JSON text, the same bytes on every attempt; X-Timestamp = unix seconds of the
--               attempt; X-Signature = v1=hex(HMAC_SHA256(secret, timestamp || '\n' || body));
--               X-Idempotency-Key = event_id (the same on every retry);
--   outcome     2xx delivered; anything else (or no answer) fails the attempt, retried with the
--               queue's exponential backoff with jitter; the queue's dead letter marks it dead.
-- v0.5.0 -> this: endpoint URLs are checked by app.outbound_url_ok, the one rule for every URL a
-- worker calls (connectors use it too); a URL with a #fragment is now refused.
-- v0.4.0 -> v0.5.0: the fan-out queues with enqueue_many; a replaced secret is audited in
-- hooks.secret_set (a direct call was an unaudited rotation).
BEGIN;

CREATE OR REPLACE FUNCTION hooks.endpoint_json(p hooks.webhook_endpoints)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.jsonb_build_object('id', p.id, 'url', p.url, 'description', p.description, 'enabled', p.enabled,
        'event_types', pg_catalog.to_jsonb(p.event_types), 'retries_max', p.retries_max, 'tolerance_sec', p.tolerance_sec,
        'created_at', p.created_at, 'updated_at', p.updated_at)
$$;
COMMENT ON FUNCTION hooks.endpoint_json(hooks.webhook_endpoints) IS 'The API representation of a webhook endpoint (never its secret).';

CREATE OR REPLACE FUNCTION app.outbound_url_ok(p_url text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    -- https to any host, plain http only to a loopback host; no credentials, no fragment, at most
    -- 2000 characters. (Where the host resolves to is checked by the worker when it calls.)
    SELECT length(p_url) <= 2000
       AND (p_url ~ '^https://[^\s/?#@]+(/[^\s#]*)?$'
            OR p_url ~ '^http://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?(/[^\s#]*)?$')
$$;
COMMENT ON FUNCTION app.outbound_url_ok(text) IS
  'Whether a URL may be given for Odyssey''s workers to call (webhook endpoints, connector APIs): https, or http to localhost/127.0.0.1/[::1]; no credentials or fragment; at most 2000 characters.';

CREATE OR REPLACE FUNCTION hooks.endpoint_errors(p_body jsonb, p_create boolean)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN p_body IS NULL OR pg_catalog.jsonb_typeof(p_body) <> 'object' THEN app.field_errors_of_patch(p_body, '{}')
      ELSE nullif(coalesce(app.field_errors_of_patch(p_body, ARRAY['url', 'description', 'enabled', 'event_types', 'retries_max', 'tolerance_sec']), '[]')
               || coalesce((SELECT pg_catalog.jsonb_agg(e) FROM (
        SELECT '{"field": "url", "code": "required", "message": "is required"}'::jsonb AS e
         WHERE p_create AND p_body -> 'url' IS NULL
        UNION ALL
        SELECT '{"field": "url", "code": "invalid", "message": "an https:// URL (http:// only to localhost, 127.0.0.1 or [::1]) without credentials or fragment, at most 2000 characters"}'::jsonb
         WHERE p_body ? 'url' AND NOT (pg_catalog.jsonb_typeof(p_body -> 'url') = 'string' AND app.outbound_url_ok(p_body ->> 'url'))
        UNION ALL
        SELECT '{"field": "description", "code": "invalid", "message": "a string of at most 500 characters, or null"}'::jsonb
         WHERE p_body ? 'description' AND pg_catalog.jsonb_typeof(p_body -> 'description') <> 'null'
           AND NOT (pg_catalog.jsonb_typeof(p_body -> 'description') = 'string' AND length(p_body ->> 'description') <= 500)
        UNION ALL
        SELECT '{"field": "enabled", "code": "invalid", "message": "true or false"}'::jsonb
         WHERE p_body ? 'enabled' AND pg_catalog.jsonb_typeof(p_body -> 'enabled') <> 'boolean'
        UNION ALL
        SELECT '{"field": "event_types", "code": "invalid", "message": "a non-empty list of job.completed, job.failed, product.updated, customer.updated, without repeats"}'::jsonb
         WHERE p_body ? 'event_types' AND NOT (pg_catalog.jsonb_typeof(p_body -> 'event_types') = 'array'
               AND pg_catalog.jsonb_array_length(p_body -> 'event_types') >= 1
               AND NOT EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(p_body -> 'event_types') x
                                WHERE x NOT IN ('"job.completed"', '"job.failed"', '"product.updated"', '"customer.updated"'))
               AND (SELECT count(DISTINCT x) = count(*) FROM pg_catalog.jsonb_array_elements(p_body -> 'event_types') x))
        UNION ALL
        SELECT '{"field": "retries_max", "code": "invalid", "message": "an integer from 0 to 50"}'::jsonb
         WHERE p_body ? 'retries_max' AND NOT (pg_catalog.jsonb_typeof(p_body -> 'retries_max') = 'number'
               AND (p_body ->> 'retries_max') ~ '^[0-9]{1,2}$' AND (p_body ->> 'retries_max')::int <= 50)
        UNION ALL
        SELECT '{"field": "tolerance_sec", "code": "invalid", "message": "an integer from 1 to 3600"}'::jsonb
         WHERE p_body ? 'tolerance_sec' AND NOT (pg_catalog.jsonb_typeof(p_body -> 'tolerance_sec') = 'number'
               AND (p_body ->> 'tolerance_sec') ~ '^[0-9]{1,4}$' AND (p_body ->> 'tolerance_sec')::int BETWEEN 1 AND 3600)) x), '[]'),
             '[]') END
$$;
COMMENT ON FUNCTION hooks.endpoint_errors(jsonb, boolean) IS 'Field errors of a webhook endpoint body (create: url required); NULL when none.';

CREATE OR REPLACE FUNCTION hooks.secret_set(p_endpoint_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.current_vendor_id();
    v_secret text := 'whsec_' || pg_catalog.encode(public.gen_random_bytes(32), 'hex');
BEGIN
    -- Only an endpoint of the current vendor (RLS is forced for the owner too).
    IF NOT EXISTS (SELECT FROM hooks.webhook_endpoints e WHERE e.id = p_endpoint_id AND e.vendor_id = v_vendor) THEN
        PERFORM app.raise_problem('OD404', 'webhook endpoint not found');
    END IF;
    -- A replaced secret is audited here, where every path that replaces one passes (the API's
    -- rotation, or a direct call by a role allowed to make it); the first one belongs to the
    -- endpoint's creation, which api.webhook_create audits.
    IF EXISTS (SELECT FROM hooks.webhook_secrets s WHERE s.endpoint_id = p_endpoint_id AND s.vendor_id = v_vendor) THEN
        PERFORM audit.record('webhook_secret_rotate', 'webhook_endpoint', p_endpoint_id::text, v_vendor, NULL, NULL);
    END IF;
    INSERT INTO hooks.webhook_secrets AS s (endpoint_id, vendor_id, secret)
    VALUES (p_endpoint_id, v_vendor, v_secret)
    ON CONFLICT (endpoint_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = pg_catalog.now();
    RETURN v_secret;
END
$$;
COMMENT ON FUNCTION hooks.secret_set(uuid) IS
  'A new random signing secret (whsec_ + 64 hex digits) for an endpoint of the current vendor, stored where no role but the owner reads it; returned once; a replacement is audited.';

CREATE OR REPLACE FUNCTION hooks.endpoint_for(p_id uuid)
RETURNS hooks.webhook_endpoints
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_endpoint hooks.webhook_endpoints;
BEGIN
    SELECT e.* INTO v_endpoint FROM hooks.webhook_endpoints e WHERE e.id = p_id AND e.vendor_id = app.require_vendor();
    IF NOT FOUND THEN
        PERFORM app.raise_problem('OD404', 'webhook endpoint not found');
    END IF;
    RETURN v_endpoint;
END
$$;
COMMENT ON FUNCTION hooks.endpoint_for(uuid) IS 'The current vendor''s webhook endpoint of that id; OD404 otherwise.';

CREATE OR REPLACE FUNCTION api.webhook_create(p_body jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_vendor   uuid := app.require_vendor();
    v_errors   jsonb := hooks.endpoint_errors(p_body, true);
    v_id       uuid := gen_random_uuid();
    v_endpoint hooks.webhook_endpoints;
    v_secret   text;
BEGIN
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the body has invalid fields', v_errors);
    END IF;
    INSERT INTO hooks.webhook_endpoints AS e (id, vendor_id, url, secret_ref, enabled, description, retries_max, tolerance_sec, event_types)
    VALUES (v_id, v_vendor, p_body ->> 'url', 'hooks.webhook_secrets:' || v_id,
            coalesce((p_body ->> 'enabled')::boolean, true), p_body ->> 'description',
            coalesce((p_body ->> 'retries_max')::int, 8), coalesce((p_body ->> 'tolerance_sec')::int, 300),
            CASE WHEN p_body ? 'event_types' THEN ARRAY(SELECT pg_catalog.jsonb_array_elements_text(p_body -> 'event_types'))
                 ELSE ARRAY['job.completed', 'job.failed', 'product.updated', 'customer.updated'] END)
    RETURNING e.* INTO v_endpoint;
    v_secret := hooks.secret_set(v_id);
    PERFORM audit.record('webhook_create', 'webhook_endpoint', v_id::text, v_vendor, NULL, hooks.endpoint_json(v_endpoint));
    RETURN hooks.endpoint_json(v_endpoint) || pg_catalog.jsonb_build_object('secret', v_secret);
END
$$;
COMMENT ON FUNCTION api.webhook_create(jsonb) IS
  'POST /api/v1/webhooks: a webhook endpoint of the vendor, with its signing secret (shown this once); audited.';

CREATE OR REPLACE FUNCTION api.webhook_list(p_cursor text DEFAULT NULL, p_limit integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_limit  integer := app.page_limit(p_limit);
    v_pos    jsonb := app.cursor_decode(p_cursor);
    v_items  jsonb;
    v_count  bigint;
    v_last   jsonb;
BEGIN
    IF v_pos IS NOT NULL AND v_pos ->> 's' IS DISTINCT FROM 'webhooks' THEN
        PERFORM app.raise_problem('OD400', 'invalid cursor',
            '[{"field": "cursor", "code": "invalid", "message": "not a cursor of this list"}]');
    END IF;
    SELECT coalesce(pg_catalog.jsonb_agg(t.body ORDER BY t.n) FILTER (WHERE t.n <= v_limit), '[]'), pg_catalog.count(*),
           (pg_catalog.array_agg(pg_catalog.jsonb_build_object('s', 'webhooks', 'c', t.created_at, 'i', t.id)) FILTER (WHERE t.n = v_limit))[1]
      INTO v_items, v_count, v_last
      FROM (SELECT hooks.endpoint_json(e) AS body, e.created_at, e.id,
                   pg_catalog.row_number() OVER (ORDER BY e.created_at DESC, e.id DESC) AS n
              FROM hooks.webhook_endpoints e
             WHERE e.vendor_id = v_vendor
               AND (v_pos IS NULL OR (e.created_at, e.id) < ((v_pos ->> 'c')::timestamptz, (v_pos ->> 'i')::uuid))
             ORDER BY e.created_at DESC, e.id DESC LIMIT v_limit + 1) t;
    RETURN pg_catalog.jsonb_build_object('items', v_items, 'limit', v_limit,
        'next_cursor', CASE WHEN v_count > v_limit THEN app.cursor_encode(v_last) END);
END
$$;
COMMENT ON FUNCTION api.webhook_list(text, integer) IS 'GET /api/v1/webhooks: the vendor''s webhook endpoints, newest first, keyset-paginated.';

CREATE OR REPLACE FUNCTION api.webhook_get(p_id uuid)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$ SELECT hooks.endpoint_json(hooks.endpoint_for(p_id)) $$;
COMMENT ON FUNCTION api.webhook_get(uuid) IS 'GET /api/v1/webhooks/{id}: one webhook endpoint of the vendor.';

CREATE OR REPLACE FUNCTION api.webhook_update(p_id uuid, p_body jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_before hooks.webhook_endpoints := hooks.endpoint_for(p_id);
    v_errors jsonb := hooks.endpoint_errors(p_body, false);
    v_after  hooks.webhook_endpoints;
BEGIN
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the body has invalid fields', v_errors);
    END IF;
    UPDATE hooks.webhook_endpoints e
       SET url = CASE WHEN p_body ? 'url' THEN p_body ->> 'url' ELSE e.url END,
           description = CASE WHEN p_body ? 'description' THEN p_body ->> 'description' ELSE e.description END,
           enabled = CASE WHEN p_body ? 'enabled' THEN (p_body ->> 'enabled')::boolean ELSE e.enabled END,
           retries_max = CASE WHEN p_body ? 'retries_max' THEN (p_body ->> 'retries_max')::int ELSE e.retries_max END,
           tolerance_sec = CASE WHEN p_body ? 'tolerance_sec' THEN (p_body ->> 'tolerance_sec')::int ELSE e.tolerance_sec END,
           event_types = CASE WHEN p_body ? 'event_types'
                              THEN ARRAY(SELECT pg_catalog.jsonb_array_elements_text(p_body -> 'event_types')) ELSE e.event_types END
     WHERE e.id = v_before.id AND e.vendor_id = v_before.vendor_id
    RETURNING e.* INTO v_after;
    PERFORM audit.record('webhook_update', 'webhook_endpoint', p_id::text, v_before.vendor_id,
                         hooks.endpoint_json(v_before), hooks.endpoint_json(v_after));
    RETURN hooks.endpoint_json(v_after);
END
$$;
COMMENT ON FUNCTION api.webhook_update(uuid, jsonb) IS
  'PATCH /api/v1/webhooks/{id}: change url, description, enabled, event_types, retries_max, tolerance_sec; audited. A disabled endpoint''s pending deliveries end as dead.';

CREATE OR REPLACE FUNCTION api.webhook_rotate_secret(p_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_endpoint hooks.webhook_endpoints := hooks.endpoint_for(p_id);
    v_secret   text := hooks.secret_set(p_id);  -- audits the rotation
BEGIN
    RETURN hooks.endpoint_json(v_endpoint) || pg_catalog.jsonb_build_object('secret', v_secret);
END
$$;
COMMENT ON FUNCTION api.webhook_rotate_secret(uuid) IS
  'POST /api/v1/webhooks/{id}/rotate-secret: a new signing secret (shown this once); later attempts, retries included, are signed with it; audited.';

CREATE OR REPLACE FUNCTION api.webhook_delete(p_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_endpoint hooks.webhook_endpoints := hooks.endpoint_for(p_id);
BEGIN
    DELETE FROM hooks.webhook_endpoints e WHERE e.id = v_endpoint.id AND e.vendor_id = v_endpoint.vendor_id;
    PERFORM audit.record('webhook_delete', 'webhook_endpoint', p_id::text, v_endpoint.vendor_id, hooks.endpoint_json(v_endpoint), NULL);
    RETURN '{"deleted": true}'::jsonb;
END
$$;
COMMENT ON FUNCTION api.webhook_delete(uuid) IS
  'DELETE /api/v1/webhooks/{id}: the endpoint, its secret and its deliveries (queued attempts then find nothing to send); audited.';

CREATE OR REPLACE FUNCTION api.webhook_deliveries(p_id uuid, p_status text DEFAULT NULL, p_cursor text DEFAULT NULL,
                                                  p_limit integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_endpoint hooks.webhook_endpoints := hooks.endpoint_for(p_id);
    v_limit    integer := app.page_limit(p_limit);
    v_pos      jsonb := app.cursor_decode(p_cursor);
    v_items    jsonb;
    v_count    bigint;
    v_last     jsonb;
BEGIN
    IF v_pos IS NOT NULL AND v_pos ->> 's' IS DISTINCT FROM 'deliveries' THEN
        PERFORM app.raise_problem('OD400', 'invalid cursor',
            '[{"field": "cursor", "code": "invalid", "message": "not a cursor of this list"}]');
    END IF;
    IF p_status IS NOT NULL AND p_status <> ALL (pg_catalog.enum_range(NULL::hooks.delivery_status)::text[]) THEN
        PERFORM app.raise_problem('OD422', 'unknown status',
            '[{"field": "status", "code": "invalid", "message": "one of pending, delivered, failed, dead"}]');
    END IF;
    SELECT coalesce(pg_catalog.jsonb_agg(t.body ORDER BY t.n) FILTER (WHERE t.n <= v_limit), '[]'), pg_catalog.count(*),
           (pg_catalog.array_agg(pg_catalog.jsonb_build_object('s', 'deliveries', 'c', t.created_at, 'i', t.id)) FILTER (WHERE t.n = v_limit))[1]
      INTO v_items, v_count, v_last
      FROM (SELECT pg_catalog.jsonb_build_object('id', d.id, 'endpoint_id', d.endpoint_id, 'event_id', d.event_id,
                       'event_type', d.event_type, 'status', d.status, 'attempt', d.attempt,
                       'response_status', d.response_status, 'last_error', d.last_error,
                       'timestamp', CASE WHEN d.attempt > 0 THEN d.timestamp END, 'created_at', d.created_at,
                       'delivered_at', d.delivered_at, 'payload', d.payload) AS body,
                   d.created_at, d.id, pg_catalog.row_number() OVER (ORDER BY d.created_at DESC, d.id DESC) AS n
              FROM hooks.webhook_deliveries d
             WHERE d.vendor_id = v_endpoint.vendor_id AND d.endpoint_id = v_endpoint.id
               AND (p_status IS NULL OR d.status = p_status::hooks.delivery_status)
               AND (v_pos IS NULL OR (d.created_at, d.id) < ((v_pos ->> 'c')::timestamptz, (v_pos ->> 'i')::uuid))
             ORDER BY d.created_at DESC, d.id DESC LIMIT v_limit + 1) t;
    RETURN pg_catalog.jsonb_build_object('items', v_items, 'limit', v_limit,
        'next_cursor', CASE WHEN v_count > v_limit THEN app.cursor_encode(v_last) END);
END
$$;
COMMENT ON FUNCTION api.webhook_deliveries(uuid, text, text, integer) IS
  'GET /api/v1/webhooks/{id}/deliveries: the endpoint''s deliveries (status, attempts, last response), newest first, keyset-paginated.';

CREATE OR REPLACE FUNCTION hooks.event_fan_out()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_saved   text := coalesce(pg_catalog.current_setting('odyssey.vendor_id', true), '');
    v_scope   text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_default smallint := (SELECT k.max_attempts FROM queue.kinds k WHERE k.kind = 'webhook.deliver');
    v_vendor  uuid;
    v_group   record;
    v_ids     bigint[];
BEGIN
    -- In the events' own statement, set-based (an API batch writes thousands of events at once):
    -- a delivery per subscribed, enabled endpoint of the event's vendor, and their queue jobs with
    -- one enqueue_many per retries_max (attempts = retries_max + 1).
    FOR v_vendor IN SELECT DISTINCT n.vendor_id FROM new_events n LOOP
        PERFORM pg_catalog.set_config('odyssey.vendor_id', v_vendor::text, true);
        FOR v_group IN
            WITH d AS (
                INSERT INTO hooks.webhook_deliveries AS d (vendor_id, endpoint_id, event_id, event_type, payload)
                SELECT n.vendor_id, e.id, n.event_id, n.event_type,
                       pg_catalog.jsonb_build_object('vendor_id', n.vendor_id, 'event_id', n.event_id, 'event_type', n.event_type,
                                                     'occurred_at', n.occurred_at, 'data', n.data)
                  FROM new_events n
                  JOIN hooks.webhook_endpoints e ON e.vendor_id = n.vendor_id AND e.enabled AND n.event_type = ANY (e.event_types)
                 WHERE n.vendor_id = v_vendor
                 ORDER BY n.occurred_at, n.event_id, e.id
                ON CONFLICT (endpoint_id, event_id) DO NOTHING
                RETURNING d.id, d.endpoint_id, d.created_at)
            SELECT e.retries_max, pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('delivery_id', d.id) ORDER BY d.created_at, d.id) AS payloads
              FROM d JOIN hooks.webhook_endpoints e ON e.id = d.endpoint_id
             GROUP BY e.retries_max
        LOOP
            v_ids := ARRAY(SELECT queue.enqueue_many('webhook.deliver', v_vendor, v_group.payloads));
            IF v_group.retries_max + 1 <> v_default THEN
                PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
                UPDATE queue.jobs j SET max_attempts = v_group.retries_max + 1 WHERE j.id = ANY (v_ids);
                PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
            END IF;
        END LOOP;
    END LOOP;
    PERFORM pg_catalog.set_config('odyssey.vendor_id', v_saved, true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION hooks.event_fan_out() IS
  'AFTER INSERT statement trigger on hooks.events: one webhook delivery (and its webhook.deliver queue job) per enabled endpoint of the vendor subscribed to the event type.';

CREATE OR REPLACE TRIGGER events_fan_out AFTER INSERT ON hooks.events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION hooks.event_fan_out();

CREATE OR REPLACE FUNCTION hooks.delivery_begin(p_delivery_id uuid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.current_vendor_id();
    v_row    record;
    v_ts     bigint := floor(extract(epoch FROM pg_catalog.clock_timestamp()))::bigint;
    v_body   text;
    v_sig    text;
BEGIN
    SELECT d.id, d.event_id, d.event_type, d.payload, d.status, d.attempt, e.url, e.enabled, s.secret
      INTO v_row
      FROM hooks.webhook_deliveries d
      JOIN hooks.webhook_endpoints e ON e.id = d.endpoint_id AND e.vendor_id = d.vendor_id
      JOIN hooks.webhook_secrets s ON s.endpoint_id = e.id AND s.vendor_id = e.vendor_id
     WHERE d.id = p_delivery_id AND d.vendor_id = v_vendor
       FOR UPDATE OF d;
    IF NOT FOUND OR v_row.status IN ('delivered', 'dead') THEN
        RETURN NULL;  -- deleted with its endpoint, or already ended: nothing to send
    END IF;
    IF NOT v_row.enabled THEN
        UPDATE hooks.webhook_deliveries d SET status = 'dead', last_error = 'the endpoint is disabled'
         WHERE d.id = v_row.id AND d.vendor_id = v_vendor;
        RETURN NULL;
    END IF;
    v_body := v_row.payload::text;
    v_sig := 'v1=' || pg_catalog.encode(public.hmac(pg_catalog.convert_to(v_ts::text || E'\n' || v_body, 'UTF8'),
                                                    pg_catalog.convert_to(v_row.secret, 'UTF8'), 'sha256'), 'hex');
    UPDATE hooks.webhook_deliveries d
       SET attempt = d.attempt + 1, timestamp = pg_catalog.to_timestamp(v_ts), signature = v_sig
     WHERE d.id = v_row.id AND d.vendor_id = v_vendor;
    RETURN pg_catalog.jsonb_build_object('url', v_row.url, 'body', v_body, 'attempt', v_row.attempt + 1,
        'headers', pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'User-Agent', 'Odyssey-Webhooks/1',
                       'X-Timestamp', v_ts::text, 'X-Signature', v_sig, 'X-Idempotency-Key', v_row.event_id::text,
                       'X-Event-Type', v_row.event_type, 'X-Delivery-Attempt', (v_row.attempt + 1)::text));
END
$$;
COMMENT ON FUNCTION hooks.delivery_begin(uuid) IS
  'Worker: the next attempt of a delivery of the current vendor, signed (url, body bytes as text, headers); NULL when there is nothing to send.';

CREATE OR REPLACE FUNCTION hooks.delivery_result(p_delivery_id uuid, p_http_status integer, p_error text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_delivered boolean := p_http_status BETWEEN 200 AND 299;
BEGIN
    UPDATE hooks.webhook_deliveries d
       SET status = CASE WHEN v_delivered THEN 'delivered' ELSE 'failed' END::hooks.delivery_status,
           response_status = p_http_status,
           delivered_at = CASE WHEN v_delivered THEN pg_catalog.now() END,
           last_error = CASE WHEN v_delivered THEN NULL
                             ELSE left(coalesce(p_error, 'the endpoint answered HTTP ' || p_http_status), 1000) END
     WHERE d.id = p_delivery_id AND d.vendor_id = app.current_vendor_id() AND d.status IN ('pending', 'failed');
    RETURN CASE WHEN v_delivered THEN 'delivered' ELSE 'retry' END;
END
$$;
COMMENT ON FUNCTION hooks.delivery_result(uuid, integer, text) IS
  'Worker: the outcome of an attempt. 2xx -> delivered; any other status or no answer (NULL, with the error) -> failed, to be retried by the queue (''retry'').';

CREATE OR REPLACE FUNCTION hooks.delivery_dead_lettered()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_saved    text := coalesce(pg_catalog.current_setting('odyssey.vendor_id', true), '');
    v_delivery text := NEW.payload ->> 'delivery_id';
BEGIN
    -- The queue gave up on a webhook.deliver job (attempts = retries_max + 1 ran out): the DLQ.
    IF NEW.vendor_id IS NULL OR v_delivery !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_catalog.set_config('odyssey.vendor_id', NEW.vendor_id::text, true);
    UPDATE hooks.webhook_deliveries d
       SET status = 'dead', last_error = coalesce(d.last_error, NEW.last_error)
     WHERE d.id = v_delivery::uuid AND d.vendor_id = NEW.vendor_id AND d.status <> 'delivered';
    PERFORM pg_catalog.set_config('odyssey.vendor_id', v_saved, true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION hooks.delivery_dead_lettered() IS
  'AFTER INSERT trigger of queue.dead_letters for webhook.deliver: the delivery is dead (its retries ran out or it failed permanently).';

CREATE OR REPLACE TRIGGER dead_letters_webhook_delivery AFTER INSERT ON queue.dead_letters
    FOR EACH ROW WHEN (NEW.kind = 'webhook.deliver') EXECUTE FUNCTION hooks.delivery_dead_lettered();

GRANT EXECUTE ON FUNCTION api.webhook_create(jsonb), api.webhook_list(text, integer), api.webhook_get(uuid),
      api.webhook_update(uuid, jsonb), api.webhook_rotate_secret(uuid), api.webhook_delete(uuid),
      api.webhook_deliveries(uuid, text, text, integer), hooks.secret_set(uuid), hooks.endpoint_for(uuid),
      hooks.endpoint_json(hooks.webhook_endpoints), hooks.endpoint_errors(jsonb, boolean), app.outbound_url_ok(text)
   TO odyssey_superadmin, odyssey_vendor_admin;
GRANT EXECUTE ON FUNCTION hooks.delivery_begin(uuid), hooks.delivery_result(uuid, integer, text) TO odyssey_worker;

COMMIT;
