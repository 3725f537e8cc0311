-- Health derivations: formula test vectors (notes.md), validation with field errors, synonym
-- normalization, age from dob, derived_limits (general baseline + conditions, vendor override,
-- strictest-wins, per-kg / per-1000-kcal / %-kcal resolution), recompute on rule change, PHI access.
BEGIN;
SELECT plan(46);

-- Own platform templates (whatever reference data is seeded is set aside inside this transaction).
UPDATE health.diet_rules SET active = false WHERE active;
INSERT INTO health.diet_rules (vendor_id, condition_code, policy) VALUES
 (NULL, 'general', '{"limits": {"sodium_mg": {"max": 2300}, "added_sugars_g": {"max": 50}, "saturated_fat_g": {"max": 20}, "fiber_g": {"min": 28}}}'),
 (NULL, 'hypertension', '{"limits": {"sodium_mg": {"max": 1500}}}'),
 (NULL, 'type2_diabetes', '{"limits": {"added_sugars_g": {"max": 25}, "fiber_g": {"min_per_1000_kcal": 14}, "sodium_mg": {"max": 2300}}, "scoring": {"fiber_bonus": true}}'),
 (NULL, 'heart_disease', '{"limits": {"saturated_fat_g": {"max_pct_kcal": 6}}}'),
 (NULL, 'ckd', '{"limits": {"protein_g": {"max_per_kg": 0.6}, "sodium_mg": {"max": 2300}}}'),
 (NULL, 'celiac', '{"hard": {"exclude_allergens": ["wheat"], "exclude_ingredients": ["wheat", "rye", "barley", "spelt"]}}');
-- Label words (dairy/whey/casein -> milk, diabetes/t2d -> type2_diabetes) come from the seeded dictionary.

INSERT INTO core.vendors (id, name) VALUES
    ('d0000000-0000-4000-8000-0000000000a1', 'Health Test A'),
    ('d0000000-0000-4000-8000-0000000000b2', 'Health Test B');
SET LOCAL odyssey.vendor_id = 'd0000000-0000-4000-8000-0000000000a1';
INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, dob, location)
SELECT crm.customer_id('d0000000-0000-4000-8000-0000000000a1', x), 'd0000000-0000-4000-8000-0000000000a1', x, 'N ' || x, x || '@example.com',
       30, CASE WHEN x = 'dob' THEN (current_date - interval '41 years 2 days')::date END, '{}'
  FROM unnest(ARRAY['m', 'f', 'o', 'u', 'dob', 'bad', 'multi', 'ckd']) x;

CREATE FUNCTION pg_temp.cid(p text) RETURNS uuid LANGUAGE sql AS $$ SELECT crm.customer_id('d0000000-0000-4000-8000-0000000000a1', p) $$;
CREATE FUNCTION pg_temp.prof(p text) RETURNS health.customer_health_profiles LANGUAGE sql AS $$
    SELECT * FROM health.customer_health_profiles WHERE customer_id = pg_temp.cid(p) $$;

-- 1. Formula test vectors: 70 kg, 175 cm, 30 y
SELECT is(health.bmr(70, 175, 30, 'male'), 1648.75, 'BMR male 1648.75');
SELECT is(health.bmr(70, 175, 30, 'female'), 1482.75, 'BMR female 1482.75');
SELECT is(health.bmr(70, 175, 30, 'other'), 1565.75, 'BMR other 1565.75 (midpoint s = -78)');
SELECT is(health.bmr(70, 175, 30, 'unspecified'), 1565.75, 'BMR unspecified uses the midpoint too');
SELECT is(health.bmr(70, 175, 30, 'male') * health.activity_factor('moderate'), 2555.5625, 'TDEE male x moderate 2555.5625');
SELECT is(round(health.bmi(70, 175), 3), 22.857, 'BMI 22.857');
SELECT results_eq($$ SELECT l, health.activity_factor(l) FROM unnest(enum_range(NULL::health.activity_level)) l $$,
                  $$ VALUES ('sedentary'::health.activity_level, 1.2), ('light', 1.375), ('moderate', 1.55), ('very', 1.725), ('extra', 1.9) $$,
                  'activity factors');

