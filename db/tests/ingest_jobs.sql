-- CSV ingestion jobs driven through the SQL pipeline as the worker drives them (gateway/worker/
-- ingest.py), in one transaction: begin, plan, COPY chunks into pg_temp.ingest_raw (INSERTed here
-- instead of COPY), stage, report unreadable records, validate, merge in batches, analyze,
-- finalize; every per-row error code of both modes from a crafted bad row; re-merge counts
-- unchanged rows; job.completed / job.failed events; cancel; the error report; tenant isolation.
BEGIN;
SELECT plan(99);

DO $$ BEGIN
    PERFORM set_config('odyssey.vendor_id', 'a3a3a3a3-0000-4000-8000-00000000000a', true);
    INSERT INTO core.vendors (id, name) VALUES ('a3a3a3a3-0000-4000-8000-00000000000a', 'ingest jobs vendor A');
    -- A product that already owns a barcode (duplicate_barcode).
    INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, barcode)
    VALUES (catalog.product_id('a3a3a3a3-0000-4000-8000-00000000000a', 'pre-1'), 'a3a3a3a3-0000-4000-8000-00000000000a', 'pre-1',
            'Existing', '', '', (SELECT id FROM catalog.tax_categories WHERE code = 'bakery'), 1, '4006381333931');
    -- Jobs with complete uploads: 1 products, 2 products again, 3 customers, 4 a customers file in
    -- products mode, 5 canceled while queued, 6 upload incomplete.
    INSERT INTO ingest.ingestion_jobs (id, vendor_id, mode, phase)
    SELECT ('00000000-0000-4000-8000-00000000000' || i)::uuid, 'a3a3a3a3-0000-4000-8000-00000000000a',
           CASE WHEN i = 3 THEN 'customers' ELSE 'products' END::ingest.job_mode, 'queued'
      FROM generate_series(1, 6) i;
    INSERT INTO ingest.uploads (job_id, vendor_id, object_path, upload_length, upload_offset, completed_at)
    SELECT j.id, j.vendor_id, j.vendor_id || '/' || j.id, 100, CASE WHEN j.id::text LIKE '%6' THEN 50 ELSE 100 END,
           CASE WHEN j.id::text LIKE '%6' THEN NULL ELSE now() END
      FROM ingest.ingestion_jobs j WHERE j.vendor_id = 'a3a3a3a3-0000-4000-8000-00000000000a';
    UPDATE ingest.ingestion_jobs j SET queue_job_id = queue.enqueue('ingest.csv', j.vendor_id, jsonb_build_object('job_id', j.id), 0, NULL, j.id::text)
     WHERE j.id = '00000000-0000-4000-8000-000000000005';
END $$;

\ir fixtures/ingest_jobs.psql
CREATE TEMP TABLE steps (name text PRIMARY KEY, result jsonb);
GRANT ALL ON steps TO PUBLIC;

SELECT set_config('odyssey.vendor_id', 'a3a3a3a3-0000-4000-8000-00000000000a', true);
SET LOCAL ROLE odyssey_worker;

-- ================================================================ job 1: products, step by step
SELECT is(pg_temp.refusal($$ SELECT ingest.job_begin('00000000-0000-4000-8000-000000000006') $$), 'OD409',
          'a job whose upload is not complete cannot begin');
INSERT INTO steps SELECT 'begin', ingest.job_begin('00000000-0000-4000-8000-000000000001');
SELECT is((SELECT result - 'checkpoint' - 'job_id' - 'vendor_id' - 'created_by' FROM steps WHERE name = 'begin'),
          jsonb_build_object('mode', 'products', 'status', 'running', 'phase', 'copying', 'attempt', 1, 'finished', false,
                             'upload', jsonb_build_object('storage', 'local', 'length', 100,
                                                          'object_path', 'a3a3a3a3-0000-4000-8000-00000000000a/00000000-0000-4000-8000-000000000001')),
          'job_begin: running, copying, first attempt, where the file is');
CREATE TEMP TABLE file1 AS SELECT
    E'sku,name,brand,categories,sub_category,price,currency,status,barcode,gtin_type,serving_size,energy-kj_100g,salt_100g,proteins,allergens,labels,url,description,cuisine,market\n' AS header,
    E'p1,Oat drink,Oatly,Beverages,,"3,49",,,7394376616037,,250 ml,200,0.1,"1,0",Oats; whey,vegan|organic,https://x.example/p1,"Creamy, smooth",European,EU\n'
    || E'p2,Rye bread,,bakery,,$2.00,,,,,,,,,,,,,,\n'
    || E'p3,,Acme,bakery,,1,,,,,,,,,,,,,,\n'
    || format(E'p4,%s,Acme,bakery,,1,,,,,,,,,,,,,,\n', repeat('x', 501))
    || E'p5,Bad price,Acme,bakery,,abc,,,,,,,,,,,,,,\n'
    || E'p6,Negative protein,Acme,bakery,,1,,,,,,,,-1,,,,,,\n'
    || E'p7,Unknown category,Acme,Nope,,1,,,,,,,,,,,,,,\n'
    || E'p8,Bad status,Acme,bakery,,1,,discontinued,,,,,,,,,,,,\n' AS chunk1,
    E'p1,Same id again,,bakery,,1,,,,,,,,,,,,,,\n'
    || E'p10,Taken barcode,,bakery,,1,,,4006381333931,,,,,,,,,,,\n'
    || E'p11,Sub is category,,bakery,Bakery,1,,,,,,,,,,,,,,\n'
    || E'p12,Same barcode again,,bakery,,1,,,739-4376-616037,,,,,,,,,,,\n'
    || E'p14,Huge price,,bakery,,9999999999.999,,,,,,,,,,,,,,\n'
    || E'p15,Type without barcode,,bakery,,1,,,,ean_13,,,,,,,,,,\n'
    || E'p16,Good after bad,,snacks,,"1,234.50",eur,Inactive,,,30 g,,,,,,,,,\n'
    || E'p17,Bad currency,,bakery,,1,dollars,,,,,,,,,,,,,\n' AS chunk2;
