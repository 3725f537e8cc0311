-- Product images from a products file: an image_url cell (one or more http(s) URLs split on
-- whitespace ; |) becomes the product's images in that order; the same list again changes
-- nothing; a new list replaces the old one and touches the product (new version, counted as
-- updated, even when nothing else changed); an empty cell leaves the images; a bad URL rejects the
-- row with image_url:bad_value; the API shows the images in order.
BEGIN;
SELECT plan(11);

DO $$ BEGIN
    PERFORM set_config('odyssey.vendor_id', 'a4a4a4a4-0000-4000-8000-00000000000a', true);
    INSERT INTO core.vendors (id, name) VALUES ('a4a4a4a4-0000-4000-8000-00000000000a', 'images vendor');
    INSERT INTO ingest.ingestion_jobs (id, vendor_id, mode, phase)
    SELECT ('00000000-0000-4000-8000-0000000001' || lpad(i::text, 2, '0'))::uuid, 'a4a4a4a4-0000-4000-8000-00000000000a', 'products', 'queued'
      FROM generate_series(1, 3) i;
    INSERT INTO ingest.uploads (job_id, vendor_id, object_path, upload_length, upload_offset, completed_at)
    SELECT j.id, j.vendor_id, j.vendor_id || '/' || j.id, 100, 100, now()
      FROM ingest.ingestion_jobs j WHERE j.vendor_id = 'a4a4a4a4-0000-4000-8000-00000000000a';
END $$;

\ir fixtures/ingest_jobs.psql
CREATE FUNCTION pg_temp.images(p_ext text) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(i.url ORDER BY i.sort_order), '{}') FROM catalog.product_images i
     WHERE i.vendor_id = 'a4a4a4a4-0000-4000-8000-00000000000a' AND i.product_id = catalog.product_id('a4a4a4a4-0000-4000-8000-00000000000a', p_ext)
$$;
CREATE FUNCTION pg_temp.version(p_ext text) RETURNS integer LANGUAGE sql AS $$
    SELECT version FROM catalog.products WHERE vendor_id = 'a4a4a4a4-0000-4000-8000-00000000000a' AND external_id = p_ext
$$;

SELECT set_config('odyssey.vendor_id', 'a4a4a4a4-0000-4000-8000-00000000000a', true);
SET LOCAL ROLE odyssey_worker;
SELECT is((pg_temp.run_job('00000000-0000-4000-8000-000000000101',
              E'external_id,name,category,price,image_url\n'
              || E'i1,One,snacks,1,https://img.example/1a.jpg | https://img.example/1b.jpg\n'
              || E'i2,Two,snacks,2,https://img.example/2.jpg\n'
              || E'i3,Three,snacks,3,\n'
              || E'i4,Four,snacks,4,ftp://img.example/4.jpg\n') -> 'totals') - 'phases' - 'duration_s',
          '{"rows_read": 4, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 1}',
          'a bad image URL rejects its row; the others are merged');
RESET ROLE;
SELECT is(pg_temp.images('i1'), ARRAY['https://img.example/1a.jpg', 'https://img.example/1b.jpg'], 'several URLs, in order');
SELECT is(pg_temp.images('i3'), '{}', 'an empty cell gives no image');
SELECT is((SELECT (field, code)::text FROM ingest.ingestion_job_errors WHERE job_id = '00000000-0000-4000-8000-000000000101'),
          '(image_url,bad_value)', 'the rejected row is reported on image_url');

SET LOCAL ROLE odyssey_worker;
SELECT is((pg_temp.run_job('00000000-0000-4000-8000-000000000102',
              E'external_id,name,category,price,image_url\n'
              || E'i1,One,snacks,1,https://img.example/1a.jpg;https://img.example/1b.jpg\n'
              || E'i2,Two,snacks,2,https://img.example/2-new.jpg https://img.example/2.jpg\n'
              || E'i3,Three,snacks,3,\n') -> 'totals') - 'phases' - 'duration_s',
          '{"rows_read": 3, "inserted": 0, "updated": 1, "unchanged": 2, "rejected": 0}',
          'the same list (other separators) is unchanged; a new list counts the product as updated');
RESET ROLE;
SELECT is(pg_temp.images('i2'), ARRAY['https://img.example/2-new.jpg', 'https://img.example/2.jpg'], 'the new list replaces the old, in order');
SELECT is(ARRAY[pg_temp.version('i1'), pg_temp.version('i2'), pg_temp.version('i3')], ARRAY[1, 2, 1],
          'only the product whose images changed got a new version (its ETag changes)');

SET LOCAL ROLE odyssey_worker;
SELECT is((pg_temp.run_job('00000000-0000-4000-8000-000000000103',
              E'external_id,name,category,price,image_url\n'
              || E'i1,One renamed,snacks,1,\n') -> 'totals') - 'phases' - 'duration_s',
          '{"rows_read": 1, "inserted": 0, "updated": 1, "unchanged": 0, "rejected": 0}', 'a changed product with an empty image cell');
RESET ROLE;
SELECT is(pg_temp.images('i1'), ARRAY['https://img.example/1a.jpg', 'https://img.example/1b.jpg'], '... keeps its images');

SET LOCAL ROLE odyssey_vendor_viewer;
SELECT is(api.get_product(catalog.product_id('a4a4a4a4-0000-4000-8000-00000000000a', 'i2')) -> 'images',
          '[{"url": "https://img.example/2-new.jpg", "alt": null, "sort_order": 0}, {"url": "https://img.example/2.jpg", "alt": null, "sort_order": 1}]',
          'the API shows a product''s images in order');
SELECT is(api.get_product(catalog.product_id('a4a4a4a4-0000-4000-8000-00000000000a', 'i3')) -> 'images', '[]', 'and none as []');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
