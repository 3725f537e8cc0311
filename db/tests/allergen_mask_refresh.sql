-- A product labelled with a word the allergen dictionary did not know gets no allergen bit; once an
-- admin adds the word as a synonym, the change queues one matching.allergen_masks job per vendor,
-- and the job gives the product its bit (so matching's hard filter excludes it for allergic
-- customers) and bumps the vendor's catalog_version (cached matches are not served again).
BEGIN;
SELECT plan(14);

DO $$
DECLARE
    v_cat bigint := (SELECT min(id) FROM catalog.tax_categories);
BEGIN
    PERFORM set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000f1', true);
    INSERT INTO core.vendors (id, name) VALUES ('a0000000-0000-4000-8000-0000000000f1', 'masks vendor A');
    INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, allergens)
    VALUES (catalog.product_id('a0000000-0000-4000-8000-0000000000f1', 'new-word'), 'a0000000-0000-4000-8000-0000000000f1', 'new-word', 'N', '', '', v_cat, 1, '{zzwheyword}'),
           (catalog.product_id('a0000000-0000-4000-8000-0000000000f1', 'canonical'), 'a0000000-0000-4000-8000-0000000000f1', 'canonical', 'C', '', '', v_cat, 1, '{egg}');
    PERFORM set_config('odyssey.vendor_id', 'b0000000-0000-4000-8000-0000000000f2', true);
    INSERT INTO core.vendors (id, name) VALUES ('b0000000-0000-4000-8000-0000000000f2', 'masks vendor B');
    INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, allergens)
    VALUES (catalog.product_id('b0000000-0000-4000-8000-0000000000f2', 'new-word'), 'b0000000-0000-4000-8000-0000000000f2', 'new-word', 'N', '', '', v_cat, 1, '{zzwheyword}');
    PERFORM set_config('odyssey.vendor_id', '', true);
END
$$;
CREATE FUNCTION pg_temp.amask(p_vendor uuid, p_ext text) RETURNS integer LANGUAGE sql AS $$
    SELECT amask FROM matching.product_features WHERE vendor_id = p_vendor AND product_id = catalog.product_id(p_vendor, p_ext) AND tag = ''
$$;
CREATE FUNCTION pg_temp.version(p_vendor uuid) RETURNS bigint LANGUAGE sql AS $$
    SELECT catalog_version FROM core.vendors WHERE id = p_vendor
$$;
CREATE FUNCTION pg_temp.mask_jobs() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM queue.jobs WHERE kind = 'matching.allergen_masks'
       AND vendor_id IN ('a0000000-0000-4000-8000-0000000000f1', 'b0000000-0000-4000-8000-0000000000f2')
$$;
CREATE TEMP TABLE v (name text PRIMARY KEY, val bigint);
GRANT ALL ON v TO PUBLIC;
INSERT INTO v VALUES ('a_version', pg_temp.version('a0000000-0000-4000-8000-0000000000f1'));

SELECT is(pg_temp.amask('a0000000-0000-4000-8000-0000000000f1', 'new-word'), 0, 'an unknown label gives no allergen bit');
SELECT is(pg_temp.mask_jobs(), 0::bigint, 'no refresh is queued before the dictionary changes');

UPDATE ingest.synonyms_value SET synonyms = synonyms || 'diet word zz'::text WHERE domain = 'diet' AND canonical = 'vegan';
SELECT is(pg_temp.mask_jobs(), 0::bigint, 'a change of another domain queues nothing');
UPDATE ingest.synonyms_value SET synonyms = synonyms || 'zzwheyword'::text WHERE domain = 'allergen' AND canonical = 'milk';
SELECT is(pg_temp.mask_jobs(), 2::bigint, 'an allergen synonym change queues one refresh per vendor');
SELECT is(pg_temp.amask('a0000000-0000-4000-8000-0000000000f1', 'new-word'), 0, '... the masks change only when the job runs');

SET LOCAL ROLE odyssey_worker;
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000f1', true);
SELECT is(matching.refresh_allergen_masks('a0000000-0000-4000-8000-0000000000f1'), 1::bigint, 'the refresh changes the one stale mask');
RESET ROLE;
SELECT is(pg_temp.amask('a0000000-0000-4000-8000-0000000000f1', 'new-word'), health.allergen_mask('{milk}'),
          'the product now carries the milk bit');
SELECT is(pg_temp.amask('a0000000-0000-4000-8000-0000000000f1', 'canonical'), health.allergen_mask('{egg}'), 'a canonical label is untouched');
SELECT is(pg_temp.version('a0000000-0000-4000-8000-0000000000f1'), (SELECT val + 1 FROM v WHERE name = 'a_version'),
          'the vendor''s catalog_version moved (cached matches are stale)');
SET LOCAL ROLE odyssey_worker;
SELECT is(matching.refresh_allergen_masks('a0000000-0000-4000-8000-0000000000f1'), 0::bigint, 'a second refresh finds nothing to change');
RESET ROLE;
SELECT is(pg_temp.version('a0000000-0000-4000-8000-0000000000f1'), (SELECT val + 1 FROM v WHERE name = 'a_version'),
          '... and leaves catalog_version alone');
SELECT set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000f1', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT throws_ok($$ SELECT matching.refresh_allergen_masks('a0000000-0000-4000-8000-0000000000f1') $$, '42501', NULL,
                 'only the worker runs the refresh');
SELECT throws_ok($$ SELECT app.machinery_vendor_ids() $$, '42501', NULL, 'nor may a vendor role list every vendor');
RESET ROLE;
SET LOCAL ROLE odyssey_worker;
SELECT throws_ok($$ SELECT app.machinery_vendor_ids() $$, '42501', NULL, '... nor the worker directly (only owner machinery)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
