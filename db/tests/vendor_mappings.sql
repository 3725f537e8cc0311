-- A vendor's own header mapping through the API (PRD §4.2 vendor_mappings; "a vendor override
-- wins"): versions, validation, the preview, roles and tenants, the transform ops it accepts, and
-- options.decimal deciding how a file's numbers are read.
BEGIN;
SELECT plan(22);

DO $$ BEGIN
    PERFORM set_config('odyssey.vendor_id', 'a5a5a5a5-0000-4000-8000-00000000000a', true);
    INSERT INTO core.vendors (id, name) VALUES ('a5a5a5a5-0000-4000-8000-00000000000a', 'mapping vendor A');
    PERFORM set_config('odyssey.vendor_id', 'b5b5b5b5-0000-4000-8000-00000000000b', true);
    INSERT INTO core.vendors (id, name) VALUES ('b5b5b5b5-0000-4000-8000-00000000000b', 'mapping vendor B');
    PERFORM set_config('odyssey.vendor_id', 'a5a5a5a5-0000-4000-8000-00000000000a', true);
    INSERT INTO ingest.ingestion_jobs (id, vendor_id, mode, phase) VALUES
        ('00000000-0000-4000-8000-0000000005a1', 'a5a5a5a5-0000-4000-8000-00000000000a', 'products', 'queued'),
        ('00000000-0000-4000-8000-0000000005a2', 'a5a5a5a5-0000-4000-8000-00000000000a', 'products', 'queued');
    INSERT INTO ingest.uploads (job_id, vendor_id, object_path, upload_length, upload_offset, completed_at)
    SELECT j.id, j.vendor_id, j.vendor_id || '/' || j.id, 100, 100, now()
      FROM ingest.ingestion_jobs j WHERE j.vendor_id = 'a5a5a5a5-0000-4000-8000-00000000000a';
END $$;
\ir fixtures/problem_fields.psql
\ir fixtures/ingest_jobs.psql