-- 2. Derived on insert
INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level)
SELECT 'd0000000-0000-4000-8000-0000000000a1', pg_temp.cid(x), 175, 70, 30, g::crm.gender, 'moderate'
  FROM (VALUES ('m', 'male'), ('f', 'female'), ('o', 'other'), ('u', 'unspecified')) v(x, g);
SELECT results_eq($$ SELECT bmi, bmr, tdee_cached, bmr_estimated FROM health.customer_health_profiles
                      WHERE customer_id IN (pg_temp.cid('m'), pg_temp.cid('f'), pg_temp.cid('o')) ORDER BY bmr DESC $$,
                  $$ VALUES (22.86::numeric(5,2), 1648.75::numeric(8,2), 2555.56::numeric(8,2), false),
                            (22.86, 1565.75, 2426.91, true), (22.86, 1482.75, 2298.26, false) $$,
                  'stored BMI, BMR, TDEE (2 decimals) and the estimated flag for other');
SELECT is((pg_temp.prof('u')).bmr_estimated, true, 'unspecified gender: BMR flagged as estimated');

-- 3. Age from dob
INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level)
VALUES ('d0000000-0000-4000-8000-0000000000a1', pg_temp.cid('dob'), 175, 70, 99, 'male', 'light');
SELECT is((pg_temp.prof('dob')).age, 41, 'age is derived from the customer''s dob (the given 99 is ignored)');
SELECT is((pg_temp.prof('dob')).bmr, 10 * 70 + 6.25 * 175 - 5 * 41 + 5.00, 'and BMR uses that age');

-- 4. Validation with field errors
CREATE FUNCTION pg_temp.bad(p_height numeric, p_weight numeric, p_age int, p_conditions text[] DEFAULT '{}',
                            p_allergens text[] DEFAULT '{}', p_goals text[] DEFAULT '{}', p_macro jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE v_detail text;
BEGIN
    INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level,
                                                 conditions, avoid_allergens, diet_goals, macro_targets)
    VALUES ('d0000000-0000-4000-8000-0000000000a1', pg_temp.cid('bad'), p_height, p_weight, p_age, 'female', 'light',
            p_conditions, p_allergens, p_goals, p_macro);
    DELETE FROM health.customer_health_profiles WHERE customer_id = pg_temp.cid('bad');
    RETURN NULL;
EXCEPTION WHEN check_violation THEN
    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
    RETURN v_detail::jsonb;
END $$;
SELECT is(pg_temp.bad(170, 60, 30), NULL, 'a valid profile passes');
SELECT is((SELECT array_agg(e ->> 'field' ORDER BY e ->> 'field') FROM jsonb_array_elements(pg_temp.bad(5.9, 900, 130)) e),
          ARRAY['age', 'height_cm', 'weight_kg'], 'out-of-range height (feet given as cm), weight and age are each reported');
SELECT is((SELECT e ->> 'code' FROM jsonb_array_elements(pg_temp.bad(170, 60, 30, '{flu}')) e), 'unknown_code', 'unknown condition rejected');
SELECT is((SELECT e ->> 'field' FROM jsonb_array_elements(pg_temp.bad(170, 60, 30, '{}', '{dairy,kryptonite}')) e), 'avoid_allergens',
          'unknown allergen rejected (dairy alone would be fine)');
SELECT ok((SELECT e ->> 'message' FROM jsonb_array_elements(pg_temp.bad(170, 60, 30, '{}', '{dairy,kryptonite}')) e) LIKE '%kryptonite%',
          'the message names the unknown allergen');
SELECT is((SELECT e ->> 'field' FROM jsonb_array_elements(pg_temp.bad(170, 60, 30, '{}', '{}', '{carnivore}')) e), 'diet_goals', 'unknown diet goal rejected');
SELECT is((SELECT e ->> 'field' FROM jsonb_array_elements(pg_temp.bad(170, 60, 30, '{}', '{}', '{}', '{"per_serving_max": {"salt": 3}}')) e),
          'macro_targets.per_serving_max.salt', 'unknown per-serving nutrient key rejected');
