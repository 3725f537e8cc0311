-- CSV ingestion uploads: creation and its validation, the offset compare-and-set, completion
-- (queues the job and enqueues exactly one ingest.csv worker job in the same transaction),
-- termination (cancels the job and its worker job), expiry, jobs with phase / upload progress /
-- error_url; another vendor gets OD404 from every function; a viewer reads but never writes.
BEGIN;
SELECT plan(61);

DO $$
BEGIN
    PERFORM set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000a1', true);
    INSERT INTO core.vendors (id, name) VALUES ('a0000000-0000-4000-8000-0000000000a1', 'uploads vendor A');
    PERFORM set_config('odyssey.vendor_id', 'b0000000-0000-4000-8000-0000000000b1', true);
    INSERT INTO core.vendors (id, name) VALUES ('b0000000-0000-4000-8000-0000000000b1', 'uploads vendor B');
    PERFORM set_config('odyssey.vendor_id', '', true);
END
$$;
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid, body jsonb);
GRANT ALL ON ids TO PUBLIC;

\ir fixtures/problem_fields.psql

-- Acting in vendor A as its operator.
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000a1', true),
       set_config('odyssey.user_id', 'tap-operator-a', true);
SET LOCAL ROLE odyssey_vendor_operator;

-- 1. Creation and its validation
SELECT throws_ok($$ SELECT api.ingest_csv_create('recipes', 0, 'x.csv', '{}') $$, 'OD422', 'invalid ingestion request',
                 'an unknown mode and an empty file are refused');
SELECT is(pg_temp.problem_fields($$ SELECT api.ingest_csv_create('recipes', 0, 'x.csv', '{}') $$), ARRAY['mode', 'size'],
          'both fields are reported together');
SELECT is(pg_temp.problem_fields($$ SELECT api.ingest_csv_create(NULL, 10737418241, repeat('f', 256), '[1]') $$),
          ARRAY['filename', 'metadata', 'mode', 'size'], 'missing mode, > 10 GiB, a long filename and non-object metadata are reported');
SELECT is(pg_temp.problem_fields($$ SELECT api.ingest_csv_create('products', NULL, NULL, NULL) $$), ARRAY['size'],
          'the size is required');
SELECT lives_ok($$ INSERT INTO ids SELECT 'max', NULL, api.ingest_csv_create('customers', 10737418240, NULL, NULL) $$,
                'exactly 10 GiB is accepted');
INSERT INTO ids SELECT 'nullmeta', (b ->> 'job_id')::uuid, b FROM api.ingest_csv_create('products', 1, NULL, 'null') b;
SELECT is((SELECT u.metadata FROM ingest.uploads u JOIN ids ON ids.id = u.job_id WHERE ids.name = 'nullmeta'), '{}'::jsonb,
          'JSON null metadata (a body without "metadata") is no metadata');
INSERT INTO ids SELECT 'one', (b ->> 'job_id')::uuid, b
  FROM api.ingest_csv_create('products', 100, 'catalog.csv', '{"source": "erp"}') b;
SELECT is((SELECT body - 'job_id' - 'upload' FROM ids WHERE name = 'one'),
          '{"mode": "products", "status": "queued", "phase": "awaiting_upload"}'::jsonb, 'a created job is queued, awaiting its upload');
SELECT is((SELECT (body -> 'upload') - 'expires_at' FROM ids WHERE name = 'one'),
          jsonb_build_object('length', 100, 'offset', 0, 'storage', 'local', 'filename', 'catalog.csv',
                             'object_path', 'a0000000-0000-4000-8000-0000000000a1/' || (SELECT id FROM ids WHERE name = 'one')),
          'its upload starts at offset 0, stored at <vendor>/<job>');
