-- CSV ingestion, header level: ingest.plan_columns maps a file's header cells to the mode's
-- fields (vendor mapping first, then the dictionary), settles two columns for one field, keys a
-- products file without an id column on its barcode, lists missing required columns; and
-- ingest.stage_sql turns the plan into the INSERT that moves a COPY chunk into staging.
BEGIN;
SELECT plan(33);

DO $$ BEGIN
    PERFORM set_config('odyssey.vendor_id', 'a1a1a1a1-0000-4000-8000-00000000000a', true);
    INSERT INTO core.vendors (id, name) VALUES ('a1a1a1a1-0000-4000-8000-00000000000a', 'mapping vendor A');
END $$;
-- A dictionary entry with a lower confidence (for the tie-break between two columns of one field).
INSERT INTO ingest.synonyms_header (mode, canonical, transform_ops, synonyms, confidence)
VALUES ('products', 'energy_kcal', '["mg_to_g"]', ARRAY['kcal_guess'], 0.5);

-- Column i of a plan: field, ops, via, ignored.
CREATE FUNCTION pg_temp.col(p_plan jsonb, p_i int) RETURNS jsonb LANGUAGE sql AS $$
    SELECT c - 'i' - 'header' FROM jsonb_array_elements(p_plan -> 'columns') c WHERE (c ->> 'i')::int = p_i AND c ->> 'via' IS DISTINCT FROM 'barcode'
$$;
CREATE FUNCTION pg_temp.fields(p_plan jsonb) RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(coalesce(c ->> 'field', '-') ORDER BY (c ->> 'i')::int, c ->> 'via' = 'barcode')
      FROM jsonb_array_elements(p_plan -> 'columns') c
$$;
GRANT EXECUTE ON FUNCTION pg_temp.col(jsonb, int), pg_temp.fields(jsonb) TO odyssey_worker;

SELECT set_config('odyssey.vendor_id', 'a1a1a1a1-0000-4000-8000-00000000000a', true);
SET LOCAL ROLE odyssey_worker;

-- ---------------------------------------------------------------- the dictionary
CREATE TEMP TABLE p AS SELECT ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a',
    ARRAY['SKU', ' Product Name ', 'Brands', 'Categories', 'Preis', 'energy-kj_100g', 'Salt_100g', 'Serving Size',
          'Allergens', 'Internal note']) AS plan;
SELECT is(pg_temp.fields(plan), ARRAY['external_id', 'name', 'brand', 'category', '-', 'energy_kcal', 'sodium_mg', 'serving_size',
                                      'allergens', '-'],
          'headers map through the dictionary whatever their case, spacing and punctuation') FROM p;
SELECT is(pg_temp.col(plan, 6), '{"field": "energy_kcal", "ops": ["kj_to_kcal", "per_100g"], "via": "dictionary", "ignored": null}',
          'energy-kj_100g: energy_kcal with kJ -> kcal then per 100 g') FROM p;
SELECT is(pg_temp.col(plan, 7) -> 'ops', '["salt_g_to_sodium_mg", "per_100g"]', 'salt_100g: sodium mg from salt g per 100 g') FROM p;
SELECT is(pg_temp.col(plan, 9) -> 'ops', '["split_list"]', 'allergens are a list') FROM p;
SELECT is(pg_temp.col(plan, 10) ->> 'ignored', 'no mapping for this header', 'an unknown header is ignored, with the reason') FROM p;
SELECT is(pg_temp.col(plan, 5) ->> 'ignored', 'no mapping for this header', '"Preis" is not a dictionary spelling') FROM p;
SELECT is(plan -> 'missing', '["price"]', 'so price is missing') FROM p;
SELECT is(plan -> 'ops', '{"energy_kcal": ["kj_to_kcal", "per_100g"], "sodium_mg": ["salt_g_to_sodium_mg", "per_100g"], "allergens": ["split_list"]}',
          'ops by field, for the fields that have some') FROM p;
