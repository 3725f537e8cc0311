-- Header dictionary (schema/ref_header_synonyms) and ingest.normalize_header: every canonical
-- staging field is reachable, Open Food Facts and unit-variant headers map with the right ops, and
-- a normalized header maps to exactly one (mode, canonical, ops) row.
BEGIN;
SELECT plan(32);

-- normalize_header
SELECT is(ingest.normalize_header('Energy-kcal_100g'), 'energy_kcal_100g', 'normalize_header: Energy-kcal_100g');
SELECT is(ingest.normalize_header('Product Name'), 'product_name', 'normalize_header: Product Name');
SELECT is(ingest.normalize_header(U&'\FEFF Sodium (mg) '), 'sodium_mg', 'normalize_header: BOM, spaces and parentheses');
SELECT is(ingest.normalize_header(E'__Incl.\tAdded  Sugars--(g)__'), 'incl_added_sugars_g', 'normalize_header: runs of punctuation become one _');
SELECT is(ingest.normalize_header(' -- '), NULL, 'normalize_header: nothing left is NULL');
SELECT ok((SELECT provolatile = 'i' AND proisstrict AND proparallel = 's' FROM pg_proc
            WHERE oid = 'ingest.normalize_header(text)'::regprocedure),
          'normalize_header is IMMUTABLE STRICT PARALLEL SAFE');
SELECT set_eq($$SELECT unnest(ingest.known_transform_ops())$$,
              ARRAY['kj_to_kcal', 'g_to_mg', 'mg_to_g', 'salt_g_to_sodium_mg', 'lb_to_kg', 'oz_to_g',
                    'ft_in_to_cm', 'in_to_cm', 'm_to_cm', 'per_100g', 'split_list'],
              'the transform-op vocabulary');

-- Coverage: every canonical field of both staging tables, and nothing else.
SELECT ok(cardinality(ingest.mode_fields('products')) = 36 AND 'sodium_mg' = ANY (ingest.mode_fields('products'))
          AND 'raw' <> ALL (ingest.mode_fields('products')),
          'mode_fields(products) are the staging columns after raw');
SELECT set_eq($$SELECT DISTINCT canonical FROM ingest.synonyms_header WHERE mode = 'products'$$,
              $$SELECT unnest(ingest.mode_fields('products'))$$, 'every products staging field has header synonyms');
SELECT set_eq($$SELECT DISTINCT canonical FROM ingest.synonyms_header WHERE mode = 'customers'$$,
              $$SELECT unnest(ingest.mode_fields('customers'))$$, 'every customers staging field has header synonyms');
SELECT is((SELECT array_agg(m || '.' || f) FROM unnest(enum_range(NULL::ingest.mapping_mode)) AS m,
                                               unnest(ingest.mode_fields(m)) AS f
            WHERE NOT EXISTS (SELECT FROM ingest.match_header(m, f) AS h
                               WHERE h.canonical = f AND NOT h.transform_ops @> '["per_100g"]'
                                 AND h.transform_ops <@ '["split_list"]')), NULL,
          'each canonical field name maps to itself without unit ops');
SELECT is((SELECT array_agg(m || '.' || f) FROM unnest(enum_range(NULL::ingest.mapping_mode)) AS m,
                                               unnest(ingest.mode_fields(m)) AS f
            WHERE (SELECT cardinality(synonyms) FROM ingest.synonyms_header h
                    WHERE h.mode = m AND h.canonical = f AND h.synonyms @> ARRAY[f]) < 3), NULL,
          'each canonical field has at least two other spellings');

-- Open Food Facts columns and other real feed headers, raw as they appear in files.
CREATE TEMP TABLE t_headers (mode ingest.mapping_mode, header text, canonical text, ops jsonb) ON COMMIT DROP;
INSERT INTO t_headers VALUES
  ('products', 'code', 'barcode', '[]'), ('products', 'product_name', 'name', '[]'),
  ('products', 'brands', 'brand', '[]'), ('products', 'ingredients_text', 'ingredients', '[]'),
  ('products', 'allergens', 'allergens', '["split_list"]'), ('products', 'labels', 'dietary_tags', '["split_list"]'),
  ('products', 'energy-kcal_100g', 'energy_kcal', '["per_100g"]'),
  ('products', 'energy-kj_100g', 'energy_kcal', '["kj_to_kcal", "per_100g"]'),
  ('products', 'energy_100g', 'energy_kcal', '["kj_to_kcal", "per_100g"]'),
  ('products', 'sugars_100g', 'sugars_g', '["per_100g"]'), ('products', 'fiber_100g', 'fiber_g', '["per_100g"]'),
  ('products', 'proteins_100g', 'protein_g', '["per_100g"]'), ('products', 'fat_100g', 'fat_g', '["per_100g"]'),
  ('products', 'saturated-fat_100g', 'saturated_fat_g', '["per_100g"]'),
  ('products', 'carbohydrates_100g', 'carbohydrates_g', '["per_100g"]'),
  ('products', 'salt_100g', 'sodium_mg', '["salt_g_to_sodium_mg", "per_100g"]'),
  ('products', 'sodium_100g', 'sodium_mg', '["g_to_mg", "per_100g"]'),
  ('products', 'cholesterol_100g', 'cholesterol_mg', '["g_to_mg", "per_100g"]'),
  ('products', 'url', 'source_url', '[]'), ('products', 'image_url', 'image_url', '[]'),
  ('products', 'countries', 'market', '[]'), ('products', 'quantity', 'package_weight', '[]'),
  ('products', 'serving_size', 'serving_size', '[]'), ('products', 'generic_name', 'description', '[]');
