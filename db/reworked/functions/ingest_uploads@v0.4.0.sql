-- Deploy odyssey:functions/ingest_uploads to pg
-- requires: schema/ingest_pipeline
-- requires: policies/ingest_pipeline
-- requires: functions/queue
-- requires: functions/api_ops
-- CSV ingestion uploads (PRD §5.4, §6.2): a job is created awaiting its file; the gateway's TUS
-- endpoint (or Supabase Storage) receives the bytes and moves the upload's offset forward with a
-- compare-and-set; the last byte completes the upload, queues the job and enqueues its worker job
-- (kind ingest.csv, dedupe key = job id) in the same transaction. Jobs as the API shows them
-- (api.get_job, api.list_jobs) carry the phase, the upload progress and the errors.csv link.
-- Invoker rights throughout: the tenant comes from app.require_vendor(), RLS isolates, and the
-- grants say who may write (viewers only read).
BEGIN;

CREATE OR REPLACE FUNCTION app.upload_json(p_upload ingest.uploads)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.jsonb_build_object(
        'job_id', p_upload.job_id, 'storage', p_upload.storage, 'object_path', p_upload.object_path,
        'filename', p_upload.filename, 'length', p_upload.upload_length, 'offset', p_upload.upload_offset,
        'metadata', p_upload.metadata, 'expires_at', p_upload.expires_at,
        'expired', p_upload.completed_at IS NULL AND p_upload.expires_at <= pg_catalog.now(),
        'completed', p_upload.completed_at IS NOT NULL, 'completed_at', p_upload.completed_at,
        'terminated', p_upload.terminated_at IS NOT NULL, 'terminated_at', p_upload.terminated_at)
$$;
COMMENT ON FUNCTION app.upload_json(ingest.uploads) IS 'The API form of an upload: offset, length, expiry, where the bytes go, completed/terminated.';

CREATE OR REPLACE FUNCTION app.ingest_job_has_errors(p_vendor_id uuid, p_job_id uuid)
RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
    -- Definer rights so that a vendor_viewer (who may not read the errors: they can carry customer
    -- data) still learns whether a job has any. Forced RLS keeps it inside the current vendor.
    SELECT EXISTS (SELECT FROM ingest.ingestion_job_errors e WHERE e.vendor_id = p_vendor_id AND e.job_id = p_job_id)
$$;
COMMENT ON FUNCTION app.ingest_job_has_errors(uuid, uuid) IS
  'True when an ingestion job of the current vendor has row errors (definer rights: a yes/no, never the rows).';

CREATE OR REPLACE FUNCTION app.ingestion_job_json(p_job ingest.ingestion_jobs, p_upload ingest.uploads, p_has_errors boolean)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    -- The checkpoint is the pipeline's own state; the API shows the file's format (encoding,
    -- delimiter, decimal separator and how each was decided) and the column mapping from it.
    SELECT (pg_catalog.to_jsonb(p_job) - 'checkpoint') || pg_catalog.jsonb_build_object(
        'format', (p_job.checkpoint -> 'format') - 'header' - 'data_offset',
        'mapping', p_job.checkpoint #> '{plan,columns}',
        'error_url', CASE WHEN p_has_errors THEN '/api/v1/jobs/' || p_job.id::text || '/errors.csv' ELSE p_job.error_url END,
        'upload', CASE WHEN p_upload.job_id IS NOT NULL THEN pg_catalog.jsonb_build_object(
            'offset', p_upload.upload_offset, 'length', p_upload.upload_length, 'storage', p_upload.storage,
            'expires_at', p_upload.expires_at, 'completed_at', p_upload.completed_at,
            'terminated_at', p_upload.terminated_at) END)
$$;
COMMENT ON FUNCTION app.ingestion_job_json(ingest.ingestion_jobs, ingest.uploads, boolean) IS
  'The API form of an ingestion job: its columns, the file''s format and column mapping, upload progress {offset, length, ...} (NULL without an upload) and error_url (/api/v1/jobs/<id>/errors.csv when it has errors).';

CREATE OR REPLACE FUNCTION api.ingest_csv_create(p_mode text, p_upload_length bigint, p_filename text, p_metadata jsonb,
                                                 p_storage text DEFAULT 'local')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_vendor  uuid := app.require_vendor();
    v_job     uuid := pg_catalog.gen_random_uuid();
    v_path    text := v_vendor::text || '/' || v_job::text;
    v_expires timestamptz := pg_catalog.now() + interval '24 hours';
    v_meta    jsonb := CASE WHEN p_metadata IS NULL OR p_metadata = 'null' THEN '{}' ELSE p_metadata END;
    v_errors  jsonb := '[]';