SELECT ok((SELECT (body #>> '{upload,expires_at}')::timestamptz BETWEEN now() + interval '23 hours 59 minutes' AND now() + interval '24 hours 1 minute'
             FROM ids WHERE name = 'one'), 'the upload expires in 24 hours');
SELECT results_eq($$ SELECT status::text, phase, params, created_by FROM ingest.ingestion_jobs WHERE id = (SELECT id FROM ids WHERE name = 'one') $$,
                  $$ VALUES ('queued', 'awaiting_upload', '{"filename": "catalog.csv", "size": 100, "source": "csv"}'::jsonb, 'tap-operator-a') $$,
                  'the job row: params {filename, size, source} and the creator');
SELECT results_eq($$ SELECT storage, upload_length, upload_offset, metadata FROM ingest.uploads WHERE job_id = (SELECT id FROM ids WHERE name = 'one') $$,
                  $$ VALUES ('local', 100::bigint, 0::bigint, '{"source": "erp"}'::jsonb) $$, 'the upload row keeps the metadata');
SELECT is((api.ingest_csv_create('customers', 5, 'c.csv', '{}', 'supabase') #>> '{upload,storage}'), 'supabase',
          'the gateway may put the bytes in Supabase Storage');
SELECT throws_ok($$ SELECT api.ingest_csv_create('customers', 5, 'c.csv', '{}', 'ftp') $$, 'OD422', 'invalid ingestion request',
                 'no other storage');

-- 2. Reading and moving the offset (compare-and-set)
SELECT is((SELECT api.ingest_upload_get(id) ->> 'offset' FROM ids WHERE name = 'one'), '0', 'get: offset 0');
SELECT throws_ok(format('SELECT api.ingest_upload_advance(%L, 5, 10)', (SELECT id FROM ids WHERE name = 'one')), 'OD409',
                 'the upload is at offset 0, not 5', 'an advance from the wrong offset is a conflict');
SELECT is((SELECT api.ingest_upload_advance(id, 0, 0) ->> 'offset' FROM ids WHERE name = 'one'), '0',
          'an advance by nothing only checks that the caller may write at that offset');
SELECT is((SELECT api.ingest_upload_advance(id, 0, 40) - 'expires_at' - 'job_id' - 'object_path' - 'metadata' FROM ids WHERE name = 'one'),
          '{"storage": "local", "filename": "catalog.csv", "length": 100, "offset": 40, "expired": false, "completed": false,
            "completed_at": null, "terminated": false, "terminated_at": null, "mode": "products", "status": "queued",
            "phase": "awaiting_upload", "queue_job_id": null}'::jsonb,
          'advance 0 -> 40: not complete, nothing enqueued');
SELECT throws_ok(format('SELECT api.ingest_upload_advance(%L, 0, 50)', (SELECT id FROM ids WHERE name = 'one')), 'OD409',
                 'the upload is at offset 40, not 0', 'a stale expected offset is a conflict (nothing moves)');
SELECT throws_ok(format('SELECT api.ingest_upload_advance(%L, 40, 101)', (SELECT id FROM ids WHERE name = 'one')), 'OD413',
                 'the upload would exceed its length of 100 bytes', 'past the length: refused');
SELECT throws_ok(format('SELECT api.ingest_upload_advance(%L, 40, 39)', (SELECT id FROM ids WHERE name = 'one')), 'OD422',
                 'invalid offsets', 'backwards: refused');
SELECT is((SELECT upload_offset FROM ingest.uploads WHERE job_id = (SELECT id FROM ids WHERE name = 'one')), 40::bigint,
          'the refused advances changed nothing');

-- 3. Completion queues the job and enqueues exactly one ingest.csv worker job
UPDATE ids SET body = api.ingest_upload_advance(id, 40, 100) WHERE name = 'one';
SELECT is((SELECT body ->> 'completed' || '/' || (body ->> 'phase') FROM ids WHERE name = 'one'), 'true/queued',
          'the last byte completes the upload and queues the job');
SELECT results_eq($$ SELECT kind, payload, dedupe_key FROM queue.jobs WHERE payload ->> 'job_id' = (SELECT id::text FROM ids WHERE name = 'one') $$,
                  $$ SELECT 'ingest.csv', jsonb_build_object('job_id', id), id::text FROM ids WHERE name = 'one' $$,
                  'exactly one ingest.csv queue job, payload {job_id}, deduplicated on the job id');
SELECT is((SELECT queue_job_id FROM ingest.ingestion_jobs WHERE id = (SELECT id FROM ids WHERE name = 'one')),
          (SELECT id FROM queue.jobs WHERE payload ->> 'job_id' = (SELECT id::text FROM ids WHERE name = 'one')),
          'the job remembers its queue job');
SELECT results_eq($$ SELECT phase, completed_at IS NOT NULL FROM ingest.ingestion_jobs j JOIN ingest.uploads u ON u.job_id = j.id
                      WHERE j.id = (SELECT id FROM ids WHERE name = 'one') $$,
                  $$ VALUES ('queued', true) $$, 'phase queued, upload completed_at set');
SELECT throws_ok(format('SELECT api.ingest_upload_advance(%L, 100, 100)', (SELECT id FROM ids WHERE name = 'one')), 'OD409',
                 'the upload is already complete', 'a complete upload takes no more bytes');
SELECT is((SELECT count(*) FROM queue.jobs WHERE payload ->> 'job_id' = (SELECT id::text FROM ids WHERE name = 'one')), 1::bigint,
          'still one queue job');

-- 4. Jobs show phase, upload progress and error_url
SELECT is((SELECT api.get_job(id) ->> 'phase' FROM ids WHERE name = 'one'), 'queued', 'get_job: phase');
SELECT is((SELECT api.get_job(id) -> 'upload' -> 'offset' FROM ids WHERE name = 'one'), '100'::jsonb, 'get_job: upload offset');
SELECT is((SELECT api.get_job(id) -> 'upload' -> 'length' FROM ids WHERE name = 'one'), '100'::jsonb, 'get_job: upload length');
SELECT is((SELECT api.get_job(id) -> 'error_url' FROM ids WHERE name = 'one'), 'null'::jsonb, 'no errors: no error_url');
SELECT ok((SELECT bool_or(i ->> 'id' = (SELECT id::text FROM ids WHERE name = 'one') AND i ->> 'phase' = 'queued'
                          AND i #>> '{upload,offset}' = '100')
             FROM jsonb_array_elements(api.list_jobs(NULL, NULL, 200) -> 'items') i), 'list_jobs: phase and upload progress');
RESET ROLE;
INSERT INTO ingest.ingestion_job_errors (vendor_id, job_id, row_no, code, message)
SELECT 'a0000000-0000-4000-8000-0000000000a1', id, 7, 'bad_value', 'price is not a number' FROM ids WHERE name = 'one';
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT is((SELECT api.get_job(id) ->> 'error_url' FROM ids WHERE name = 'one'),
          (SELECT '/api/v1/jobs/' || id || '/errors.csv' FROM ids WHERE name = 'one'),
          'with errors: error_url, even for a viewer (who cannot read the errors themselves)');
SELECT is((SELECT i ->> 'error_url' FROM jsonb_array_elements(api.list_jobs(NULL, NULL, 200) -> 'items') i
            WHERE i ->> 'id' = (SELECT id::text FROM ids WHERE name = 'one')),
          (SELECT '/api/v1/jobs/' || id || '/errors.csv' FROM ids WHERE name = 'one'), 'list_jobs: error_url too');

-- 5. A viewer reads uploads but never writes
SELECT is((SELECT api.ingest_upload_get(id) ->> 'offset' FROM ids WHERE name = 'one'), '100', 'viewer: get');
SELECT throws_ok($$ SELECT api.ingest_csv_create('products', 10, 'v.csv', '{}') $$, '42501', NULL, 'viewer: cannot create');
SELECT throws_ok(format('SELECT api.ingest_upload_advance(%L, 0, 0)', (SELECT id FROM ids WHERE name = 'one')), '42501', NULL,
                 'viewer: cannot advance');
SELECT throws_ok(format('SELECT api.ingest_upload_terminate(%L)', (SELECT id FROM ids WHERE name = 'one')), '42501', NULL,
                 'viewer: cannot terminate');
RESET ROLE;

-- 6. Another vendor: every function answers OD404
SELECT set_config('odyssey.vendor_id', 'b0000000-0000-4000-8000-0000000000b1', true),
       set_config('odyssey.user_id', 'tap-admin-b', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT throws_ok(format('SELECT api.ingest_upload_get(%L)', (SELECT id FROM ids WHERE name = 'one')), 'OD404', 'upload not found',
                 'vendor B: get -> 404');
SELECT throws_ok(format('SELECT api.ingest_upload_advance(%L, 100, 100)', (SELECT id FROM ids WHERE name = 'one')), 'OD404',
                 'upload not found', 'vendor B: advance -> 404');
SELECT throws_ok(format('SELECT api.ingest_upload_terminate(%L)', (SELECT id FROM ids WHERE name = 'one')), 'OD404',
                 'upload not found', 'vendor B: terminate -> 404');
SELECT throws_ok(format('SELECT api.get_job(%L)', (SELECT id FROM ids WHERE name = 'one')), 'OD404', 'job not found',
                 'vendor B: get_job -> 404');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.list_jobs(NULL, NULL, 200) -> 'items') i
            WHERE i ->> 'id' = (SELECT id::text FROM ids WHERE name = 'one')), 0::bigint, 'vendor B: not in list_jobs');