INSERT INTO t_headers VALUES
  ('products', 'Sodium (mg)', 'sodium_mg', '[]'), ('products', 'Sodium (g)', 'sodium_mg', '["g_to_mg"]'),
  ('products', 'Salt (g)', 'sodium_mg', '["salt_g_to_sodium_mg"]'), ('products', 'Energy (kJ)', 'energy_kcal', '["kj_to_kcal"]'),
  ('products', 'Calories', 'energy_kcal', '[]'), ('products', 'Total Fat (g)', 'fat_g', '[]'),
  ('products', 'Total Carbohydrate (g)', 'carbohydrates_g', '[]'), ('products', 'Dietary Fiber (g)', 'fiber_g', '[]'),
  ('products', 'Incl. Added Sugars (g)', 'added_sugars_g', '[]'), ('products', 'Net Wt (oz)', 'package_weight', '["oz_to_g"]'),
  ('products', 'SKU', 'external_id', '[]'), ('products', 'UPC', 'barcode', '[]'),
  ('customers', 'Weight (lbs)', 'weight_kg', '["lb_to_kg"]'), ('customers', 'weight_lb', 'weight_kg', '["lb_to_kg"]'),
  ('customers', 'Weight (kg)', 'weight_kg', '[]'), ('customers', 'Height (in)', 'height_cm', '["in_to_cm"]'),
  ('customers', 'height_ft_in', 'height_cm', '["ft_in_to_cm"]'), ('customers', 'Height (m)', 'height_cm', '["m_to_cm"]'),
  ('customers', 'Height', 'height_cm', '[]'), ('customers', 'Date of Birth', 'dob', '[]'),
  ('customers', 'E-mail', 'email', '[]'), ('customers', 'Sex', 'gender', '[]'),
  ('customers', 'Allergies', 'avoid_allergens', '["split_list"]'),
  ('customers', 'Medical Conditions', 'conditions', '["split_list"]'), ('customers', 'Name', 'full_name', '[]');

SELECT is((SELECT array_agg(t.header) FROM t_headers t
            WHERE t.header IN ('code', 'product_name', 'brands', 'ingredients_text', 'allergens', 'labels')
              AND (SELECT array_agg(h.canonical || h.transform_ops::text) FROM ingest.match_header(t.mode, t.header) h)
                  IS DISTINCT FROM ARRAY[t.canonical || t.ops::text]), NULL,
          'Open Food Facts identity and text columns map to their fields');
SELECT is((SELECT array_agg(t.header || ' -> ' || coalesce((SELECT string_agg(h.canonical || h.transform_ops::text, '|')
                                                             FROM ingest.match_header(t.mode, t.header) h), 'nothing'))
             FROM t_headers t
            WHERE t.header ~ '_100g$'
              AND (SELECT array_agg(h.canonical || h.transform_ops::text) FROM ingest.match_header(t.mode, t.header) h)
                  IS DISTINCT FROM ARRAY[t.canonical || t.ops::text]), NULL,
          'Open Food Facts per-100 g nutrient columns map with per_100g and unit ops (kJ, salt, sodium in g)');
SELECT is((SELECT array_agg(t.header || ' -> ' || coalesce((SELECT string_agg(h.canonical || h.transform_ops::text, '|')
                                                             FROM ingest.match_header(t.mode, t.header) h), 'nothing'))
             FROM t_headers t
            WHERE (SELECT array_agg(h.canonical || h.transform_ops::text) FROM ingest.match_header(t.mode, t.header) h)
                  IS DISTINCT FROM ARRAY[t.canonical || t.ops::text]), NULL,
          'every listed feed header (OFF, US label, unit variants, customer files) maps to exactly its field and ops');