BEGIN
    IF p_mode IS NULL OR p_mode NOT IN ('products', 'customers') THEN
        v_errors := v_errors || pg_catalog.jsonb_build_object('field', 'mode', 'code', CASE WHEN p_mode IS NULL THEN 'required' ELSE 'invalid' END,
                                                              'message', 'products or customers');
    END IF;
    IF p_upload_length IS NULL THEN
        v_errors := v_errors || '{"field": "size", "code": "required", "message": "the file size in bytes (Upload-Length)"}';
    ELSIF p_upload_length NOT BETWEEN 1 AND 10737418240 THEN
        v_errors := v_errors || '{"field": "size", "code": "out_of_range", "message": "1 byte to 10 GiB (10737418240 bytes)"}';
    END IF;
    IF pg_catalog.length(p_filename) > 255 THEN
        v_errors := v_errors || '{"field": "filename", "code": "too_long", "message": "at most 255 characters"}';
    ELSIF p_filename ~ '[[:cntrl:]]' THEN
        v_errors := v_errors || '{"field": "filename", "code": "invalid", "message": "no control characters"}';
    END IF;
    IF pg_catalog.jsonb_typeof(v_meta) <> 'object' THEN
        v_errors := v_errors || '{"field": "metadata", "code": "type", "message": "must be an object"}';
    ELSIF pg_catalog.length(v_meta::text) > 8192 THEN
        v_errors := v_errors || '{"field": "metadata", "code": "too_long", "message": "at most 8 KiB of JSON"}';
    END IF;
    IF p_storage IS NULL OR p_storage NOT IN ('local', 'supabase') THEN
        v_errors := v_errors || '{"field": "storage", "code": "invalid", "message": "local or supabase"}';
    END IF;
    IF pg_catalog.jsonb_array_length(v_errors) > 0 THEN
        PERFORM app.raise_problem('OD422', 'invalid ingestion request', v_errors);
    END IF;

    INSERT INTO ingest.ingestion_jobs (id, vendor_id, mode, status, phase, params, created_by)
    VALUES (v_job, v_vendor, p_mode::ingest.job_mode, 'queued', 'awaiting_upload',
            pg_catalog.jsonb_build_object('filename', p_filename, 'size', p_upload_length, 'source', 'csv'),
            app.current_user_id());
    INSERT INTO ingest.uploads (job_id, vendor_id, storage, object_path, filename, upload_length, metadata, expires_at)
    VALUES (v_job, v_vendor, p_storage, v_path, p_filename, p_upload_length, v_meta, v_expires);
    PERFORM audit.record('ingest_create', 'ingest.ingestion_jobs', v_job::text, v_vendor, NULL,
                         pg_catalog.jsonb_build_object('mode', p_mode, 'filename', p_filename, 'size', p_upload_length,
                                                       'storage', p_storage));
    RETURN pg_catalog.jsonb_build_object(
        'job_id', v_job, 'mode', p_mode, 'status', 'queued', 'phase', 'awaiting_upload',
        'upload', pg_catalog.jsonb_build_object('length', p_upload_length, 'offset', 0, 'expires_at', v_expires,
                                                'storage', p_storage, 'object_path', v_path, 'filename', p_filename));
END
$$;
COMMENT ON FUNCTION api.ingest_csv_create(text, bigint, text, jsonb, text) IS
  'POST /api/v1/ingest/csv and TUS POST /api/v1/uploads: a CSV ingestion job (queued, awaiting_upload) and its upload (object <vendor>/<job>, expires in 24 h). OD422 with field errors.';