RESET ROLE;

-- 7. Termination
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000a1', true),
       set_config('odyssey.user_id', 'tap-operator-a', true);
SET LOCAL ROLE odyssey_vendor_operator;
INSERT INTO ids SELECT 'two', (b ->> 'job_id')::uuid, b FROM api.ingest_csv_create('customers', 10, 'people.csv', NULL) b;
SELECT is((SELECT api.ingest_upload_advance(id, 0, 4) ->> 'offset' FROM ids WHERE name = 'two'), '4', 'a partial upload');
SELECT is((SELECT api.ingest_upload_terminate(id) - 'job_id' - 'object_path' FROM ids WHERE name = 'two'),
          '{"status": "canceled", "terminated": true, "storage": "local"}'::jsonb, 'terminate: the job is canceled');
SELECT results_eq($$ SELECT j.status::text, u.terminated_at IS NOT NULL, j.finished_at IS NOT NULL
                       FROM ingest.ingestion_jobs j JOIN ingest.uploads u ON u.job_id = j.id WHERE j.id = (SELECT id FROM ids WHERE name = 'two') $$,
                  $$ VALUES ('canceled', true, true) $$, 'job canceled and finished, upload terminated');
SELECT throws_ok(format('SELECT api.ingest_upload_get(%L)', (SELECT id FROM ids WHERE name = 'two')), 'OD410',
                 'the upload was terminated', 'a terminated upload is gone');