SELECT throws_ok($$ INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level)
                    VALUES ('d0000000-0000-4000-8000-0000000000a1', pg_temp.cid('bad'), 40, 70, 30, 'male', 'light') $$,
                 '23514', NULL, 'validation errors are check violations (422)');

-- 5. Normalization through value synonyms
INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level,
                                             conditions, avoid_allergens, diet_goals)
VALUES ('d0000000-0000-4000-8000-0000000000a1', pg_temp.cid('multi'), 175, 70, 30, 'male', 'moderate',
        '{Hypertension,diabetes,heart_disease,celiac}', '{Dairy, whey ,Sesame}', '{Vegan}');
SELECT is((pg_temp.prof('multi')).avoid_allergens, ARRAY['milk', 'sesame'], 'allergens normalized: Dairy/whey -> milk, Sesame -> sesame');
SELECT is((pg_temp.prof('multi')).conditions, ARRAY['celiac', 'heart_disease', 'hypertension', 'type2_diabetes'], 'conditions normalized (diabetes -> type2_diabetes)');
SELECT is((pg_temp.prof('multi')).diet_goals, ARRAY['vegan'], 'diet goals normalized');

-- 6. derived_limits: strictest-wins and resolution against weight / TDEE
SELECT is(((pg_temp.prof('multi')).derived_limits #>> '{limits,sodium_mg,max}')::numeric, 1500.00, 'sodium: hypertension 1500 beats general/diabetes 2300');
SELECT is((pg_temp.prof('multi')).derived_limits #> '{limits,sodium_mg,max_sources}', '["hypertension"]', 'and the source is named');
SELECT is(((pg_temp.prof('multi')).derived_limits #>> '{limits,added_sugars_g,max}')::numeric, 25.00, 'added sugars: diabetes 25 beats general 50');
SELECT is(((pg_temp.prof('multi')).derived_limits #>> '{limits,fiber_g,min}')::numeric, round(14 * 2555.56 / 1000, 2),
          'fiber floor: 14 g per 1000 kcal of TDEE (35.78) beats general 28 (higher floor wins)');
SELECT is(((pg_temp.prof('multi')).derived_limits #>> '{limits,saturated_fat_g,max}')::numeric, round(0.06 * 2555.56 / 9, 2),
          'saturated fat: 6 % of kcal = 17.04 g beats general 20 g');
SELECT is(((pg_temp.prof('multi')).derived_limits ->> 'fiber_bonus')::boolean, true, 'diabetes asks for the fiber bonus');
SELECT is((pg_temp.prof('multi')).derived_limits #> '{hard,exclude_ingredients}', '["barley", "rye", "spelt", "wheat"]', 'celiac hard rule carried');
SELECT is((pg_temp.prof('m')).derived_limits #> '{conditions}', '["general"]', 'no condition: the general baseline applies');
SELECT is(((pg_temp.prof('m')).derived_limits #>> '{limits,sodium_mg,max}')::numeric, 2300.00, 'general sodium 2300');
INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level, conditions)
VALUES ('d0000000-0000-4000-8000-0000000000a1', pg_temp.cid('ckd'), 180, 82.5, 60, 'female', 'light', '{ckd}');
SELECT is(((pg_temp.prof('ckd')).derived_limits #>> '{limits,protein_g,max}')::numeric, 49.50, 'CKD protein 0.6 g/kg x 82.5 kg = 49.5 g');
-- Heavy satfat limit when the TDEE is high: general 20 g is then stricter than 6 % of kcal.
SELECT is(((health.derive_limits('d0000000-0000-4000-8000-0000000000a1', '{heart_disease}', 100, 3600)) #>> '{limits,saturated_fat_g,max}')::numeric,
          20.00, 'strictest-wins picks the general 20 g over 6 % of 3600 kcal (24 g)');

-- 7. A vendor rule overrides the platform default and re-derives the vendor's profiles
SET LOCAL ROLE odyssey_vendor_admin;
INSERT INTO health.diet_rules (vendor_id, condition_code, policy)
VALUES ('d0000000-0000-4000-8000-0000000000a1', 'hypertension', '{"limits": {"sodium_mg": {"max": 1200}}}');
RESET ROLE;
SELECT is(((pg_temp.prof('multi')).derived_limits #>> '{limits,sodium_mg,max}')::numeric, 1200.00, 'vendor hypertension rule (1200) replaces the default (1500)');
SELECT is((pg_temp.prof('multi')).derived_limits #> '{rules}' @> '[{"condition": "hypertension", "vendor_rule": true}]', true, 'the rule is recorded as the vendor''s');
SELECT is(((pg_temp.prof('m')).derived_limits #>> '{limits,sodium_mg,max}')::numeric, 2300.00, 'a profile without hypertension is unaffected');
UPDATE health.diet_rules SET policy = '{"limits": {"sodium_mg": {"max": 1800}}}'
 WHERE vendor_id = 'd0000000-0000-4000-8000-0000000000a1' AND condition_code = 'hypertension';
SELECT is(((pg_temp.prof('multi')).derived_limits #>> '{limits,sodium_mg,max}')::numeric, 1800.00, 'updating the vendor rule re-derives (1800)');
UPDATE health.diet_rules SET active = false WHERE vendor_id = 'd0000000-0000-4000-8000-0000000000a1';
SELECT is(((pg_temp.prof('multi')).derived_limits #>> '{limits,sodium_mg,max}')::numeric, 1500.00, 'deactivating it falls back to the platform default');
-- A platform default change reaches every vendor's profiles.
UPDATE health.diet_rules SET policy = '{"limits": {"sodium_mg": {"max": 2000}, "added_sugars_g": {"max": 50}, "saturated_fat_g": {"max": 20}, "fiber_g": {"min": 28}}}'
 WHERE vendor_id IS NULL AND condition_code = 'general' AND active;
SELECT is(((pg_temp.prof('m')).derived_limits #>> '{limits,sodium_mg,max}')::numeric, 2000.00, 'a platform general change re-derives profiles');
SELECT throws_ok($$ INSERT INTO health.diet_rules (vendor_id, condition_code, policy) VALUES (NULL, 'x', '{"limits": {"sodium_mg": {"maximum": 3}}}') $$,
                 '23514', NULL, 'a malformed policy is rejected');

-- 8. Updating inputs re-derives; the vendor B tenant sees nothing of A
UPDATE health.customer_health_profiles SET weight_kg = 80 WHERE customer_id = pg_temp.cid('m');
SELECT is((pg_temp.prof('m')).bmr, 1748.75::numeric(8,2), 'an update recomputes BMR');
SELECT is((pg_temp.prof('m')).bmi, 26.12::numeric(5,2), 'and BMI');

-- 9. PHI: vendor_viewer has no access; another tenant sees nothing
SELECT pg_temp.cid('m') AS m_id \gset
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT throws_ok($$ SELECT count(*) FROM health.customer_health_profiles $$, '42501', NULL, 'vendor_viewer cannot read health profiles');
SELECT throws_ok(format('SELECT api.get_customer_health(%L)', :'m_id'), '42501', NULL, 'nor call the health API');
RESET ROLE;
SET LOCAL odyssey.vendor_id = 'd0000000-0000-4000-8000-0000000000b2';
SET LOCAL ROLE odyssey_vendor_admin;
SELECT is((SELECT count(*) FROM health.customer_health_profiles), 0::bigint, 'another tenant sees no profile');
RESET ROLE;

SELECT is(health.normalize_codes('allergen', ARRAY['en:lupin', 'Lupin', 'en:whey', 'fr:moutarde', 'en:']), ARRAY['lupin', 'milk', 'moutarde'],
          'normalize_codes: a language prefix is dropped from unknown words too ("en:lupin" and "Lupin" are one code)');

SELECT * FROM finish();
ROLLBACK;
