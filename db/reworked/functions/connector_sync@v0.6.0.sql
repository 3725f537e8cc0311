-- Deploy odyssey:functions/connector_sync to pg
-- requires: schema/connector_sync
-- requires: functions/ingest_jobs
-- requires: functions/ingest_mapping
-- requires: policies/connector_sync
-- A connector sync (PRD §5.5, §6.3): rate-limited paged fetch -> stg_vendor_raw -> normalize/map ->
-- merge -> checkpoint cursors. The worker's ingest.api handler makes the HTTP calls; every rule is
-- here, and a sync is an ingestion job of the connector's mode (params.source = 'api'), so it is
-- validated, merged, analyzed, finalized and reported exactly like a CSV file of that mode:
--   queued -> copying   ingest.sync_begin, then ingest.sync_stage_page per page: the page is kept
--                       as received (stg_vendor_raw), its items are mapped into staging and the
--                       fetch checkpoint (next cursor, pages, rows) advances, in one transaction;
--   then                ingest.job_validate, job_merge_next, job_analyze, job_finalize (ingest_jobs).
-- Pages: GET base_url with paging.cursor_param = the cursor (none for the first page),
-- paging.limit_param = page_size and, for an incremental sync, paging.since_param = the watermark;
-- the answer is a JSON object whose paging.items_path holds the items (JSON objects) and whose
-- paging.next_cursor_path the next cursor (null or absent: the last page).
-- Items to columns: each top-level key is a column, and so is each key of a nested object
-- ("nutrition": {"sodium_mg": 5}) under its own name, or "nutrition.sodium_mg" when that name is
-- taken. Headers map through the vendor's mappings and the header dictionary as a CSV header does;
-- the plan is made from the first page that has items and grows when a later page brings a new key
-- (a field mapped once keeps its column). A list becomes a "|"-separated cell, an object its JSON.
-- Numbers are JSON's: '.' is the decimal separator.
-- A worker that dies mid-sync leaves the job at its last committed page; the next one asks for the
-- page after it. Staging is UNLOGGED: after a database crash the job is re-staged from its kept pages.
-- The connector's cursor row records the end of each sync (ingest.connector_job_ended): status,
-- last error and, after a completed sync, the watermark (when it began fetching).
BEGIN;

CREATE OR REPLACE FUNCTION ingest.connector_paging(p_paging jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT '{"items_path": "items", "next_cursor_path": "next_cursor", "total_path": "total", "cursor_param": "cursor",
             "limit_param": "limit", "page_size": 100, "since_param": null, "max_pages": 100000}'::jsonb
           || coalesce(p_paging, '{}')
$$;
COMMENT ON FUNCTION ingest.connector_paging(jsonb) IS
  'A connector''s paging settings with the defaults filled in: items_path, next_cursor_path, total_path (dotted paths into a page), cursor_param, limit_param, page_size, since_param (NULL: every sync is a full one), max_pages.';