SELECT throws_ok(format('SELECT api.ingest_upload_advance(%L, 4, 10)', (SELECT id FROM ids WHERE name = 'two')), 'OD410',
                 'the upload was terminated', 'and takes no bytes');
SELECT throws_ok(format('SELECT api.ingest_upload_terminate(%L)', (SELECT id FROM ids WHERE name = 'two')), 'OD410',
                 'the upload was terminated', 'terminating twice: gone');
-- A completed upload whose job has not started: terminating it cancels the queued worker job.
SELECT is((SELECT api.ingest_upload_terminate(id) ->> 'status' FROM ids WHERE name = 'one'), 'canceled', 'terminate after completion');
SELECT is((SELECT count(*) FROM queue.jobs WHERE payload ->> 'job_id' = (SELECT id::text FROM ids WHERE name = 'one')), 0::bigint,
          'the queued ingest.csv job is removed');

-- 8. Expiry
INSERT INTO ids SELECT 'old', (b ->> 'job_id')::uuid, b FROM api.ingest_csv_create('products', 10, 'old.csv', NULL) b;
RESET ROLE;
UPDATE ingest.uploads SET expires_at = now() - interval '1 second' WHERE job_id = (SELECT id FROM ids WHERE name = 'old');
SET LOCAL ROLE odyssey_vendor_operator;
SELECT throws_ok(format('SELECT api.ingest_upload_get(%L)', (SELECT id FROM ids WHERE name = 'old')), 'OD410', 'the upload expired',
                 'an expired upload is gone');