GRANT SELECT ON file1 TO PUBLIC;
INSERT INTO steps SELECT 'plan', ingest.job_plan('00000000-0000-4000-8000-000000000001', convert_to(header || chunk1, 'UTF8')) FROM file1;
SELECT is((SELECT result -> 'format' FROM steps WHERE name = 'plan'),
          jsonb_build_object('encoding', 'UTF8', 'bom', false, 'delimiter', ',', 'columns', 20, 'encoding_settled', false,
                             'data_offset', (SELECT octet_length(header) FROM file1),
                             'header', (SELECT to_jsonb(string_to_array(rtrim(header, E'\n'), ',')) FROM file1)),
          'job_plan records the format: encoding (not settled by an ASCII sample), delimiter, header, where the data starts');
SELECT is((SELECT result #> '{plan,missing}' FROM steps WHERE name = 'plan'), '[]', 'no required column is missing');
SELECT is(ingest.job_copy_resume('00000000-0000-4000-8000-000000000001'),
          jsonb_build_object('offset', (SELECT octet_length(header) FROM file1), 'rows', 0), 'the copy starts at the data offset');
SELECT pg_temp.raw_table(20);
INSERT INTO steps SELECT 'chunk1', ingest.job_stage_chunk('00000000-0000-4000-8000-000000000001', pg_temp.copy_chunk(chunk1, 20, ','), NULL) FROM file1;
SELECT is((SELECT result FROM steps WHERE name = 'chunk1'),
          jsonb_build_object('offset', (SELECT octet_length(header || chunk1) FROM file1), 'rows', 8),
          'job_stage_chunk: 8 records staged, the checkpoint advanced by the chunk''s bytes');
SELECT is((SELECT count(*) FROM pg_temp.ingest_raw), 0::bigint, 'the chunk table is emptied for the next chunk');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_stage_chunk('00000000-0000-4000-8000-000000000001', 10, 0, (SELECT octet_length(header) FROM file1)) $$),
          'OD409 stale', 'a chunk read from where the copy was before (by a worker that lost the job to another) is refused');
-- Chunk 2 as the worker stages a chunk COPY refused: good records with explicit numbers, the
-- unreadable one (record 5 of the chunk = row 13) reported as a defect.
SELECT pg_temp.copy_chunk(split_part(chunk2, E'\n', 1) || E'\n' || split_part(chunk2, E'\n', 2) || E'\n' || split_part(chunk2, E'\n', 3)
                          || E'\n' || split_part(chunk2, E'\n', 4), 20, ',', 1),
       pg_temp.copy_chunk(substr(chunk2, length(split_part(chunk2, E'\n', 1) || split_part(chunk2, E'\n', 2) || split_part(chunk2, E'\n', 3)
                                                || split_part(chunk2, E'\n', 4)) + 5), 20, ',', 6)
  FROM file1;
INSERT INTO steps SELECT 'chunk2', ingest.job_stage_chunk('00000000-0000-4000-8000-000000000001', octet_length(chunk2) + 20, 9,
                                                          octet_length(header || chunk1)) FROM file1;
SELECT ingest.job_row_defect('00000000-0000-4000-8000-000000000001', 8 + 5, 'wrong_field_count', 'the record has 3 fields, the header 20',
                             '{"fields": ["p13", "Short", "row"]}');
SELECT is((SELECT result ->> 'rows' FROM steps WHERE name = 'chunk2'), '17', 'chunk 2: rows 9..17 (one of them a defect)');
SELECT is((SELECT array_agg(row_no ORDER BY row_no) FROM ingest.stg_products WHERE job_id = '00000000-0000-4000-8000-000000000001'),
          ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17]::bigint[], 'staged rows are numbered through the file');
SELECT is((SELECT (energy_kcal, sodium_mg, protein_g, price) FROM ingest.stg_products
            WHERE job_id = '00000000-0000-4000-8000-000000000001' AND row_no = 1),
          ROW(round(200 / 4.184 * 250 / 100, 3)::text, round(0.1 * 1000 / 2.5 * 250 / 100, 3)::text, '1.0'::text, '3.49'::text),
          'staging applied the unit ops (kJ/100 g and salt/100 g -> per 250 ml serving) and staged numbers in decimal-point notation');
SELECT is((SELECT (phase, progress_pct > 0) FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000001'),
          ROW('copying'::text, true), 'still copying, with progress');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_merge_next('00000000-0000-4000-8000-000000000001', 1000) ->> 'done' $$), NULL,
          'merge_next before validation does nothing (not an error)');
SELECT is(ingest.job_merge_next('00000000-0000-4000-8000-000000000001', 1000), '{"done": true, "phase": "copying"}',
          'it says the job is not merging');

SELECT is(ingest.job_validate('00000000-0000-4000-8000-000000000001'), '{"phase": "merging", "duplicates": 2}',
          'job_validate: one repeated external_id and one repeated barcode, the job moves to merging');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_stage_chunk('00000000-0000-4000-8000-000000000001', 1, 0) $$), 'OD409',
          'no more chunks once the copy is over');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_merge_next('00000000-0000-4000-8000-000000000001', 10) $$), 'OD422',
          'a merge batch below 1,000 rows is refused');