SELECT is(ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a', ARRAY['name']) -> 'missing',
          '["external_id", "category", "price"]', 'every missing required products column is listed');
SELECT is(ingest.plan_columns('customers', 'a1a1a1a1-0000-4000-8000-00000000000a', ARRAY['Member ID', 'Full Name', 'dob']) -> 'missing',
          '["email"]', 'customers need external_id, full_name, email');
SELECT is(pg_temp.fields(ingest.plan_columns('customers', 'a1a1a1a1-0000-4000-8000-00000000000a',
              ARRAY['Customer ID', 'Name', 'E-mail', 'Height (ft/in)', 'Weight (lbs)', 'Height_m', 'Allergies'])),
          ARRAY['external_id', 'full_name', 'email', 'height_cm', 'weight_kg', '-', 'avoid_allergens'],
          'customers: the same word maps by mode (Name -> full_name, Allergies -> avoid_allergens)');
SELECT is(pg_temp.col(ingest.plan_columns('customers', 'a1a1a1a1-0000-4000-8000-00000000000a',
              ARRAY['Height (ft/in)', 'Weight (lbs)']), 1) -> 'ops', '["ft_in_to_cm"]', 'Height (ft/in): ft_in_to_cm');
SELECT is(pg_temp.col(ingest.plan_columns('customers', 'a1a1a1a1-0000-4000-8000-00000000000a',
              ARRAY['Height (ft/in)', 'Weight (lbs)']), 2) -> 'ops', '["lb_to_kg"]', 'Weight (lbs): lb_to_kg');