SELECT throws_ok(format('SELECT api.ingest_upload_advance(%L, 0, 1)', (SELECT id FROM ids WHERE name = 'old')), 'OD410',
                 'the upload expired', 'and takes no bytes');
INSERT INTO ids SELECT 'fresh', (b ->> 'job_id')::uuid, b FROM api.ingest_csv_create('products', 10, 'fresh.csv', NULL) b;
RESET ROLE;
UPDATE ingest.uploads SET expires_at = now() - interval '1 hour' WHERE job_id = (SELECT id FROM ids WHERE name = 'one');

-- The sweep (a worker, across vendors): each expired upload ends -- terminated, its job failed
-- with upload_expired and a job.failed event -- and is named for its bytes to be deleted. Live,
-- completed and terminated uploads stay as they are.
CREATE TEMP TABLE swept (sweep int, job_id uuid, vendor_id uuid, storage text, object_path text);
GRANT ALL ON swept TO PUBLIC;
SELECT set_config('odyssey.vendor_id', 'b0000000-0000-4000-8000-0000000000b1', true);
SET LOCAL ROLE odyssey_worker;
INSERT INTO swept SELECT 1, * FROM ingest.expire_uploads();
SELECT is(current_setting('odyssey.vendor_id'), 'b0000000-0000-4000-8000-0000000000b1', 'the caller''s vendor setting is given back');
INSERT INTO swept SELECT 2, * FROM ingest.expire_uploads();
RESET ROLE;
SELECT results_eq($$ SELECT job_id, vendor_id, storage, object_path FROM swept WHERE sweep = 1 $$,
                  $$ SELECT u.job_id, u.vendor_id, u.storage::text, u.object_path FROM ingest.uploads u
                      WHERE u.job_id = (SELECT id FROM ids WHERE name = 'old') $$,
                  'the sweep ends the expired upload, and only it, and names its file');
SELECT is_empty($$ SELECT * FROM swept WHERE sweep = 2 $$, 'a second sweep finds nothing');
-- The sweep reads the vendor list as the owner in the machinery scope (policy vendors_machinery);
-- a vendor role that sets the same scope still sees its own vendor only.
SELECT set_config('odyssey.queue_scope', 'machinery', true), set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000a1', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT results_eq($$ SELECT id FROM core.vendors $$, $$ VALUES ('a0000000-0000-4000-8000-0000000000a1'::uuid) $$,
                  'the machinery scope opens nothing to a vendor role');
RESET ROLE;
SELECT set_config('odyssey.queue_scope', '', true);
SELECT results_eq($$ SELECT j.status::text, j.totals -> 'error' ->> 'code', u.terminated_at IS NOT NULL
                       FROM ingest.ingestion_jobs j JOIN ingest.uploads u ON u.job_id = j.id
                      WHERE j.id = (SELECT id FROM ids WHERE name = 'old') $$,
                  $$ VALUES ('failed', 'upload_expired', true) $$, 'its job failed (upload_expired) and the upload is terminated');
SELECT is((SELECT count(*) FROM hooks.events WHERE event_type = 'job.failed'
             AND data ->> 'job_id' = (SELECT id::text FROM ids WHERE name = 'old')), 1::bigint, 'with its job.failed event');
SELECT results_eq($$ SELECT u.terminated_at IS NULL, j.status::text FROM ingest.uploads u JOIN ingest.ingestion_jobs j ON j.id = u.job_id
                      WHERE u.job_id = (SELECT id FROM ids WHERE name = 'fresh') $$,
                  $$ VALUES (true, 'queued') $$, 'an upload within its expiry is left alone');

-- 9. A superadmin outside any vendor cannot create (no tenant)
SELECT set_config('odyssey.vendor_id', '', true);
SET LOCAL ROLE odyssey_superadmin;
SELECT throws_ok($$ SELECT api.ingest_csv_create('products', 10, 'x.csv', NULL) $$, 'OD400', NULL,
                 'a superadmin must act inside a vendor (X-Vendor-Id + X-Justification)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