INSERT INTO steps SELECT 'merge', ingest.job_merge_next('00000000-0000-4000-8000-000000000001', 1000);
SELECT is((SELECT result - 'batch' FROM steps WHERE name = 'merge'),
          '{"done": true, "from": 1, "to": 17, "totals": {"rows_read": 17, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 14}}',
          'job_merge_next: one batch, 3 rows merged, 14 rejected');
SELECT is((SELECT result #>> '{batch,row_by_row}' FROM steps WHERE name = 'merge'), 'true',
          'the database refused rows the checks let through, so the batch was redone row by row');
SELECT is((SELECT count(*) FROM ingest.stg_products WHERE job_id = '00000000-0000-4000-8000-000000000001'), 0::bigint,
          'the merged batch left staging');
SELECT is((SELECT phase FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000001'), 'analyzing', 'then analyzing');
SELECT is(ingest.job_analyze('00000000-0000-4000-8000-000000000001'), '{"analyzed": 4}',
          'job_analyze: the vendor''s products, features, barcodes and sources partitions');
INSERT INTO steps SELECT 'final', ingest.job_finalize('00000000-0000-4000-8000-000000000001');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_finalize('00000000-0000-4000-8000-000000000001') $$), 'OD409', 'a job ends once');
RESET ROLE;

SELECT is((SELECT (status, phase, progress_pct, error_url) FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000001'),
          ROW('completed'::ingest.job_status, 'done'::text, 100::numeric(5,2), '/api/v1/jobs/00000000-0000-4000-8000-000000000001/errors.csv'::text),
          'job 1 completed, with the address of its error report');
SELECT is((SELECT totals - 'phases' - 'duration_s' FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000001'),
          '{"rows_read": 17, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 14}', 'totals add up: 17 = 3 + 14');
SELECT is((SELECT array_agg(k ORDER BY k) FROM ingest.ingestion_jobs, jsonb_object_keys(totals -> 'phases') k
            WHERE id = '00000000-0000-4000-8000-000000000001'), ARRAY['analyze_s', 'copy_s', 'merge_s', 'validate_s'],
          'and seconds per phase');
SELECT results_eq(
    $$ SELECT row_no, field, code FROM ingest.ingestion_job_errors WHERE job_id = '00000000-0000-4000-8000-000000000001' ORDER BY row_no, field $$,
    $$ VALUES (3::bigint, 'name', 'required'), (4, 'name', 'too_long'), (5, 'price', 'bad_number'), (6, 'protein_g', 'out_of_range'),
              (7, 'category', 'unknown_code'), (8, 'status', 'bad_value'), (9, 'external_id', 'duplicate_in_file'),
              (10, 'barcode', 'duplicate_barcode'), (11, 'sub_category', 'same_as_category'), (12, 'barcode', 'duplicate_in_file'),
              (13, NULL, 'wrong_field_count'), (14, NULL, 'rejected'), (15, NULL, 'rejected'), (17, 'currency', 'bad_value') $$,
    'every bad row is reported with its row number, field and code');
SELECT matches((SELECT message FROM ingest.ingestion_job_errors WHERE job_id = '00000000-0000-4000-8000-000000000001' AND row_no = 14),
               'numeric field overflow', 'a row the database refused carries the database''s reason');
SELECT is((SELECT raw ->> 'name' FROM ingest.ingestion_job_errors WHERE job_id = '00000000-0000-4000-8000-000000000001' AND row_no = 5),
          'Bad price', 'and its raw values');
SELECT is((SELECT message FROM ingest.ingestion_job_errors WHERE job_id = '00000000-0000-4000-8000-000000000001' AND row_no = 10),
          'barcode already belongs to another product of this vendor', 'messages say what is wrong');
SELECT results_eq(
    $$ SELECT external_id, name, brand, description, price, currency, status::text, barcode, gtin_type::text, serving_size,
              nutrition, allergens, dietary_tags
         FROM catalog.products WHERE vendor_id = 'a3a3a3a3-0000-4000-8000-00000000000a' AND external_id <> 'pre-1' ORDER BY external_id $$,
    $$ VALUES ('p1'::text, 'Oat drink'::text, 'Oatly'::text, 'Creamy, smooth'::text, 3.49::numeric(12,2), 'USD'::char(3), 'active',
               '7394376616037'::text, 'ean_13', '250 ml'::text,
               jsonb_build_object('energy_kcal', round(200 / 4.184 * 2.5, 3), 'sodium_mg', 100, 'protein_g', 1.0),
               ARRAY['milk', 'oats'], ARRAY['organic', 'vegan']),
              ('p16', 'Good after bad', '', '', 1234.50, 'EUR', 'inactive', NULL, NULL, '30 g', NULL, '{}', '{}'),
              ('p2', 'Rye bread', '', '', 2.00, 'USD', 'active', NULL, NULL, NULL, NULL, '{}', '{}') $$,
    'the good rows are products with typed values (decimal comma, $ and thousands read; per-serving nutrition; codes normalized)');
SELECT is((SELECT (c.code, cu.code, m.code) FROM catalog.products p JOIN catalog.tax_categories c ON c.id = p.category_id
             JOIN catalog.tax_cuisines cu ON cu.id = p.cuisine_id JOIN catalog.markets m ON m.id = p.market_id
            WHERE p.vendor_id = 'a3a3a3a3-0000-4000-8000-00000000000a' AND p.external_id = 'p1'),
          ROW('beverages'::text, 'european'::text, 'eu'::text), 'category, cuisine and market found by label or code');
SELECT is((SELECT count(*) FROM catalog.product_sources WHERE vendor_id = 'a3a3a3a3-0000-4000-8000-00000000000a'
             AND ingestion_job_id = '00000000-0000-4000-8000-000000000001'), 3::bigint, 'lineage: one source row per merged product');
SELECT is((SELECT product_id FROM catalog.product_barcodes WHERE vendor_id = 'a3a3a3a3-0000-4000-8000-00000000000a' AND barcode = '7394376616037'),
          catalog.product_id('a3a3a3a3-0000-4000-8000-00000000000a', 'p1'), 'the barcode belongs to the first row that had it');
SELECT is((SELECT data - 'started_at' - 'finished_at' FROM hooks.events
            WHERE vendor_id = 'a3a3a3a3-0000-4000-8000-00000000000a' AND event_type = 'job.completed'),
          (SELECT jsonb_build_object('job_id', id, 'mode', 'products', 'status', 'completed', 'totals', totals, 'error_url', error_url)
             FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000001'),
          'one job.completed event in the outbox, with the totals');

-- ================================================================ job 2: the same products again
SET LOCAL ROLE odyssey_worker;
SELECT is((pg_temp.run_job('00000000-0000-4000-8000-000000000002',
              E'SKU;Product Name;Category;Price;Energy-kJ_100g;Salt_100g;Proteins;Serving size;Allergens;Labels;Brand;Description;Url;Barcode;Cuisine;Market\n'
              || E'p1;Oat drink;Beverages;3,49;200;0.1;1;250 ml;whey, oats;organic, vegan;Oatly;Creamy, smooth;https://x.example/p1;7394376616037;european;eu\n'
              || E'p2;Rye bread;Bakery;2;;;;;;;;;;;;\n'
              || E'p16;Good after bad;snacks;1300;;;;30 g;;;;;;;;\n'
              || E'p18;New one;snacks;1;;;;;;;;;;;;\n') -> 'totals') - 'phases' - 'duration_s',
          '{"rows_read": 4, "inserted": 1, "updated": 1, "unchanged": 2, "rejected": 0}',
          're-merge: unchanged rows (other spellings, column order and delimiter, same values) are counted unchanged, not rewritten');
RESET ROLE;
SELECT is((SELECT array_agg((external_id, version)::text ORDER BY external_id) FROM catalog.products
            WHERE vendor_id = 'a3a3a3a3-0000-4000-8000-00000000000a' AND external_id ~ '^p[0-9]'),
          ARRAY['(p1,1)', '(p16,2)', '(p18,1)', '(p2,1)'], 'only the changed product got a new version');
SELECT is((SELECT count(*) FROM catalog.product_sources WHERE ingestion_job_id = '00000000-0000-4000-8000-000000000002'), 2::bigint,
          'lineage only for what the job wrote');
SELECT is((SELECT error_url FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000002'), NULL,
          'a job without errors has no error report');

-- ================================================================ job 3: customers
-- Run with every parallel-safe plan forced into a parallel worker, as the planner chooses for a
-- 100k-row batch: a function that enters an exception block there fails the whole batch
-- ("cannot start subtransactions during a parallel operation"), so such functions must not be
-- marked PARALLEL SAFE.
SET LOCAL force_parallel_mode = on;
SET LOCAL ROLE odyssey_worker;
SELECT is((pg_temp.run_job('00000000-0000-4000-8000-000000000003',
              E'Customer ID\tName\tEmail\tDOB\tAge\tSex\tCity\tPhone\tTags\tHeight (ft/in)\tWeight (lbs)\tActivity\tConditions\tAllergies\tMacros\n'
              || E'c1\tAnn Lee\tann@example.com\t1980-05-01\t\tF\tBoston\t+1 555 123 4567\tvip; new\t"5''6"""\t150\tModerate\tHTN\tpeanut\t"{""protein_g"": 90}"\n'
              || E'c2\tBob Stone\tbob@example.com\t\t40\tmale\t"{""zip"": ""02134""}"\t(555) 987-6543\t\t\t\t\t\t\t\n'
              || E'c3\tNo Mail\t\t\t40\t\t\t\t\t\t\t\t\t\t\n'
              || E'c4\tBad Mail\tnot-an-email\t\t40\t\t\t\t\t\t\t\t\t\t\n'
              || E'c5\tNo Age\tc5@example.com\t\t\t\t\t\t\t\t\t\t\t\t\n'
              || E'c6\tBad Date\tc6@example.com\t1990-02-30\t\t\t\t\t\t\t\t\t\t\t\n'
              || E'c7\tBad Age\tc7@example.com\t\tforty\t\t\t\t\t\t\t\t\t\t\n'
              || E'c8\tOld\tc8@example.com\t\t150\t\t\t\t\t\t\t\t\t\t\n'
              || E'c9\tBad Location\tc9@example.com\t\t40\t\t"{""zip"": "\t\t\t\t\t\t\t\t\n'
              || E'c10\tHalf Health\tc10@example.com\t\t40\t\t\t\t\t5-10\t\t\t\t\t\n'
              || E'c11\tHeavy\tc11@example.com\t\t40\tm\t\t\t\t5-10\t2000\tlight\t\t\t\n'
              || E'c1\tAnn Again\tann2@example.com\t\t41\t\t\t\t\t\t\t\t\t\t\n'
              || format(E'c13\t%s\tc13@example.com\t\t40\t\t\t\t\t\t\t\t\t\t\n', repeat('n', 301))
              || E'c14\tOdd Gender\tc14@example.com\t\t40\tmaybe\t\t\t\t\t\t\t\t\t\n'
              || E'c15\tBad Macros\tc15@example.com\t\t40\t\t\t\t\t5-10\t150\tlight\t\t\t[1, 2]\n'
              || E'c16\tUnknown Condition\tc16@example.com\t\t40\tf\t\t\t\t5-10\t150\tlight\tgout-ish\t\t\n')
          -> 'totals') - 'phases' - 'duration_s',
          '{"rows_read": 16, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 14}', 'customers: 2 merged, 14 rejected');
RESET ROLE;
RESET force_parallel_mode;
SELECT results_eq(
    $$ SELECT row_no, field, code FROM ingest.ingestion_job_errors WHERE job_id = '00000000-0000-4000-8000-000000000003' ORDER BY row_no, field $$,
    $$ VALUES (3::bigint, 'email', 'required'), (4, 'email', 'bad_value'), (5, 'dob', 'dob_or_age'), (6, 'dob', 'bad_date'),
              (7, 'age', 'bad_number'), (8, 'age', 'out_of_range'), (9, 'location', 'bad_json'), (10, 'activity_level', 'required'),
              (10, 'weight_kg', 'required'), (11, NULL, 'rejected'), (12, 'external_id', 'duplicate_in_file'),
              (13, 'full_name', 'too_long'), (14, 'gender', 'bad_value'), (15, 'macro_targets', 'bad_json'), (16, NULL, 'rejected') $$,
    'every bad customer row is reported by row, field and code');
SELECT matches((SELECT message FROM ingest.ingestion_job_errors WHERE job_id = '00000000-0000-4000-8000-000000000003' AND row_no = 11),
               '^invalid health profile: weight_kg must be between 10 and 400', 'a profile the profile trigger refuses: rejected with its message');
SELECT matches((SELECT message FROM ingest.ingestion_job_errors WHERE job_id = '00000000-0000-4000-8000-000000000003' AND row_no = 16),
               'unknown condition\(s\): gout_ish', 'unknown conditions are the trigger''s to refuse');
SELECT is((SELECT count(*) FROM crm.customers WHERE vendor_id = 'a3a3a3a3-0000-4000-8000-00000000000a' AND external_id IN ('c11', 'c16')),
          0::bigint, 'a row whose profile is refused is rejected whole: no customer');
SELECT results_eq(
    $$ SELECT c.external_id, c.full_name, c.email, c.dob, c.age, c.gender::text, c.location, c.phone, c.custom_tags,
              h.height_cm, h.weight_kg, h.age, h.activity_level::text, h.conditions, h.avoid_allergens, h.macro_targets
         FROM crm.customers c LEFT JOIN health.customer_health_profiles h ON h.vendor_id = c.vendor_id AND h.customer_id = c.id
        WHERE c.vendor_id = 'a3a3a3a3-0000-4000-8000-00000000000a' ORDER BY c.external_id $$,
    $$ VALUES ('c1'::text, 'Ann Lee'::text, 'ann@example.com'::text, '1980-05-01'::date, NULL::int, 'female', '{"text": "Boston"}'::jsonb,
               '+1 555 123 4567'::text, ARRAY['vip', 'new'], 167.64::numeric(5,2), 68.04::numeric(6,2),
               date_part('year', age(current_date, '1980-05-01'))::int, 'moderate', ARRAY['hypertension'], ARRAY['peanuts'],
               '{"protein_g": 90}'::jsonb),
              ('c2', 'Bob Stone', 'bob@example.com', NULL, 40, 'male', '{"zip": "02134"}', '(555) 987-6543', '{}', NULL, NULL, NULL, NULL, NULL, NULL, NULL) $$,
    'customers and their profile: ft/in and lb converted, gender, activity, conditions and allergens normalized, age from dob');
SELECT is((SELECT count(*) FROM health.customer_health_profiles WHERE vendor_id = 'a3a3a3a3-0000-4000-8000-00000000000a'), 1::bigint,
          'no profile for the rejected rows');

-- ================================================================ job 4: a customers file in products mode
SET LOCAL ROLE odyssey_worker;
SELECT ingest.job_begin('00000000-0000-4000-8000-000000000004');
SELECT throws_ok($$ SELECT ingest.job_plan('00000000-0000-4000-8000-000000000004',
                                            convert_to(E'customer_id,name,email,dob\nc1,Ann,a@example.com,1980-01-01\n', 'UTF8')) $$,
                 'OD422', 'the file lacks required products column(s): external_id, category, price (it looks like a customers file: was mode=customers intended?)',
                 'a file without the mode''s required columns is refused, and a file of the other mode is recognized');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_plan('00000000-0000-4000-8000-000000000004', convert_to(E'sku,name,category,price\n', 'UTF8')) $$),
          'OD422 no_rows', 'a header without rows: OD422 no_rows');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_plan('00000000-0000-4000-8000-000000000004', '\x00010203'::bytea) $$),
          'OD422 binary_file', 'a binary file: OD422 binary_file');
SELECT is(ingest.job_fail('00000000-0000-4000-8000-000000000004', 'missing_columns', 'the file lacks required products column(s)') ->> 'status',
          'failed', 'job_fail ends the job');
SELECT is(ingest.job_fail('00000000-0000-4000-8000-000000000004', 'other', 'again') ->> 'status', 'failed', 'failing it again changes nothing');
SELECT is(ingest.job_begin('00000000-0000-4000-8000-000000000004') - 'job_id', '{"status": "failed", "finished": true}',
          'a worker that picks it up again finds nothing to do');
RESET ROLE;
SELECT is((SELECT (status, totals -> 'error') FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000004'),
          ROW('failed'::ingest.job_status, '{"code": "missing_columns", "message": "the file lacks required products column(s)"}'::jsonb),
          'the job failed with its reason');
SELECT is((SELECT array_agg(data #>> '{totals,error,code}') FROM hooks.events
            WHERE vendor_id = 'a3a3a3a3-0000-4000-8000-00000000000a' AND event_type = 'job.failed'),
          ARRAY['missing_columns'], 'one job.failed event, with the reason');

-- ================================================================ cancel, error report, tenant isolation
SELECT set_config('odyssey.vendor_id', 'b3b3b3b3-0000-4000-8000-00000000000b', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT is(pg_temp.refusal($$ SELECT api.cancel_job('00000000-0000-4000-8000-000000000005') $$), 'OD404',
          'another vendor cannot cancel the job: it does not exist for them');
SELECT is(pg_temp.refusal($$ SELECT * FROM api.job_errors('00000000-0000-4000-8000-000000000001') $$), 'OD404',
          'nor read its errors');
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
SELECT is(pg_temp.refusal($$ SELECT ingest.job_begin('00000000-0000-4000-8000-000000000005') $$), 'OD404',
          'a worker acting for another vendor cannot begin the job');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_plan('00000000-0000-4000-8000-000000000005', convert_to(E'a\n1\n', 'UTF8')) $$), 'OD404', 'nor plan it');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_validate('00000000-0000-4000-8000-000000000005') $$), 'OD404', 'nor validate it');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_merge_next('00000000-0000-4000-8000-000000000005', 1000) $$), 'OD404', 'nor merge it');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_finalize('00000000-0000-4000-8000-000000000005') $$), 'OD404', 'nor finalize it');