CREATE OR REPLACE FUNCTION ingest.json_at(p_doc jsonb, p_path text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN coalesce(p_path, '') = '' THEN p_doc ELSE p_doc #> pg_catalog.string_to_array(p_path, '.') END
$$;
COMMENT ON FUNCTION ingest.json_at(jsonb, text) IS 'The value at a dotted path of a JSON document ("data.items"); the document itself for an empty path.';

CREATE OR REPLACE FUNCTION ingest.json_cell(p_value jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    -- A JSON value as a staging cell: strings as they are, numbers and booleans as their text, a
    -- list of scalars as "a|b" (a list cell: ingest.split_list), an object as its JSON (macro_targets),
    -- null as NULL.
    SELECT CASE pg_catalog.jsonb_typeof(p_value)
               WHEN 'null' THEN NULL
               WHEN 'string' THEN p_value #>> '{}'
               WHEN 'array' THEN (SELECT pg_catalog.string_agg(CASE pg_catalog.jsonb_typeof(x) WHEN 'string' THEN x #>> '{}' ELSE x::text END,
                                                               '|' ORDER BY i)
                                    FROM pg_catalog.jsonb_array_elements(p_value) WITH ORDINALITY AS e(x, i)
                                   WHERE pg_catalog.jsonb_typeof(x) <> 'null')
               ELSE p_value::text END
$$;
COMMENT ON FUNCTION ingest.json_cell(jsonb) IS 'A JSON value as a staging cell: string as is, number/boolean as text, list as "a|b", object as JSON, null as NULL.';

CREATE OR REPLACE FUNCTION ingest.connector_plan(p_mode ingest.mapping_mode, p_vendor_id uuid, p_plan jsonb, p_items jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_plan    jsonb := p_plan;
    v_old     jsonb;
    v_max     integer;
    v_headers text[];
    v_paths   jsonb;
    v_path    text[];
    v_header  text;
    v_depth   integer;
    v_added   boolean;
    v_new     jsonb;
    v_columns jsonb;
BEGIN
    -- Top-level keys are planned first, nested ones after: a nested key may only take a field that
    -- no top-level key (and no column planned before) took, so {"title", "meta": {"name"}} keeps
    -- title as the name.
    FOR v_depth IN 1 .. 2 LOOP
        v_old := coalesce(v_plan -> 'columns', '[]');
        v_max := coalesce((SELECT max((c ->> 'i')::int) FROM jsonb_array_elements(v_old) c), 0);
        v_headers := ARRAY(SELECT c ->> 'header' FROM jsonb_array_elements(v_old) c GROUP BY (c ->> 'i')::int, c ->> 'header'
                           ORDER BY (c ->> 'i')::int);
        v_paths := coalesce(v_plan -> 'paths', '{}');
        v_added := false;
        FOR v_path IN
            SELECT DISTINCT p FROM (
                SELECT ARRAY[k.key] AS p FROM jsonb_array_elements(p_items) i, jsonb_each(i) k WHERE v_depth = 1
                UNION ALL
                SELECT ARRAY[k.key, c.key] FROM jsonb_array_elements(p_items) i, jsonb_each(i) k, jsonb_each(k.value) c
                 WHERE v_depth = 2 AND jsonb_typeof(k.value) = 'object') x
             ORDER BY p
        LOOP
            IF EXISTS (SELECT FROM jsonb_each(v_paths) e WHERE e.value = to_jsonb(v_path)) THEN
                CONTINUE;  -- a column already
            END IF;
            v_header := v_path[cardinality(v_path)];
            IF ingest.normalize_header(v_header) = ANY (ARRAY(SELECT ingest.normalize_header(h) FROM unnest(v_headers) h)) THEN
                v_header := array_to_string(v_path, '.');
            END IF;
            v_headers := v_headers || v_header;
            v_paths := v_paths || jsonb_build_object(cardinality(v_headers)::text, to_jsonb(v_path));
            v_added := true;
        END LOOP;
        CONTINUE WHEN NOT v_added AND v_plan IS NOT NULL;
        v_new := ingest.plan_columns(p_mode, p_vendor_id, v_headers);
        -- Columns planned before keep their fields; a new column may only take a field still free.
        SELECT v_old || coalesce(jsonb_agg(CASE WHEN c ->> 'field' IN (SELECT o ->> 'field' FROM jsonb_array_elements(v_old) o)
                                                THEN c || jsonb_build_object('field', NULL, 'ops', '[]'::jsonb, 'via', NULL,
                                                                             'ignored', 'another column maps to ' || (c ->> 'field'))
                                                ELSE c END ORDER BY (c ->> 'i')::int), '[]')
          INTO v_columns
          FROM jsonb_array_elements(v_new -> 'columns') c
         WHERE (c ->> 'i')::int > v_max;
        v_plan := jsonb_build_object('mode', p_mode, 'columns', v_columns, 'paths', v_paths,
                                     'missing', ingest.plan_missing(p_mode, v_columns));
    END LOOP;
    RETURN v_plan;
END
$$;
COMMENT ON FUNCTION ingest.connector_plan(ingest.mapping_mode, uuid, jsonb, jsonb) IS
  'The column plan of a connector sync after a page of items: new key paths become columns (header: the key, or the dotted path when the key''s name is taken), mapped like CSV headers; columns planned before keep their fields.';

CREATE OR REPLACE FUNCTION ingest.stage_items(p_mode ingest.mapping_mode, p_plan jsonb, p_items jsonb,
                                              p_job_id uuid, p_vendor_id uuid, p_base bigint)
RETURNS bigint
LANGUAGE plpgsql
AS $$
BEGIN
    -- The items as records (n and the mapped columns c<i>, by the plan's key paths) read by the CSV path's own INSERT
    -- into staging (ingest.stage_sql: mapping, transform ops, numbers), in one statement.
    EXECUTE ingest.stage_sql(p_mode, p_plan, '.', format(
                '(SELECT x.n%s FROM jsonb_array_elements($4) WITH ORDINALITY AS x(item, n))',
                (SELECT string_agg(format(', ingest.json_cell(x.item #> %L::text[]) AS c%s',
                                          ARRAY(SELECT jsonb_array_elements_text(e.value))::text, e.key), '' ORDER BY e.key::int)
                   FROM jsonb_each(p_plan -> 'paths') e
                  WHERE e.key IN (SELECT c ->> 'i' FROM jsonb_array_elements(p_plan -> 'columns') c WHERE c ->> 'field' IS NOT NULL))))
       USING p_job_id, p_vendor_id, p_base, p_items;
    RETURN jsonb_array_length(p_items);
END
$$;
COMMENT ON FUNCTION ingest.stage_items(ingest.mapping_mode, jsonb, jsonb, uuid, uuid, bigint) IS
  'Stages a page''s items (rows p_base + 1 ...) by a connector plan through the CSV path''s mapping (ingest.stage_sql over the items, decimal point ''.''); returns how many.';

CREATE OR REPLACE FUNCTION ingest.connector_call(p_connector ingest.connectors, p_base_url text, p_paging jsonb, p_since text)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('id', p_connector.id, 'source', p_connector.source, 'base_url', p_base_url,
                              'auth_type', p_connector.auth_type, 'auth_header', coalesce(p_connector.auth_header, 'X-Api-Key'),
                              'token_url', p_connector.token_url, 'rate_limit_rpm', p_connector.rate_limit_rpm,
                              'paging', p_paging, 'since', p_since)
$$;
COMMENT ON FUNCTION ingest.connector_call(ingest.connectors, text, jsonb, text) IS
  'How the worker calls a connector''s API (URL, auth, rate, paging with defaults, incremental watermark); never the credential.';

CREATE OR REPLACE FUNCTION ingest.page_read(p_page jsonb, p_paging jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- A page of an API answer as paging reads it: its items, next cursor (null: the last page),
    -- total item count when it says one, or why it cannot be read (error: "has no list ...").
    SELECT jsonb_build_object(
               'items', i.items,
               'next_cursor', CASE WHEN jsonb_typeof(p_page) = 'object'
                                   THEN nullif(ingest.json_cell(ingest.json_at(p_page, p_paging ->> 'next_cursor_path')), '') END,
               'total', CASE WHEN jsonb_typeof(p_page) = 'object'
                              AND jsonb_typeof(ingest.json_at(p_page, p_paging ->> 'total_path')) = 'number'
                             THEN ingest.json_at(p_page, p_paging ->> 'total_path') END,
               'error', CASE WHEN jsonb_typeof(i.items) IS DISTINCT FROM 'array'
                             THEN format('has no list of items at "%s"', p_paging ->> 'items_path')
                             WHEN b.bad > 0 THEN format('has %s item(s) that are not JSON objects', b.bad) END)
      FROM (SELECT ingest.json_at(p_page, p_paging ->> 'items_path') AS items) i
      LEFT JOIN LATERAL (SELECT count(*) AS bad FROM jsonb_array_elements(i.items) x WHERE jsonb_typeof(x) <> 'object') b
             ON jsonb_typeof(i.items) = 'array'
$$;
COMMENT ON FUNCTION ingest.page_read(jsonb, jsonb) IS
  'A page of a connector''s API answer read by its paging: {items, next_cursor, total, error} (error: no item list where paging says, or items that are not objects).';

CREATE OR REPLACE FUNCTION ingest.sync_job_for_update(p_job_id uuid)
RETURNS ingest.ingestion_jobs
LANGUAGE plpgsql
AS $$
DECLARE
    v_job ingest.ingestion_jobs := ingest.job_for_update(p_job_id);
BEGIN
    IF v_job.params ->> 'source' IS DISTINCT FROM 'api' THEN
        PERFORM app.raise_problem('OD422', 'ingestion job ' || p_job_id || ' is not a connector sync');
    END IF;
    RETURN v_job;
END
$$;
COMMENT ON FUNCTION ingest.sync_job_for_update(uuid) IS 'The tenant''s connector sync job, row-locked (ingest.job_for_update); OD422 for a job that is not a sync.';

CREATE OR REPLACE FUNCTION ingest.sync_begin(p_job_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_job       ingest.ingestion_jobs := ingest.sync_job_for_update(p_job_id);
    v_connector ingest.connectors;
    v_rows      bigint := 0;
    v_page      record;
    v_paging    jsonb := ingest.connector_paging(v_job.params -> 'paging');
    v_state     jsonb;
BEGIN
    IF v_job.status IN ('completed', 'failed', 'canceled') THEN
        RETURN jsonb_build_object('job_id', v_job.id, 'status', v_job.status, 'finished', true);
    END IF;
    SELECT * INTO v_connector FROM ingest.connectors c
     WHERE c.vendor_id = v_job.vendor_id AND c.id = (v_job.params ->> 'connector_id')::uuid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the connector of job % was deleted', p_job_id USING ERRCODE = 'OD422', HINT = 'connector_deleted';
    END IF;
    -- Staging is UNLOGGED: after a database crash it lacks rows the checkpoint counts. The job is
    -- then re-staged from its kept pages (stg_vendor_raw is logged), with its final plan.
    IF v_job.phase = 'copying' AND ingest.job_staged_rows(v_job) <> coalesce((v_job.checkpoint #>> '{copy,rows}')::bigint, 0) THEN
        PERFORM ingest.job_purge_staging(v_job);
        FOR v_page IN SELECT ingest.json_at(r.payload, v_paging ->> 'items_path') AS items FROM ingest.stg_vendor_raw r
                       WHERE r.vendor_id = v_job.vendor_id AND r.job_id = p_job_id ORDER BY r.page_no LOOP
            v_rows := v_rows + ingest.stage_items(v_job.mode::text::ingest.mapping_mode, v_job.checkpoint -> 'plan', v_page.items,
                                                  p_job_id, v_job.vendor_id, v_rows);
        END LOOP;
        v_job.checkpoint := jsonb_set(v_job.checkpoint, '{copy}', jsonb_build_object('rows', v_rows, 'restaged', true));
    END IF;
    v_state := ingest.job_take(v_job, jsonb_build_object(
        'fetch', jsonb_build_object('cursor', NULL, 'pages', 0, 'done', false, 'started_at', now()),
        'copy', jsonb_build_object('rows', 0)));
    INSERT INTO ingest.connector_cursors AS k (vendor_id, source, status, job_id)
    VALUES (v_job.vendor_id, v_connector.source, 'running', v_job.id)
    ON CONFLICT (vendor_id, source) DO UPDATE SET status = 'running', job_id = EXCLUDED.job_id;
    RETURN v_state || jsonb_build_object(
        'connector', ingest.connector_call(v_connector, v_job.params ->> 'base_url', v_paging, v_job.params ->> 'since'));
END
$$;
COMMENT ON FUNCTION ingest.sync_begin(uuid) IS
  'A worker takes (or takes over) a connector sync: status running, attempt + 1, the connector''s cursor row running; re-stages the kept pages when staging lost rows (database crash); returns phase, checkpoint (fetch: cursor, pages, done) and how to call the API (finished: true when there is nothing to do).';

CREATE OR REPLACE FUNCTION ingest.sync_stage_page(p_job_id uuid, p_page_no integer, p_cursor text, p_page jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_job    ingest.ingestion_jobs := ingest.sync_job_for_update(p_job_id);
    v_mode   ingest.mapping_mode := v_job.mode::text::ingest.mapping_mode;
    v_paging jsonb := ingest.connector_paging(v_job.params -> 'paging');
    v_fetch  jsonb := v_job.checkpoint -> 'fetch';
    v_base   bigint := (v_job.checkpoint #>> '{copy,rows}')::bigint;
    v_items  jsonb;
    v_next   text;
    v_total  numeric;
    v_plan   jsonb := v_job.checkpoint -> 'plan';
    v_n      bigint := 0;
    v_read   jsonb;
    v_done   boolean;
BEGIN
    IF v_job.phase <> 'copying' OR (v_fetch ->> 'done')::boolean THEN
        RAISE EXCEPTION 'job % has no page left to fetch (phase %)', p_job_id, v_job.phase USING ERRCODE = 'OD409', HINT = 'stale';
    END IF;
    -- A worker that lost the job (its lease expired while it was still alive) must not stage a
    -- page fetched from where the sync was before another worker moved it on.
    IF p_page_no <> (v_fetch ->> 'pages')::int + 1 OR p_cursor IS DISTINCT FROM v_fetch ->> 'cursor' THEN
        RAISE EXCEPTION 'job % has moved on: it is at page % (cursor %), this is page % (cursor %)', p_job_id,
              (v_fetch ->> 'pages')::int + 1, coalesce(v_fetch ->> 'cursor', 'none'), p_page_no, coalesce(p_cursor, 'none')
              USING ERRCODE = 'OD409', HINT = 'stale';
    END IF;
    v_read := ingest.page_read(p_page, v_paging);
    IF v_read ->> 'error' IS NOT NULL THEN
        RAISE EXCEPTION 'page % of the API answer %', p_page_no, v_read ->> 'error' USING ERRCODE = 'OD422', HINT = 'bad_page';
    END IF;
    v_items := v_read -> 'items';
    v_next := v_read ->> 'next_cursor';
    v_total := (v_read ->> 'total')::numeric;
    IF v_next IS NOT DISTINCT FROM p_cursor AND v_next IS NOT NULL THEN
        RAISE EXCEPTION 'page % of the API answer gives the cursor it was asked with (%) as the next one', p_page_no, v_next
              USING ERRCODE = 'OD422', HINT = 'cursor_loop';
    END IF;
    IF v_next IS NOT NULL AND p_page_no >= (v_paging ->> 'max_pages')::int THEN
        RAISE EXCEPTION 'the API has more than % pages (paging.max_pages)', v_paging ->> 'max_pages'
              USING ERRCODE = 'OD422', HINT = 'too_many_pages';
    END IF;

    INSERT INTO ingest.stg_vendor_raw (vendor_id, source, page_id, payload, job_id, page_no, request_cursor)
    VALUES (v_job.vendor_id, v_job.params ->> 'connector', p_job_id || ':' || p_page_no, p_page, p_job_id, p_page_no, p_cursor);
    IF jsonb_array_length(v_items) > 0 THEN
        v_plan := ingest.connector_plan(v_mode, v_job.vendor_id, v_plan, v_items);
        IF jsonb_array_length(v_plan -> 'missing') > 0 THEN
            RAISE EXCEPTION 'the API''s items lack required % field(s): %', v_mode,
                  (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(v_plan -> 'missing') x)
                  USING ERRCODE = 'OD422', HINT = 'missing_columns';
        END IF;
        v_n := ingest.stage_items(v_mode, v_plan, v_items, p_job_id, v_job.vendor_id, v_base);
    END IF;
    v_done := v_next IS NULL;
    UPDATE ingest.ingestion_jobs j
       SET checkpoint = j.checkpoint || jsonb_build_object(
               'plan', v_plan,
               'fetch', v_fetch || jsonb_build_object('cursor', v_next, 'pages', p_page_no, 'done', v_done, 'total', v_total),
               'copy', jsonb_build_object('rows', v_base + v_n)),
           progress_pct = ingest.job_progress('copying', CASE WHEN v_done THEN 1 WHEN v_total > 0 THEN least(1, (v_base + v_n) / v_total)
                                                              ELSE 0 END)
     WHERE j.id = p_job_id;
    RETURN jsonb_build_object('page', p_page_no, 'items', v_n, 'rows', v_base + v_n, 'next_cursor', v_next, 'done', v_done);
END
$$;
COMMENT ON FUNCTION ingest.sync_stage_page(uuid, integer, text, jsonb) IS
  'One fetched page of a connector sync: kept in stg_vendor_raw, its items mapped into staging, the fetch checkpoint advanced (next cursor, pages, done when there is none), in the caller''s transaction. OD409 (hint stale) when the page is not the one the sync is at; OD422 (hints bad_page, cursor_loop, too_many_pages, missing_columns) for an answer that cannot be ingested.';

CREATE OR REPLACE FUNCTION ingest.connector_secret(p_connector_id uuid)
RETURNS text
LANGUAGE sql STABLE STRICT
SECURITY DEFINER
SET search_path = ''
AS $$
    -- Definer rights: no role but the owner reads connector_secrets. EXECUTE is the worker's alone,
    -- and forced RLS keeps the lookup inside the worker's current vendor.
    SELECT s.secret FROM ingest.connector_secrets s
     WHERE s.connector_id = p_connector_id AND s.vendor_id = app.require_vendor()
$$;
COMMENT ON FUNCTION ingest.connector_secret(uuid) IS
  'The credential of a connector of the current vendor, for the worker''s call to the vendor''s API (NULL when it has none).';

CREATE OR REPLACE FUNCTION ingest.connector_test_begin(p_connector_id uuid, p_test_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_connector ingest.connectors;
BEGIN
    SELECT * INTO v_connector FROM ingest.connectors c
     WHERE c.id = p_connector_id AND c.vendor_id = app.require_vendor() FOR UPDATE;
    IF NOT FOUND OR v_connector.last_test ->> 'id' IS DISTINCT FROM p_test_id::text THEN
        RETURN NULL;  -- the connector is gone, or a newer test replaced this one
    END IF;
    UPDATE ingest.connectors c SET last_test = c.last_test || '{"status": "running"}' WHERE c.id = p_connector_id;
    RETURN ingest.connector_call(v_connector, v_connector.base_url, ingest.connector_paging(v_connector.paging), NULL);
END
$$;
COMMENT ON FUNCTION ingest.connector_test_begin(uuid, uuid) IS
  'A worker starts a connector test: how to call the API (as ingest.sync_begin''s connector), or NULL when the test was replaced or the connector deleted.';

CREATE OR REPLACE FUNCTION ingest.connector_test_result(p_connector_id uuid, p_test_id uuid, p_http jsonb, p_page jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_connector ingest.connectors;
    v_paging    jsonb;
    v_items     jsonb;
    v_plan      jsonb;
    v_read      jsonb;
    v_error     text := p_http ->> 'error';
    v_result    jsonb;
BEGIN
    -- p_http: {status, latency_ms, error} of the call; p_page: the JSON answer (NULL when none).
    SELECT * INTO v_connector FROM ingest.connectors c
     WHERE c.id = p_connector_id AND c.vendor_id = app.require_vendor() FOR UPDATE;
    IF NOT FOUND OR v_connector.last_test ->> 'id' IS DISTINCT FROM p_test_id::text THEN
        RETURN NULL;
    END IF;
    v_paging := ingest.connector_paging(v_connector.paging);
    IF v_error IS NULL AND p_page IS NOT NULL THEN
        v_read := ingest.page_read(p_page, v_paging);
        v_items := v_read -> 'items';
        v_error := 'the answer ' || (v_read ->> 'error');
        IF v_error IS NULL AND jsonb_array_length(v_items) > 0 THEN
            v_plan := ingest.connector_plan(v_connector.mode, v_connector.vendor_id, NULL, v_items);
            IF jsonb_array_length(v_plan -> 'missing') > 0 THEN
                v_error := format('the items lack required %s field(s): %s', v_connector.mode,
                                  (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(v_plan -> 'missing') x));
            END IF;
        END IF;
    ELSIF v_error IS NULL THEN
        v_error := 'the answer is not JSON';
    END IF;
    v_result := jsonb_build_object(
        'id', p_test_id, 'status', 'done', 'ok', v_error IS NULL, 'error', v_error,
        'requested_at', v_connector.last_test -> 'requested_at', 'tested_at', now(),
        'http_status', p_http -> 'status', 'latency_ms', p_http -> 'latency_ms',
        'items', CASE WHEN jsonb_typeof(v_items) = 'array' THEN jsonb_array_length(v_items) END,
        'next_cursor', v_read -> 'next_cursor',
        'mapping', v_plan -> 'columns');
    UPDATE ingest.connectors c SET last_test = v_result WHERE c.id = p_connector_id;
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION ingest.connector_test_result(uuid, uuid, jsonb, jsonb) IS
  'Records a connector test''s outcome in connectors.last_test: ok, HTTP status, latency, items on the first page, next cursor, the column mapping its items would get, or why it failed.';

CREATE OR REPLACE FUNCTION ingest.connector_job_ended()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    -- A sync ended (completed, failed or canceled, whoever ended it): its connector's cursor row
    -- says so. A completed sync moves the watermark to when it began fetching, so the next
    -- incremental sync asks for what changed since (an overlap is harmless: unchanged rows are
    -- skipped by the merge). Definer rights: a canceling admin may not write cursor rows.
    UPDATE ingest.connector_cursors k
       SET status = CASE NEW.status WHEN 'completed' THEN 'ok' WHEN 'failed' THEN 'error' ELSE 'idle' END,
           cursor = CASE WHEN NEW.status = 'completed' THEN coalesce(NEW.checkpoint #>> '{fetch,started_at}', k.cursor) ELSE k.cursor END,
           synced_at = CASE WHEN NEW.status = 'completed' THEN NEW.finished_at ELSE k.synced_at END,
           last_error = CASE WHEN NEW.status = 'failed' THEN NEW.totals #>> '{error,message}' END,
           job_id = NEW.id
     WHERE k.vendor_id = NEW.vendor_id AND k.source = NEW.params ->> 'connector';
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ingest.connector_job_ended() IS
  'AFTER UPDATE trigger of ingestion_jobs: when a connector sync ends, its cursor row records status (ok, error, idle), last error, and for a completed sync the watermark and synced_at.';

CREATE OR REPLACE TRIGGER ingestion_jobs_connector_ended AFTER UPDATE OF status ON ingest.ingestion_jobs
    FOR EACH ROW WHEN (NEW.params ->> 'source' = 'api' AND OLD.status IS DISTINCT FROM NEW.status
                       AND NEW.status IN ('completed', 'failed', 'canceled'))
    EXECUTE FUNCTION ingest.connector_job_ended();

-- The queue gave up on a sync: it fails like a CSV job whose attempts ran out (ingest_jobs).
CREATE OR REPLACE TRIGGER dead_letters_fail_connector_job AFTER INSERT ON queue.dead_letters
    FOR EACH ROW WHEN (NEW.kind = 'ingest.api') EXECUTE FUNCTION ingest.job_dead_lettered();

CREATE OR REPLACE FUNCTION ingest.connector_test_dead_lettered()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor text := pg_catalog.current_setting('odyssey.vendor_id', true);
BEGIN
    -- A test whose worker died or failed without recording an outcome (connector.test has one
    -- attempt): last_test says so instead of staying queued or running. Never in the queue's way.
    IF NEW.vendor_id IS NULL THEN
        RETURN NULL;
    END IF;
    BEGIN
        PERFORM pg_catalog.set_config('odyssey.vendor_id', NEW.vendor_id::text, true);
        UPDATE ingest.connectors c
           SET last_test = c.last_test || pg_catalog.jsonb_build_object(
                   'status', 'done', 'ok', false, 'tested_at', pg_catalog.now(),
                   'error', 'the test did not finish: ' || coalesce(NEW.last_error, 'unknown error'))
         WHERE c.vendor_id = NEW.vendor_id AND c.id::text = NEW.payload ->> 'connector_id'  -- text: a malformed id matches nothing
           AND c.last_test ->> 'id' = NEW.payload ->> 'test_id' AND c.last_test ->> 'status' IN ('queued', 'running');
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'could not record the end of connector test %: %', NEW.payload ->> 'test_id', SQLERRM;
    END;
    PERFORM pg_catalog.set_config('odyssey.vendor_id', coalesce(v_vendor, ''), true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ingest.connector_test_dead_lettered() IS
  'AFTER INSERT trigger of queue.dead_letters for connector.test: the connector''s last_test ends as failed (ok false) with the queue''s last error, unless an outcome was recorded.';

CREATE OR REPLACE TRIGGER dead_letters_end_connector_test AFTER INSERT ON queue.dead_letters
    FOR EACH ROW WHEN (NEW.kind = 'connector.test') EXECUTE FUNCTION ingest.connector_test_dead_lettered();

CREATE OR REPLACE FUNCTION ingest.purge_raw_pages(p_keep interval DEFAULT '30 days', p_limit integer DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_n     bigint;
BEGIN
    -- Raw API pages are kept p_keep (PRD §8.3: 30 days), oldest first, every vendor in one statement
    -- (policy raw_pages_machinery: the owner, inside this scope).
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    DELETE FROM ingest.stg_vendor_raw r
     WHERE r.id IN (SELECT x.id FROM ingest.stg_vendor_raw x WHERE x.fetched_at < pg_catalog.now() - p_keep
                     ORDER BY x.fetched_at LIMIT greatest(coalesce(p_limit, 10000), 1));
    GET DIAGNOSTICS v_n = ROW_COUNT;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN v_n;
END
$$;
COMMENT ON FUNCTION ingest.purge_raw_pages(interval, integer) IS
  'Deletes raw connector pages older than p_keep (default 30 days), at most p_limit per call, every vendor; returns how many.';

GRANT EXECUTE ON FUNCTION ingest.connector_paging(jsonb), ingest.json_at(jsonb, text), ingest.json_cell(jsonb),
      ingest.connector_plan(ingest.mapping_mode, uuid, jsonb, jsonb),
      ingest.stage_items(ingest.mapping_mode, jsonb, jsonb, uuid, uuid, bigint), ingest.sync_job_for_update(uuid),
      ingest.sync_begin(uuid), ingest.sync_stage_page(uuid, integer, text, jsonb), ingest.connector_secret(uuid),
      ingest.connector_call(ingest.connectors, text, jsonb, text), ingest.page_read(jsonb, jsonb),
      ingest.connector_test_begin(uuid, uuid), ingest.connector_test_result(uuid, uuid, jsonb, jsonb),
      ingest.purge_raw_pages(interval, integer)
   TO odyssey_worker;
GRANT EXECUTE ON FUNCTION ingest.connector_paging(jsonb), ingest.json_at(jsonb, text), ingest.json_cell(jsonb)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;

COMMIT;