-- ---------------------------------------------------------------- two columns for one field
SELECT is(pg_temp.fields(ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a', ARRAY['Calories', 'kcal'])),
          ARRAY['energy_kcal', '-'], 'two spellings of one field: the leftmost wins');
SELECT is(pg_temp.col(ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a', ARRAY['Calories', 'kcal']), 2) ->> 'ignored',
          'another column maps to energy_kcal', 'the other is ignored, with the reason');
SELECT is(pg_temp.fields(ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a', ARRAY['Calories', 'Energy kcal'])),
          ARRAY['-', 'energy_kcal'], 'a header that is the field''s own name beats an earlier synonym');
SELECT is(pg_temp.fields(ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a', ARRAY['kcal_guess', 'Calories'])),
          ARRAY['-', 'energy_kcal'], 'a higher confidence beats an earlier column');
SELECT is(pg_temp.fields(ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a', ARRAY['energy-kj_100g', 'energy-kcal_100g'])),
          ARRAY['energy_kcal', '-'], 'kJ and kcal columns of one field: one of them only (the leftmost)');

-- ---------------------------------------------------------------- barcode as the key
CREATE TEMP TABLE off AS SELECT ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a',
    ARRAY['code', 'product_name', 'main_category', 'price']) AS plan;
SELECT is(pg_temp.fields(plan), ARRAY['barcode', 'external_id', 'name', 'category', 'price'],
          'a products file without an id column (Open Food Facts) is keyed on its barcode column') FROM off;
SELECT is(plan -> 'missing', '[]', 'so external_id is not missing') FROM off;
SELECT is((SELECT c ->> 'via' FROM jsonb_array_elements(plan -> 'columns') c WHERE c ->> 'field' = 'external_id'), 'barcode',
          'the plan says so') FROM off;
SELECT is(pg_temp.fields(ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a', ARRAY['sku', 'ean', 'name', 'category', 'price'])),
          ARRAY['external_id', 'barcode', 'name', 'category', 'price'], 'with an id column the barcode stays a barcode only');
SELECT is(ingest.plan_columns('customers', 'a1a1a1a1-0000-4000-8000-00000000000a', ARRAY['barcode', 'name', 'email']) -> 'missing',
          '["external_id"]', 'customers are never keyed on anything but their id');

-- ---------------------------------------------------------------- the vendor's own mapping
RESET ROLE;
INSERT INTO ingest.vendor_mappings (vendor_id, mode, map, version) VALUES
    ('a1a1a1a1-0000-4000-8000-00000000000a', 'products', '{"Preis": {"field": "name"}}', 1),
    ('a1a1a1a1-0000-4000-8000-00000000000a', 'products',
     '{"Preis": {"field": "price"}, "Calories": {"field": null}, "Kcal/serving": {"field": "energy_kcal", "ops": ["kj_to_kcal"]},
       "Artikel": {"field": "external_id"}, "Brands": {"field": "shelf"}}', 2);
SET LOCAL ROLE odyssey_worker;
CREATE TEMP TABLE vm AS SELECT ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a',
    ARRAY['SKU', 'Artikel', 'name', 'category', ' PREIS ', 'Calories', 'Kcal/serving', 'Brands']) AS plan;
SELECT is(pg_temp.fields(plan), ARRAY['-', 'external_id', 'name', 'category', 'price', '-', 'energy_kcal', '-'],
          'the vendor''s mapping (highest version) applies, compared in normalized form') FROM vm;
SELECT is(pg_temp.col(plan, 2) ->> 'via', 'vendor_mapping', 'and wins over a dictionary column of the same field') FROM vm;
SELECT is(pg_temp.col(plan, 1) ->> 'ignored', 'another column maps to external_id', 'which is then ignored') FROM vm;
SELECT is(pg_temp.col(plan, 6), '{"field": null, "ops": [], "via": null, "ignored": "no mapping for this header"}',
          '{"field": null} ignores a column the dictionary knows') FROM vm;
SELECT is(pg_temp.col(plan, 7) -> 'ops', '["kj_to_kcal"]', 'a mapping''s ops') FROM vm;
SELECT is(pg_temp.col(plan, 8) ->> 'ignored', 'unknown field shelf', 'a mapping to a field the mode does not have is ignored') FROM vm;
SELECT set_config('odyssey.vendor_id', 'b1b1b1b1-0000-4000-8000-00000000000b', true);
SELECT is(pg_temp.fields(ingest.plan_columns('products', 'b1b1b1b1-0000-4000-8000-00000000000b', ARRAY['Artikel', 'Preis'])),
          ARRAY['-', '-'], 'another vendor''s mapping does not apply to its files');
SELECT is(pg_temp.fields(ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a', ARRAY['Artikel', 'Preis'])),
          ARRAY['-', '-'], 'nor can it be read from another vendor''s context');

-- ---------------------------------------------------------------- the staging INSERT
SELECT is(ingest.stage_sql('products', ingest.plan_columns('products', 'a1a1a1a1-0000-4000-8000-00000000000a',
              ARRAY['code', 'product_name', 'categories', 'price', 'energy-kj_100g', 'x', 'serving_size']), ','),
          $$INSERT INTO ingest.stg_products (vendor_id, job_id, row_no, external_id, barcode, name, category, price, energy_kcal, serving_size) $$
          || $$SELECT $2, $1, $3 + r.n, r.c1, r.c1, r.c2, r.c3, ingest.number_text(r.c4, ','), ingest.apply_ops(r.c5, '["kj_to_kcal", "per_100g"]', r.c7, ','), r.c7 FROM pg_temp.ingest_raw r$$,
          'stage_sql: mapped columns only, ops applied, per_100g against the row''s serving_size column, numbers read with the file''s decimal separator');
SELECT is(ingest.decimal_sql('customers', ingest.plan_columns('customers', 'a1a1a1a1-0000-4000-8000-00000000000a',
              ARRAY['id', 'name', 'email', 'weight_lb', 'age'])),
          $$SELECT e FROM (SELECT ingest.decimal_evidence(v.x) AS e FROM pg_temp.ingest_raw r, LATERAL (VALUES (r.c4), (r.c5)) AS v(x) $$
          || $$WHERE r.n <= 10000) AS d WHERE e IS NOT NULL GROUP BY e ORDER BY count(*) DESC, e LIMIT 1$$,
          'decimal_sql: the evidence of the number columns of a chunk''s first 10,000 records, most votes first');

SELECT * FROM finish();
ROLLBACK;