SELECT set_config('odyssey.vendor_id', 'a5a5a5a5-0000-4000-8000-00000000000a', true), set_config('odyssey.user_id', 'tap-map-admin', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT is(api.mapping_get('products') ->> 'version', '0', 'no mapping yet: version 0');
SELECT is(pg_temp.problem_fields($$ SELECT api.mapping_put('products', '{"options": {"decimal": ","}}') $$), ARRAY['map'], 'a map is required');
SELECT is(pg_temp.problem_fields($$ SELECT api.mapping_put('products', '{"map": {"Kcal": {"field": "calories"}, "Salt": {"field": "sodium_mg", "ops": ["salt_to_sodium"]}, "X": {"ops": []}, "Y": {"field": 3}}, "options": {"decimal": ";"}, "extra": 1}') $$),
          ARRAY['extra', 'map.Kcal', 'map.Salt', 'map.X', 'map.Y', 'options'],
          'unknown fields, unknown ops, entries without a field, bad options and unknown keys are all reported');
SELECT throws_ok($$ SELECT api.mapping_put('orders', '{"map": {}}') $$, 'OD404', NULL, 'only products and customers have mappings');
SELECT is(api.mapping_put('products', '{"map": {"Kcal": {"field": "energy_kcal"}, "Our code": {"field": null}}}') ->> 'version', '1',
          'a first mapping is version 1');
SELECT is((SELECT (b ->> 'version', b #>> '{map,Kcal,ops}', b ->> 'created_by', b -> 'options')::text
             FROM api.mapping_put('products', '{"map": {"Kcal": {"field": "energy_kcal", "ops": ["kj_to_kcal"]}, "Price EUR": {"field": "price"}}, "options": {"decimal": ","}}') b),
          '(2,"[""kj_to_kcal""]",tap-map-admin,"{""decimal"": "",""}")', 'the next PUT is version 2, with who wrote it');
SELECT is(api.mapping_get('products') -> 'map', '{"Kcal": {"ops": ["kj_to_kcal"], "field": "energy_kcal"}, "Price EUR": {"ops": [], "field": "price"}}',
          'GET answers the version in force');
SELECT is((SELECT array_agg((c ->> 'header') || '=' || coalesce(c ->> 'field', '-') || '/' || coalesce(c ->> 'via', '-') ORDER BY (c ->> 'i')::int)
             FROM jsonb_array_elements(api.mapping_preview('products', 'SKU;kcal;"Price EUR";Our code;Name;Category') -> 'columns') c),
          ARRAY['SKU=external_id/dictionary', 'kcal=energy_kcal/vendor_mapping', 'Price EUR=price/vendor_mapping', 'Our code=-/-',
                'Name=name/dictionary', 'Category=category/dictionary'],
          'the preview maps a header line (its delimiter sniffed) as a file''s: the vendor''s entries first (any spelling), then the dictionary');
SELECT is(api.mapping_preview('products', 'kcal') -> 'missing', '["external_id", "name", "category", "price"]',
          'and names the required fields a file would lack');
SELECT ok(EXISTS (SELECT FROM audit.audit_log WHERE action = 'mapping_put' AND vendor_id = 'a5a5a5a5-0000-4000-8000-00000000000a'
                   AND before ->> 'version' = '1' AND after ->> 'version' = '2'), 'each PUT is audited with the version it replaced');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_operator;
SELECT throws_ok($$ SELECT api.mapping_put('products', '{"map": {}}') $$, '42501', NULL, 'an operator cannot change the mapping');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT is(api.mapping_get('products') ->> 'version', '2', 'a viewer reads it');
SELECT is(api.mapping_preview('products', 'Kcal') #>> '{columns,0,field}', 'energy_kcal', 'and previews it');
RESET ROLE;
SELECT set_config('odyssey.vendor_id', 'b5b5b5b5-0000-4000-8000-00000000000b', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT is(api.mapping_get('products') ->> 'version', '0', 'vendor B does not see A''s mapping');
SELECT is(jsonb_array_length(api.mapping_preview('products', 'Price EUR,Kcal') -> 'columns'), 2, 'B''s preview has its own columns');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.mapping_preview('products', 'Price EUR,Kcal') -> 'columns') c
            WHERE c ->> 'via' = 'vendor_mapping'), 0::bigint, 'and none of A''s entries');
RESET ROLE;

-- Every op a mapping may name is one ingest.apply_ops applies (split_list is applied where lists are typed).
SELECT is(ARRAY(SELECT op FROM unnest(ingest.known_transform_ops()) op
                 WHERE op <> 'split_list' AND ingest.apply_ops('10', jsonb_build_array(op)) IS NOT DISTINCT FROM '10'),
          '{}'::text[], 'every listed transform op changes a number');

-- options.decimal decides how the vendor's files read numbers.
SELECT set_config('odyssey.vendor_id', 'a5a5a5a5-0000-4000-8000-00000000000a', true);
SET LOCAL ROLE odyssey_worker;
SELECT lives_ok($$ SELECT pg_temp.run_job('00000000-0000-4000-8000-0000000005a1',
                     E'SKU,Name,Category,Price EUR\nd1,Decimal comma,bakery,"1,250"\n') $$, 'a comma-delimited file with a quoted "1,250"');
RESET ROLE;
SELECT is((SELECT (p.price, j.checkpoint #>> '{format,decimal}', j.checkpoint #>> '{format,decimal_from}')::text
             FROM catalog.products p, ingest.ingestion_jobs j
            WHERE p.vendor_id = 'a5a5a5a5-0000-4000-8000-00000000000a' AND p.external_id = 'd1' AND j.id = '00000000-0000-4000-8000-0000000005a1'),
          '(1.25,",",vendor_mapping)', 'is read with the vendor''s decimal comma: 1.25 (the file alone says 1250, below)');
SET LOCAL ROLE odyssey_vendor_admin;
SELECT lives_ok($$ SELECT api.mapping_put('products', '{"map": {"Price EUR": {"field": "price"}}}') $$, 'without options.decimal again');
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
SELECT is(pg_temp.run_job('00000000-0000-4000-8000-0000000005a2',
                           E'SKU,Name,Category,Price EUR\nd2,Decimal point,bakery,"1,250"\n') ->> 'status', 'completed',
          'another file');
RESET ROLE;
SELECT is((SELECT (p.price, j.checkpoint #>> '{format,decimal_from}')::text FROM catalog.products p, ingest.ingestion_jobs j
            WHERE p.vendor_id = 'a5a5a5a5-0000-4000-8000-00000000000a' AND p.external_id = 'd2' AND j.id = '00000000-0000-4000-8000-0000000005a2'),
          '(1250.00,delimiter)', 'without the option the file decides again ("1,250" in a comma file is 1250)');

SELECT * FROM finish();
ROLLBACK;