SELECT is(ingest.job_fail('00000000-0000-4000-8000-000000000005', 'x', 'y') ->> 'status', NULL, 'nor fail it');
SELECT ingest.job_row_defect('00000000-0000-4000-8000-000000000005', 1, 'bad_encoding', 'x', '{}');
SELECT is(pg_temp.refusal($$ SELECT api.cancel_job('00000000-0000-4000-8000-000000000005') $$), '42501', 'the worker cannot cancel jobs');
RESET ROLE;
SELECT is((SELECT (status, attempt) FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000005'),
          ROW('queued'::ingest.job_status, 0), 'the job is untouched');
SELECT is((SELECT count(*) FROM ingest.ingestion_job_errors WHERE job_id = '00000000-0000-4000-8000-000000000005'), 0::bigint,
          'and no defect was reported into it');

SELECT set_config('odyssey.vendor_id', 'a3a3a3a3-0000-4000-8000-00000000000a', true);
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT is(pg_temp.refusal($$ SELECT api.cancel_job('00000000-0000-4000-8000-000000000005') $$), '42501', 'a viewer cannot cancel');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_operator;
SELECT results_eq($$ SELECT row_no, field, code FROM api.job_errors('00000000-0000-4000-8000-000000000001') LIMIT 3 $$,
                  $$ VALUES (3::bigint, 'name'::text, 'required'::text), (4, 'name', 'too_long'), (5, 'price', 'bad_number') $$,
                  'api.job_errors: the vendor''s rejected rows in row order');
SELECT is((SELECT raw::jsonb ->> 'external_id' FROM api.job_errors('00000000-0000-4000-8000-000000000001') WHERE row_no = 9), 'p1',
          'with their raw values as JSON');
SELECT is(pg_temp.refusal($$ SELECT * FROM api.job_errors('00000000-0000-4000-8000-0000000000ff') $$), 'OD404', 'an unknown job: OD404');
SELECT is(api.cancel_job('00000000-0000-4000-8000-000000000005') ->> 'status', 'canceled', 'an operator cancels the queued job');
SELECT is(pg_temp.refusal($$ SELECT api.cancel_job('00000000-0000-4000-8000-000000000005') $$), 'OD409', 'a job is canceled once');
SELECT is(pg_temp.refusal($$ SELECT api.cancel_job('00000000-0000-4000-8000-000000000001') $$), 'OD409', 'a completed job cannot be canceled');
RESET ROLE;
SELECT is((SELECT count(*) FROM queue.jobs WHERE id = (SELECT queue_job_id FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000005')),
          0::bigint, 'cancel removed the queued queue job');
SELECT is((SELECT count(*) FROM hooks.events WHERE data ->> 'job_id' = '00000000-0000-4000-8000-000000000005'), 0::bigint,
          'a canceled job emits no event');
SET LOCAL ROLE odyssey_worker;
SELECT is(ingest.job_begin('00000000-0000-4000-8000-000000000005') - 'job_id', '{"status": "canceled", "finished": true}',
          'a worker that still gets the canceled job finds nothing to do');
SELECT is(pg_temp.refusal($$ SELECT ingest.job_stage_chunk('00000000-0000-4000-8000-000000000005', 1, 0) $$), 'OD409 canceled',
          'and a step of a canceled job says so (the worker stops)');
RESET ROLE;

-- ================================================================ a job whose workers keep dying
-- Job 6 (upload now complete) with one attempt: its worker dies, the lease runs out, the reaper
-- gives up on it.
UPDATE ingest.uploads SET upload_offset = 100, completed_at = now() WHERE job_id = '00000000-0000-4000-8000-000000000006';
SELECT set_config('odyssey.vendor_id', 'a3a3a3a3-0000-4000-8000-00000000000a', true);
SET LOCAL ROLE odyssey_worker;
SELECT queue.enqueue('ingest.csv', 'a3a3a3a3-0000-4000-8000-00000000000a', '{"job_id": "00000000-0000-4000-8000-000000000006"}', 0, NULL, NULL, 1);
SELECT is((SELECT count(*) FROM queue.dequeue('doomed', '{ingest.csv}', 1, '30 s')), 1::bigint, 'a worker takes the job');
SELECT is(ingest.job_begin('00000000-0000-4000-8000-000000000006') ->> 'phase', 'copying', 'and begins it');
RESET ROLE;
UPDATE queue.jobs SET lease_expires_at = now() - interval '1 second' WHERE payload ->> 'job_id' = '00000000-0000-4000-8000-000000000006';
SELECT set_config('odyssey.vendor_id', '', true);
SET LOCAL ROLE odyssey_worker;
SELECT is(queue.reap_expired(), 1, 'the worker died: its lease expires and, out of attempts, the job is dead-lettered');
RESET ROLE;
SELECT is((SELECT (status, phase, totals #>> '{error,code}', totals #>> '{error,message}') FROM ingest.ingestion_jobs
            WHERE id = '00000000-0000-4000-8000-000000000006'),
          ROW('failed'::ingest.job_status, 'done'::text, 'dead_lettered'::text, 'gave up after 1 attempt(s): lease expired (worker doomed)'::text),
          'the ingestion job fails with the queue''s reason instead of staying running');
SELECT is((SELECT count(*) FROM hooks.events WHERE event_type = 'job.failed' AND data ->> 'job_id' = '00000000-0000-4000-8000-000000000006'),
          1::bigint, 'and job.failed is written');
SELECT is(current_setting('odyssey.vendor_id'), '', 'the reaper''s tenant context is left as it was');
SET LOCAL ROLE odyssey_worker;
SELECT queue.enqueue('ingest.csv', 'a3a3a3a3-0000-4000-8000-00000000000a', '{"job_id": "00000000-0000-4000-8000-000000000001"}', 0, NULL, NULL, 1),
       queue.enqueue('ingest.csv', 'a3a3a3a3-0000-4000-8000-00000000000a', '{"job_id": "not a uuid"}', 0, NULL, NULL, 1);
SELECT is(array_agg(queue.fail(id, 'w', 'boom', false) ORDER BY id), ARRAY['dead', 'dead'],
          'dead-lettering an ingest job that already ended, or a payload without a job, is not in the queue''s way')
  FROM queue.dequeue('w', '{ingest.csv}', 2, '30 s');
RESET ROLE;
SELECT is((SELECT (status, totals ? 'error') FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000001'),
          ROW('completed'::ingest.job_status, false), 'and leaves an ended job as it was');

-- ================================================================ jobs 7 and 8: a catalog re-sent unchanged
-- 2,000 products, then the same file again. Each unchanged row must be found by one primary-key
-- probe of the vendor's catalog under RLS, never by matching the batch against a scan of the whole
-- catalog (n x m comparisons: 3,000 rows against 100,000 products took 40 s instead of 0.04 s).
INSERT INTO ingest.ingestion_jobs (id, vendor_id, mode, phase)
SELECT ('00000000-0000-4000-8000-00000000000' || i)::uuid, 'a3a3a3a3-0000-4000-8000-00000000000a', 'products', 'queued'
  FROM generate_series(7, 8) i;
INSERT INTO ingest.uploads (job_id, vendor_id, object_path, upload_length, upload_offset, completed_at)
SELECT j.id, j.vendor_id, j.vendor_id || '/' || j.id, 100, 100, now()
  FROM ingest.ingestion_jobs j WHERE j.id IN ('00000000-0000-4000-8000-000000000007', '00000000-0000-4000-8000-000000000008');
CREATE TEMP TABLE file7 AS
SELECT E'sku,name,category,price,description\n'
       || string_agg(format('bulk-%s,Bulk product %s,bakery,%s.25,Row %s of a catalog re-sent unchanged', i, i, i % 90, i), E'\n' ORDER BY i)
       || E'\n' AS csv
  FROM generate_series(1, 2000) i;
CREATE TEMP VIEW vendor_a_product_scans AS
SELECT coalesce(sum(s.idx_scan), 0) AS idx_scan
  FROM pg_stat_xact_user_tables s JOIN pg_inherits i ON i.inhrelid = s.relid
 WHERE i.inhparent IN (SELECT p.inhrelid FROM pg_inherits p WHERE p.inhparent = 'catalog.products'::regclass)
   AND s.relname LIKE 'products_a3a3a3a3%';
GRANT SELECT ON file7, vendor_a_product_scans TO PUBLIC;
SELECT set_config('odyssey.vendor_id', 'a3a3a3a3-0000-4000-8000-00000000000a', true);
SET LOCAL ROLE odyssey_worker;
SELECT is((pg_temp.run_job('00000000-0000-4000-8000-000000000007', (SELECT csv FROM file7)) -> 'totals') - 'phases' - 'duration_s',
          '{"rows_read": 2000, "inserted": 2000, "updated": 0, "unchanged": 0, "rejected": 0}',
          'a 2,000-product catalog is merged in two batches');
CREATE TEMP TABLE scans_before AS SELECT idx_scan FROM vendor_a_product_scans;
SELECT is((pg_temp.run_job('00000000-0000-4000-8000-000000000008', (SELECT csv FROM file7)) -> 'totals') - 'phases' - 'duration_s',
          '{"rows_read": 2000, "inserted": 0, "updated": 0, "unchanged": 2000, "rejected": 0}',
          'sent again, all 2,000 rows are unchanged');
SELECT cmp_ok((SELECT idx_scan FROM vendor_a_product_scans) - (SELECT idx_scan FROM scans_before), '>=', 2000::numeric,
              'each unchanged row was probed by its primary key (one index scan per row), not matched against a scan of the catalog');
RESET ROLE;

-- ================================================================ jobs 9-11: a file's decimal separator
-- "1.234" and "1,234" read two ways; a file reads them all one way: the way its number cells
-- prove ("2,50"), else by its delimiter (';' files use decimal commas). Until @v0.2.0 "1,234" was
-- 1.234 (mg of sodium a thousand times too small) in every file.
INSERT INTO ingest.ingestion_jobs (id, vendor_id, mode, phase)
SELECT ('00000000-0000-4000-8000-0000000000' || i)::uuid, 'a3a3a3a3-0000-4000-8000-00000000000a', 'products', 'queued'
  FROM generate_series(10, 12) i;
INSERT INTO ingest.uploads (job_id, vendor_id, object_path, upload_length, upload_offset, completed_at)
SELECT j.id, j.vendor_id, j.vendor_id || '/' || j.id, 100, 100, now()
  FROM ingest.ingestion_jobs j
 WHERE j.id IN ('00000000-0000-4000-8000-000000000010', '00000000-0000-4000-8000-000000000011', '00000000-0000-4000-8000-000000000012');
SELECT set_config('odyssey.vendor_id', 'a3a3a3a3-0000-4000-8000-00000000000a', true);
SET LOCAL ROLE odyssey_worker;
SELECT is((pg_temp.run_job('00000000-0000-4000-8000-000000000010',
              E'sku;name;category;price;sodium_mg;proteins\ndec-1;Brot;bakery;2,50;1.234;7,5\ndec-2;Kase;bakery;1.299,00;12,5;0,8\n')
           -> 'totals') - 'phases' - 'duration_s',
          '{"rows_read": 2, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 0}', 'job 10: a decimal-comma file is merged');
SELECT is((SELECT (checkpoint #> '{format}') - 'header' - 'data_offset' - 'encoding' - 'bom' - 'columns' - 'encoding_settled'
             FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000010'),
          '{"delimiter": ";", "decimal": ",", "decimal_from": "values"}', 'its decimal separator is the one its numbers prove');
SELECT is((SELECT array_agg(ROW(external_id, price, nutrition ->> 'sodium_mg', nutrition ->> 'protein_g')::text ORDER BY external_id)
             FROM catalog.products WHERE external_id LIKE 'dec-%'),
          ARRAY['(dec-1,2.50,1234,7.5)', '(dec-2,1299.00,12.5,0.8)'], '"1.234" is 1234 there (points group thousands) and "7,5" is 7.5');
SELECT is((pg_temp.run_job('00000000-0000-4000-8000-000000000011',
              E'sku;name;category;price;sodium_mg\ndel-1;Brot;bakery;3;1.250\n') -> 'totals' ->> 'inserted'),
          '1', 'job 11: a semicolon file whose numbers prove nothing is merged');
SELECT is((SELECT ARRAY[checkpoint #>> '{format,decimal}', checkpoint #>> '{format,decimal_from}',
                        (SELECT nutrition ->> 'sodium_mg' FROM catalog.products WHERE external_id = 'del-1')]
             FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000011'),
          ARRAY[',', 'delimiter', '1250'], 'and reads "1.250" as 1250, by the decimal comma of semicolon files');
SELECT is((pg_temp.run_job('00000000-0000-4000-8000-000000000012',
              E'sku,name,category,price,sodium_mg\nus-1,Bread,bakery,2.50,"1,234"\nus-2,Rolls,bakery,"1,299",80\n') -> 'totals' ->> 'inserted'),
          '2', 'job 12: a decimal-point file with thousands commas is merged');
SELECT is((SELECT array_agg(ROW(external_id, price, nutrition ->> 'sodium_mg')::text ORDER BY external_id)
             FROM catalog.products WHERE external_id LIKE 'us-%'),
          ARRAY['(us-1,2.50,1234)', '(us-2,1299.00,80)'], '"1,234" is 1234 there, not 1.234');

-- ---------------------------------------------------------------- the encoding of an ASCII sample
-- Jobs 11 and 12 had ASCII samples: UTF-8 assumed, not settled. The first records beyond ASCII
-- settle it: Windows-1252 when they are not UTF-8 ("Caf\xe9"), else UTF-8; then it stays.
SELECT is(ingest.job_settle_encoding('00000000-0000-4000-8000-000000000011', convert_to(E'x;plain ascii\n', 'UTF8'))
            - 'header' - 'data_offset' - 'bom' - 'columns' - 'delimiter' - 'decimal' - 'decimal_from',
          '{"encoding": "UTF8", "encoding_settled": false}', 'ASCII records settle nothing');
SELECT is(ingest.job_settle_encoding('00000000-0000-4000-8000-000000000011', '\x783b436166e90a'::bytea) ->> 'encoding',
          'WIN1252', 'records that are not UTF-8 ("Caf" and byte e9) settle Windows-1252');
SELECT is(ingest.job_settle_encoding('00000000-0000-4000-8000-000000000011', convert_to(E'x;Caf\u00e9\n', 'UTF8'))
            - 'header' - 'data_offset' - 'bom' - 'columns' - 'delimiter' - 'decimal' - 'decimal_from',
          '{"encoding": "WIN1252", "encoding_settled": true}', 'and once settled it stays');
SELECT is(ingest.job_settle_encoding('00000000-0000-4000-8000-000000000012', convert_to(E'x,Caf\u00e9\n', 'UTF8'))
            - 'header' - 'data_offset' - 'bom' - 'columns' - 'delimiter' - 'decimal' - 'decimal_from',
          '{"encoding": "UTF8", "encoding_settled": true}', 'valid UTF-8 beyond ASCII settles UTF-8');
SELECT is((SELECT checkpoint #>> '{format,encoding_settled}' FROM ingest.ingestion_jobs WHERE id = '00000000-0000-4000-8000-000000000010'),
          'false', 'job 10''s sample was ASCII too (its "Kase" has no umlaut)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