CREATE OR REPLACE FUNCTION api.ingest_upload_get(p_job_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_up     ingest.uploads;
    v_job    ingest.ingestion_jobs;
BEGIN
    SELECT * INTO v_up FROM ingest.uploads u WHERE u.vendor_id = v_vendor AND u.job_id = p_job_id;
    IF NOT FOUND THEN
        PERFORM app.raise_problem('OD404', 'upload not found');
    END IF;
    IF v_up.terminated_at IS NOT NULL THEN
        PERFORM app.raise_problem('OD410', 'the upload was terminated');
    END IF;
    IF v_up.completed_at IS NULL AND v_up.expires_at <= pg_catalog.now() THEN
        PERFORM app.raise_problem('OD410', 'the upload expired');
    END IF;
    SELECT * INTO v_job FROM ingest.ingestion_jobs j WHERE j.vendor_id = v_vendor AND j.id = p_job_id;
    RETURN app.upload_json(v_up) || pg_catalog.jsonb_build_object('mode', v_job.mode, 'status', v_job.status, 'phase', v_job.phase);
END
$$;
COMMENT ON FUNCTION api.ingest_upload_get(uuid) IS
  'TUS HEAD /api/v1/uploads/{job_id}: offset, length, expiry, storage and object path of an upload of the vendor. OD404 unknown, OD410 terminated or expired.';

CREATE OR REPLACE FUNCTION api.ingest_upload_advance(p_job_id uuid, p_expected_offset bigint, p_new_offset bigint)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_up     ingest.uploads;
    v_job    ingest.ingestion_jobs;
    v_queue  bigint;
BEGIN
    IF p_expected_offset IS NULL OR p_new_offset IS NULL OR p_expected_offset < 0 OR p_new_offset < p_expected_offset THEN
        PERFORM app.raise_problem('OD422', 'invalid offsets',
            '[{"field": "offset", "code": "invalid", "message": "0 <= expected offset <= new offset"}]');
    END IF;
    SELECT * INTO v_up FROM ingest.uploads u WHERE u.vendor_id = v_vendor AND u.job_id = p_job_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM app.raise_problem('OD404', 'upload not found');
    END IF;
    IF v_up.terminated_at IS NOT NULL THEN
        PERFORM app.raise_problem('OD410', 'the upload was terminated');
    END IF;
    IF v_up.completed_at IS NOT NULL THEN
        PERFORM app.raise_problem('OD409', 'the upload is already complete');
    END IF;
    IF v_up.expires_at <= pg_catalog.now() THEN
        PERFORM app.raise_problem('OD410', 'the upload expired');
    END IF;
    SELECT * INTO v_job FROM ingest.ingestion_jobs j WHERE j.vendor_id = v_vendor AND j.id = p_job_id FOR UPDATE;
    IF v_job.status <> 'queued' OR v_job.phase <> 'awaiting_upload' THEN
        PERFORM app.raise_problem('OD409', pg_catalog.format('the job no longer accepts its upload (status %s, phase %s)',
                                                             v_job.status, v_job.phase));
    END IF;
    IF v_up.upload_offset <> p_expected_offset THEN
        PERFORM app.raise_problem('OD409', pg_catalog.format('the upload is at offset %s, not %s', v_up.upload_offset, p_expected_offset));
    END IF;
    IF p_new_offset > v_up.upload_length THEN
        PERFORM app.raise_problem('OD413', pg_catalog.format('the upload would exceed its length of %s bytes', v_up.upload_length));
    END IF;
    IF p_new_offset > p_expected_offset THEN
        UPDATE ingest.uploads u
           SET upload_offset = p_new_offset,
               completed_at = CASE WHEN p_new_offset = u.upload_length THEN pg_catalog.now() END
         WHERE u.vendor_id = v_vendor AND u.job_id = p_job_id
        RETURNING * INTO v_up;
        IF p_new_offset = v_up.upload_length THEN
            v_queue := queue.enqueue('ingest.csv', v_vendor, pg_catalog.jsonb_build_object('job_id', p_job_id),
                                     p_dedupe_key => p_job_id::text);
            UPDATE ingest.ingestion_jobs j SET phase = 'queued', queue_job_id = v_queue
             WHERE j.vendor_id = v_vendor AND j.id = p_job_id
            RETURNING * INTO v_job;
        END IF;
    END IF;
    RETURN app.upload_json(v_up) || pg_catalog.jsonb_build_object('mode', v_job.mode, 'status', v_job.status,
                                                                   'phase', v_job.phase, 'queue_job_id', v_job.queue_job_id);
END
$$;
COMMENT ON FUNCTION api.ingest_upload_advance(uuid, bigint, bigint) IS
  'Moves an upload''s offset from p_expected_offset to p_new_offset (compare-and-set: OD409 when it is elsewhere; equal offsets only check that the caller may write there). Reaching the length completes the upload, queues the job and enqueues its ingest.csv worker job, in the same transaction. OD404 unknown, OD410 terminated or expired, OD409 complete.';

CREATE OR REPLACE FUNCTION api.ingest_upload_terminate(p_job_id uuid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_up     ingest.uploads;
    v_job    ingest.ingestion_jobs;
BEGIN
    SELECT * INTO v_up FROM ingest.uploads u WHERE u.vendor_id = v_vendor AND u.job_id = p_job_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM app.raise_problem('OD404', 'upload not found');
    END IF;
    IF v_up.terminated_at IS NOT NULL THEN
        PERFORM app.raise_problem('OD410', 'the upload was terminated');
    END IF;
    SELECT * INTO v_job FROM ingest.ingestion_jobs j WHERE j.vendor_id = v_vendor AND j.id = p_job_id FOR UPDATE;
    IF v_job.status IN ('completed', 'failed') THEN
        PERFORM app.raise_problem('OD409', pg_catalog.format('the job already ended (status %s)', v_job.status));
    END IF;
    UPDATE ingest.uploads u SET terminated_at = pg_catalog.now() WHERE u.vendor_id = v_vendor AND u.job_id = p_job_id;
    UPDATE ingest.ingestion_jobs j SET status = 'canceled', finished_at = coalesce(j.finished_at, pg_catalog.now())
     WHERE j.vendor_id = v_vendor AND j.id = p_job_id;
    IF v_job.queue_job_id IS NOT NULL THEN
        PERFORM queue.cancel(v_job.queue_job_id);
    END IF;
    PERFORM audit.record('ingest_terminate', 'ingest.ingestion_jobs', p_job_id::text, v_vendor,
                         pg_catalog.jsonb_build_object('status', v_job.status, 'phase', v_job.phase, 'offset', v_up.upload_offset),
                         '{"status": "canceled"}');
    RETURN pg_catalog.jsonb_build_object('job_id', p_job_id, 'status', 'canceled', 'terminated', true,
                                         'storage', v_up.storage, 'object_path', v_up.object_path);
END
$$;
COMMENT ON FUNCTION api.ingest_upload_terminate(uuid) IS
  'TUS DELETE /api/v1/uploads/{job_id}: terminates the upload, cancels its job (and its queued or running worker job). OD404 unknown, OD410 already terminated, OD409 job already ended.';

-- Jobs as the API shows them (moved here from functions/api_ops: they read ingest.uploads, which
-- schema/ingest_pipeline creates after that change).
CREATE OR REPLACE FUNCTION api.get_job(p_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_body   jsonb;
BEGIN
    SELECT app.ingestion_job_json(j, u, app.ingest_job_has_errors(j.vendor_id, j.id)) INTO v_body
      FROM ingest.ingestion_jobs j
      LEFT JOIN ingest.uploads u ON u.vendor_id = j.vendor_id AND u.job_id = j.id
     WHERE j.vendor_id = v_vendor AND j.id = p_id;
    IF v_body IS NULL THEN
        PERFORM app.raise_problem('OD404', 'job not found');
    END IF;
    RETURN v_body;
END
$$;
COMMENT ON FUNCTION api.get_job(uuid) IS
  'GET /api/v1/jobs/{id}: status, phase, progress, upload progress, totals and error_url of an ingestion job of the vendor.';

CREATE OR REPLACE FUNCTION api.list_jobs(p_status text DEFAULT NULL, p_cursor text DEFAULT NULL, p_limit integer DEFAULT NULL)
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
    IF v_pos IS NOT NULL AND v_pos ->> 's' IS DISTINCT FROM 'jobs' THEN
        PERFORM app.raise_problem('OD400', 'invalid cursor',
            '[{"field": "cursor", "code": "invalid", "message": "not a cursor of this list"}]');
    END IF;
    IF p_status IS NOT NULL AND p_status <> ALL (pg_catalog.enum_range(NULL::ingest.job_status)::text[]) THEN
        PERFORM app.raise_problem('OD422', 'unknown status',
            '[{"field": "status", "code": "invalid", "message": "one of queued, running, failed, completed, canceled"}]');
    END IF;
    SELECT coalesce(pg_catalog.jsonb_agg(t.body ORDER BY t.n) FILTER (WHERE t.n <= v_limit), '[]'),
           pg_catalog.count(*),
           (pg_catalog.array_agg(pg_catalog.jsonb_build_object('s', 'jobs', 'c', t.created_at, 'i', t.id)) FILTER (WHERE t.n = v_limit))[1]
      INTO v_items, v_count, v_last
      FROM (SELECT app.ingestion_job_json(j, u, app.ingest_job_has_errors(j.vendor_id, j.id)) AS body, j.created_at, j.id,
                   pg_catalog.row_number() OVER (ORDER BY j.created_at DESC, j.id DESC) AS n
              FROM ingest.ingestion_jobs j
              LEFT JOIN ingest.uploads u ON u.vendor_id = j.vendor_id AND u.job_id = j.id
             WHERE j.vendor_id = v_vendor
               AND (p_status IS NULL OR j.status = p_status::ingest.job_status)
               AND (v_pos IS NULL OR (j.created_at, j.id) < ((v_pos ->> 'c')::timestamptz, (v_pos ->> 'i')::uuid))
             ORDER BY j.created_at DESC, j.id DESC LIMIT v_limit + 1) t;
    RETURN pg_catalog.jsonb_build_object('items', v_items, 'limit', v_limit,
        'next_cursor', CASE WHEN v_count > v_limit THEN app.cursor_encode(v_last) END);
END
$$;
COMMENT ON FUNCTION api.list_jobs(text, text, integer) IS
  'GET /api/v1/jobs: the vendor''s ingestion jobs (with phase, upload progress, error_url), newest first, keyset-paginated.';

CREATE OR REPLACE FUNCTION ingest.expire_uploads(p_limit integer DEFAULT 100)
RETURNS TABLE (job_id uuid, vendor_id uuid, storage text, object_path text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_saved  text := coalesce(pg_catalog.current_setting('odyssey.vendor_id', true), '');
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_vendors uuid[];
    v_vendor uuid;
    v_up     ingest.uploads;
    v_left   integer := greatest(coalesce(p_limit, 100), 1);
BEGIN
    -- Every vendor: the owner reads them all only inside machinery like this (policy
    -- vendors_machinery, policies/vendors_machinery), for this one statement.
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    v_vendors := ARRAY(SELECT v.id FROM core.vendors v ORDER BY v.id);
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    -- Vendor by vendor (the tables' RLS is forced for the owner too): uploads never completed nor
    -- terminated whose expiry has passed. Each is terminated and its job failed (upload_expired,
    -- with the job.failed event); the caller (a worker) then deletes the bytes it is told about.
    -- SKIP LOCKED: a PATCH writing the upload right now keeps it (its offset update then gets 410).
    FOREACH v_vendor IN ARRAY v_vendors LOOP
        PERFORM pg_catalog.set_config('odyssey.vendor_id', v_vendor::text, true);
        FOR v_up IN
            SELECT * FROM ingest.uploads u
             WHERE u.vendor_id = v_vendor AND u.completed_at IS NULL AND u.terminated_at IS NULL
               AND u.expires_at <= pg_catalog.now()
             ORDER BY u.expires_at
             LIMIT v_left
               FOR UPDATE SKIP LOCKED
        LOOP
            UPDATE ingest.uploads u SET terminated_at = pg_catalog.now()
             WHERE u.vendor_id = v_vendor AND u.job_id = v_up.job_id;
            PERFORM ingest.job_fail(v_up.job_id, 'upload_expired',
                pg_catalog.format('the upload expired at %s with %s of %s bytes received; start a new ingestion',
                                  v_up.expires_at, v_up.upload_offset, coalesce(v_up.upload_length::text, 'unknown')));
            job_id := v_up.job_id;
            vendor_id := v_vendor;
            storage := v_up.storage;
            object_path := v_up.object_path;
            RETURN NEXT;
            v_left := v_left - 1;
        END LOOP;
        EXIT WHEN v_left <= 0;
    END LOOP;
    PERFORM pg_catalog.set_config('odyssey.vendor_id', v_saved, true);
END
$$;
COMMENT ON FUNCTION ingest.expire_uploads(integer) IS
  'Ends up to p_limit expired uploads (never completed, past expires_at): upload terminated, job failed (upload_expired, job.failed event). Returns each one''s storage and object path: the worker deletes the bytes.';

GRANT EXECUTE ON FUNCTION ingest.expire_uploads(integer) TO odyssey_worker;
GRANT EXECUTE ON FUNCTION app.upload_json(ingest.uploads), app.ingest_job_has_errors(uuid, uuid),
                          app.ingestion_job_json(ingest.ingestion_jobs, ingest.uploads, boolean)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
GRANT EXECUTE ON FUNCTION api.ingest_upload_get(uuid), api.get_job(uuid), api.list_jobs(text, text, integer)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
GRANT EXECUTE ON FUNCTION api.ingest_csv_create(text, bigint, text, jsonb, text),
                          api.ingest_upload_advance(uuid, bigint, bigint), api.ingest_upload_terminate(uuid)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;

COMMIT;
