-- Platform default diet-rule templates (schema/ref_diet_rules): the numbers of notes.md, the shared
-- policy JSON format, sources in meta, and who may read and write them.
BEGIN;
SELECT plan(20);

SELECT set_eq(
    $$SELECT condition_code FROM health.diet_rules WHERE vendor_id IS NULL AND active$$,
    ARRAY['general', 'type2_diabetes', 'hypertension', 'heart_disease', 'ckd', 'celiac'],
    'one active platform template per condition of the conventions');

CREATE TEMP TABLE t_tpl ON COMMIT DROP AS
SELECT condition_code, policy FROM health.diet_rules WHERE vendor_id IS NULL AND active;

SELECT is((SELECT policy -> 'limits' FROM t_tpl WHERE condition_code = 'general'),
          '{"sodium_mg": {"max": 2300}, "added_sugars_g": {"max": 50}, "saturated_fat_g": {"max": 20}, "fiber_g": {"min": 28}}'::jsonb,
          'general: sodium <= 2300 mg, added sugars <= 50 g, saturated fat <= 20 g, fiber >= 28 g');
SELECT is((SELECT policy -> 'limits' FROM t_tpl WHERE condition_code = 'type2_diabetes'),
          '{"added_sugars_g": {"max": 25}, "fiber_g": {"min_per_1000_kcal": 14}, "sodium_mg": {"max": 2300}}'::jsonb,
          'type2_diabetes: added sugars <= 25 g, fiber >= 14 g per 1000 kcal, sodium <= 2300 mg');
SELECT is((SELECT policy -> 'scoring' -> 'fiber_bonus' FROM t_tpl WHERE condition_code = 'type2_diabetes'),
          'true'::jsonb, 'type2_diabetes: fiber bonus in scoring');
SELECT is((SELECT count(*)::int FROM t_tpl WHERE policy -> 'scoring' ? 'fiber_bonus'), 1,
          'only the diabetes template carries the fiber bonus');
SELECT is((SELECT policy -> 'limits' FROM t_tpl WHERE condition_code = 'hypertension'),
          '{"sodium_mg": {"max": 1500}}'::jsonb, 'hypertension: sodium <= 1500 mg');
SELECT is((SELECT policy -> 'limits' FROM t_tpl WHERE condition_code = 'heart_disease'),
          '{"saturated_fat_g": {"max_pct_kcal": 6}}'::jsonb, 'heart_disease: saturated fat <= 6 % of kcal');
SELECT is((SELECT policy -> 'limits' FROM t_tpl WHERE condition_code = 'ckd'),
          '{"protein_g": {"max_per_kg": 0.6}, "sodium_mg": {"max": 2300}}'::jsonb,
          'ckd: protein <= 0.6 g/kg, sodium <= 2300 mg');
SELECT is((SELECT policy -> 'hard' FROM t_tpl WHERE condition_code = 'celiac'),
          '{"exclude_allergens": ["wheat"], "exclude_ingredients": ["wheat", "spelt", "durum", "kamut", "rye", "barley", "triticale", "malt"]}'::jsonb,
          'celiac: hard exclusion of wheat and the gluten grains');
SELECT is((SELECT count(*)::int FROM t_tpl
            WHERE condition_code <> 'celiac'
              AND (jsonb_array_length(policy -> 'hard' -> 'exclude_allergens') > 0
                   OR jsonb_array_length(policy -> 'hard' -> 'exclude_ingredients') > 0)), 0,
          'no template but celiac has hard exclusions');

-- Shape: the shared policy JSON format, known nutrient keys and operators only.
SELECT is((SELECT array_agg(condition_code ORDER BY condition_code) FROM t_tpl
            WHERE NOT (policy ?& ARRAY['limits', 'hard', 'scoring', 'meta'])
               OR jsonb_typeof(policy -> 'limits') <> 'object'
               OR jsonb_typeof(policy -> 'hard' -> 'exclude_allergens') <> 'array'
               OR jsonb_typeof(policy -> 'hard' -> 'exclude_ingredients') <> 'array'), NULL,
          'every template has limits, hard (two arrays), scoring and meta');