SELECT is((SELECT count(*)::int FROM ingest.match_header('products', 'Sodium (mg)')), 1,
          'match_header returns one row for a known header');
SELECT is((SELECT count(*)::int FROM ingest.match_header('products', 'Flavour Notes')), 0,
          'match_header returns nothing for an unknown header');

-- Shape of the dictionary.
SELECT is((SELECT array_agg(DISTINCT canonical) FROM ingest.synonyms_header WHERE transform_ops @> '["split_list"]'),
          ARRAY['allergens', 'avoid_allergens', 'certifications', 'conditions', 'custom_tags', 'diet_goals',
                'dietary_tags', 'regulatory_codes'],
          'exactly the list-valued fields carry split_list');
SELECT is((SELECT array_agg(DISTINCT canonical) FROM ingest.synonyms_header
            WHERE transform_ops @> '["per_100g"]' AND canonical <> ALL (catalog.nutrient_keys())), NULL,
          'per_100g appears only on nutrient fields');
SELECT is((SELECT array_agg(DISTINCT mode || '.' || canonical) FROM ingest.synonyms_header, jsonb_array_elements_text(transform_ops) o
            WHERE o <> ALL (ingest.known_transform_ops())), NULL, 'every stored op is known');
SELECT is((SELECT array_agg(w) FROM ingest.synonyms_header, unnest(synonyms) w
            WHERE w IS DISTINCT FROM ingest.normalize_header(w)), NULL, 'every stored synonym is normalized');
SELECT is((SELECT array_agg(mode || ':' || w) FROM (
             SELECT mode, w FROM ingest.synonyms_header, unnest(synonyms) w GROUP BY mode, w HAVING count(*) > 1) x), NULL,
          'no normalized header maps to two rows of a mode');

-- The trigger keeps it that way.
SELECT throws_ok($$INSERT INTO ingest.synonyms_header (mode, canonical, synonyms) VALUES ('products', 'name', ARRAY['sku'])$$,
                 '23505', NULL, 'a header already mapped to another field is refused');
SELECT throws_ok($$INSERT INTO ingest.synonyms_header (mode, canonical, transform_ops, synonyms)
                   VALUES ('products', 'sodium_mg', '["mg_to_g"]', ARRAY['sodium_na_100g', 'salt_100g'])$$,
                 '23505', NULL, 'a header already mapped to the same field with other ops is refused');
SELECT throws_ok($$UPDATE ingest.synonyms_header SET synonyms = synonyms || 'upc'::text
                    WHERE mode = 'products' AND canonical = 'external_id'$$,
                 '23505', NULL, 'an update adding an already mapped header is refused');
SELECT throws_ok($$INSERT INTO ingest.synonyms_header (mode, canonical, transform_ops, synonyms)
                   VALUES ('products', 'protein_g', '["mg_to_g"]', ARRAY['fat_g_x', 'fat_g'])$$,
                 '23505', NULL, 'a canonical field name cannot map to another field');
SELECT throws_ok($$INSERT INTO ingest.synonyms_header (mode, canonical, transform_ops, synonyms)
                   VALUES ('products', 'protein_g', '["mg_to_g"]', ARRAY['Protein (mg)'])$$,
                 '23514', NULL, 'a synonym not stored normalized is refused');
SELECT throws_ok($$INSERT INTO ingest.synonyms_header (mode, canonical, transform_ops, synonyms)
                   VALUES ('products', 'protein_g', '["oz_to_mg"]', ARRAY['protein_oz'])$$,
                 '23514', NULL, 'an unknown transform op is refused');
SELECT throws_ok($$INSERT INTO ingest.synonyms_header (mode, canonical, synonyms) VALUES ('products', 'flavour', ARRAY['flavour'])$$,
                 '23514', NULL, 'a canonical that is no staging field is refused');
SET LOCAL ROLE odyssey_superadmin;
SELECT lives_ok($$INSERT INTO ingest.synonyms_header (mode, canonical, transform_ops, synonyms)
                  VALUES ('products', 'protein_g', '["mg_to_g"]', ARRAY['protein_mg'])$$,
                'a superadmin adds a new unambiguous row (the trigger runs with its privileges)');
RESET ROLE;
SELECT lives_ok($$UPDATE ingest.synonyms_header SET synonyms = synonyms || 'sku'::text
                   WHERE mode = 'customers' AND canonical = 'external_id'$$,
                'the same header may map in the other mode');

SET LOCAL ROLE odyssey_vendor_operator;
SELECT is((SELECT canonical FROM ingest.match_header('customers', 'Weight (lbs)')), 'weight_kg',
          'vendor roles may look headers up');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