SELECT is((SELECT array_agg(t.condition_code || '.' || l.key) FROM t_tpl t, jsonb_each(t.policy -> 'limits') l
            WHERE l.key <> ALL (catalog.nutrient_keys())), NULL,
          'every limit is on a catalog.nutrient_keys() key');
SELECT is((SELECT array_agg(t.condition_code || '.' || l.key || '.' || o.key)
             FROM t_tpl t, jsonb_each(t.policy -> 'limits') l, jsonb_each(l.value) o
            WHERE o.key NOT IN ('max', 'min', 'max_per_kg', 'min_per_1000_kcal', 'max_pct_kcal')
               OR jsonb_typeof(o.value) <> 'number'), NULL,
          'every limit uses one of the five operators with a number');
SELECT is((SELECT array_agg(a) FROM t_tpl t, jsonb_array_elements_text(t.policy -> 'hard' -> 'exclude_allergens') a
            WHERE ingest.normalize_value('allergen', a) IS DISTINCT FROM a), NULL,
          'excluded allergens are canonical allergen codes');

-- Sources cited in meta.
SELECT is((SELECT array_agg(condition_code) FROM t_tpl
            WHERE coalesce(length(policy -> 'meta' ->> 'label'), 0) = 0
               OR NOT (policy -> 'meta' ->> 'source') ~ CASE condition_code
                        WHEN 'general' THEN 'FDA Daily Values'
                        WHEN 'type2_diabetes' THEN 'ADA Standards of Care'
                        WHEN 'hypertension' THEN 'AHA'
                        WHEN 'heart_disease' THEN 'AHA'
                        WHEN 'ckd' THEN 'KDOQI'
                        WHEN 'celiac' THEN 'gluten grains' END), NULL,
          'every template has a label and cites its source (FDA DV, ADA, AHA, KDOQI, gluten grains)');

-- Who reads and writes the templates.
INSERT INTO core.vendors (id, name) VALUES ('00000000-0000-4000-8000-00000000d1e1', 'Diet Rule Vendor');
SET LOCAL ROLE odyssey_vendor_viewer;
SET LOCAL odyssey.vendor_id = '00000000-0000-4000-8000-00000000d1e1';
SELECT is((SELECT count(*)::int FROM health.diet_rules WHERE vendor_id IS NULL), 6,
          'a vendor role reads the six platform templates');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_admin;
WITH u AS (UPDATE health.diet_rules SET policy = '{}' WHERE vendor_id IS NULL RETURNING 1)
SELECT is(count(*)::int, 0, 'a vendor admin cannot change a platform template') FROM u;
SELECT throws_ok($$INSERT INTO health.diet_rules (vendor_id, condition_code, policy, active)
                   VALUES (NULL, 'celiac', '{}', false)$$, '42501', NULL,
                 'a vendor admin cannot add a platform template');
RESET ROLE;
-- The deploy mechanism: the owner obeys forced RLS and acts as superadmin only through the
-- transaction-local odyssey.role setting (the fallback of app.current_app_role for owner sessions).
SET LOCAL ROLE odyssey_owner;
SET LOCAL odyssey.vendor_id = '';
SELECT throws_ok($$INSERT INTO health.diet_rules (vendor_id, condition_code, policy, active)
                   VALUES (NULL, 'celiac', '{}', false)$$, '42501', NULL,
                 'the owner without odyssey.role cannot write a platform template (RLS forced)');
SET LOCAL odyssey.role = 'superadmin';
SELECT lives_ok($$INSERT INTO health.diet_rules (vendor_id, condition_code, policy, active)
                  VALUES (NULL, 'celiac', '{}', false)$$,
                'the owner with odyssey.role = superadmin writes a platform template, as the deploy does');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
