-- Deploy odyssey:functions/health_derivations to pg
-- requires: schema/health
-- requires: schema/matching
-- requires: functions/audit_trail
-- Health derivations (PRD §5.3, §7.1, notes.md "Health formulas"): on every insert/update of a
-- health profile the inputs are validated (OD422 with field errors) and BMI, BMR (Mifflin-St Jeor;
-- midpoint s = -78 for other/unspecified, flagged bmr_estimated), TDEE and derived_limits are
-- computed. derived_limits combines the diet rules of 'general' and of each condition -- the
-- vendor's active rule when it has one, else the platform default -- strictest-wins (max: lower
-- wins; min: higher wins), with per-kg, per-1000-kcal and %-of-kcal rules resolved against the
-- customer's weight and TDEE. A change of diet rules recomputes the affected profiles; a profile
-- change (or a white/blacklist change) invalidates that customer's cached matches.
BEGIN;

CREATE OR REPLACE FUNCTION health.allergen_codes()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY['milk', 'egg', 'fish', 'crustacean_shellfish', 'tree_nuts', 'peanuts', 'wheat',
                 'soy', 'sesame']::text[]
$$;
COMMENT ON FUNCTION health.allergen_codes() IS 'The 9 US major allergen codes, in bit order of health.allergen_mask().';

CREATE OR REPLACE FUNCTION health.condition_codes()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY['general', 'type2_diabetes', 'hypertension', 'heart_disease', 'ckd', 'celiac']::text[]
$$;
COMMENT ON FUNCTION health.condition_codes() IS 'Built-in condition codes (a condition with an active diet rule is known too).';

CREATE OR REPLACE FUNCTION health.diet_codes()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY['vegan', 'vegetarian', 'pescatarian', 'keto', 'paleo', 'gluten_free', 'dairy_free',
                 'nut_free', 'low_sodium', 'low_sugar', 'low_fat', 'high_protein', 'high_fiber',
                 'organic', 'halal', 'kosher', 'mediterranean']::text[]
$$;
COMMENT ON FUNCTION health.diet_codes() IS 'Diet/tag codes accepted in diet_goals and used as product dietary_tags.';

CREATE OR REPLACE FUNCTION health.normalize_codes(p_domain ingest.value_domain, p_values text[])
RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    -- Each value mapped to its canonical code by the shared dictionary (ingest.normalize_value);
    -- unknown values are kept (lower-cased, inner blanks/hyphens as '_') so that callers can report
    -- them. Result: distinct, sorted.
    SELECT coalesce(array_agg(DISTINCT c ORDER BY c), '{}')
      FROM (SELECT coalesce(ingest.normalize_value(p_domain, x),
                            pg_catalog.regexp_replace(pg_catalog.lower(pg_catalog.btrim(x)), '[\s-]+', '_', 'g')) AS c
              FROM pg_catalog.unnest(p_values) AS x
             WHERE x IS NOT NULL AND pg_catalog.btrim(x) <> '') AS v
$$;
COMMENT ON FUNCTION health.normalize_codes(ingest.value_domain, text[]) IS
  'Normalizes label words to canonical codes of a domain through ingest.synonyms_value (unknown words kept, normalized); distinct and sorted.';

CREATE OR REPLACE FUNCTION health.allergen_mask(p_codes text[])
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(sum(1 << (i - 1)::integer)::integer, 0)
      FROM pg_catalog.unnest(health.allergen_codes()) WITH ORDINALITY AS a(code, i)
     WHERE a.code = ANY (p_codes)
$$;
COMMENT ON FUNCTION health.allergen_mask(text[]) IS 'Bit mask of the major allergen codes present in an array of canonical codes.';

CREATE OR REPLACE FUNCTION health.activity_factor(p_level health.activity_level)
RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE p_level WHEN 'sedentary' THEN 1.2 WHEN 'light' THEN 1.375 WHEN 'moderate' THEN 1.55
                        WHEN 'very' THEN 1.725 WHEN 'extra' THEN 1.9 END
$$;
COMMENT ON FUNCTION health.activity_factor(health.activity_level) IS 'TDEE activity factor (PRD §7.1).';

CREATE OR REPLACE FUNCTION health.bmr(p_weight_kg numeric, p_height_cm numeric, p_age integer, p_gender crm.gender)
RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT 10 * p_weight_kg + 6.25 * p_height_cm - 5 * p_age
           + CASE p_gender WHEN 'male' THEN 5 WHEN 'female' THEN -161 ELSE -78 END
$$;
COMMENT ON FUNCTION health.bmr(numeric, numeric, integer, crm.gender) IS
  'Mifflin-St Jeor BMR (kcal/day); other/unspecified use the midpoint s = -78 (estimated).';

CREATE OR REPLACE FUNCTION health.bmi(p_weight_kg numeric, p_height_cm numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT p_weight_kg / ((p_height_cm / 100) ^ 2) $$;
COMMENT ON FUNCTION health.bmi(numeric, numeric) IS 'Body mass index, kg/m².';

CREATE OR REPLACE FUNCTION health.kcal_per_gram(p_key text)
RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE WHEN p_key IN ('fat_g', 'saturated_fat_g', 'trans_fat_g') THEN 9
                WHEN p_key IN ('protein_g', 'carbohydrates_g', 'sugars_g', 'added_sugars_g') THEN 4
                WHEN p_key = 'energy_kcal' THEN 1 END
$$;
COMMENT ON FUNCTION health.kcal_per_gram(text) IS 'Energy density used to turn a %-of-kcal rule into a nutrient amount; NULL when it does not apply.';

CREATE OR REPLACE FUNCTION health.policy_errors(p_policy jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- Field errors of a diet-rule policy (empty array when valid).
    SELECT coalesce(jsonb_agg(e), '[]'::jsonb) FROM (
        SELECT jsonb_build_object('field', 'policy.limits.' || l.key, 'code', 'unknown_nutrient',
                                  'message', 'unknown nutrient key ' || l.key) AS e
          FROM jsonb_each(CASE WHEN jsonb_typeof(p_policy -> 'limits') = 'object' THEN p_policy -> 'limits' ELSE '{}' END) l
         WHERE l.key <> ALL (catalog.nutrient_keys())
        UNION ALL
        SELECT jsonb_build_object('field', 'policy.limits.' || l.key || '.' || k.key, 'code', 'invalid_rule',
                                  'message', 'a rule is max|min|max_per_kg|min_per_kg|max_per_1000_kcal|min_per_1000_kcal|max_pct_kcal|min_pct_kcal with a non-negative number')
          FROM jsonb_each(CASE WHEN jsonb_typeof(p_policy -> 'limits') = 'object' THEN p_policy -> 'limits' ELSE '{}' END) l
          CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(l.value) = 'object' THEN l.value ELSE '{"": null}' END) k
         WHERE k.key NOT IN ('max', 'min', 'max_per_kg', 'min_per_kg', 'max_per_1000_kcal', 'min_per_1000_kcal', 'max_pct_kcal', 'min_pct_kcal')
            OR jsonb_typeof(k.value) <> 'number' OR (k.value)::numeric < 0
            OR (k.key LIKE '%pct_kcal' AND health.kcal_per_gram(l.key) IS NULL)
        UNION ALL
        SELECT jsonb_build_object('field', 'policy.' || f, 'code', 'invalid_type', 'message', f || ' must be an object')
          FROM unnest(ARRAY['limits', 'hard', 'scoring']) f
         WHERE p_policy ? f AND jsonb_typeof(p_policy -> f) <> 'object'
    ) s
$$;
COMMENT ON FUNCTION health.policy_errors(jsonb) IS 'Validation errors of a diet_rules.policy, as API field errors.';

CREATE OR REPLACE FUNCTION health.derive_limits(p_vendor_id uuid, p_conditions text[], p_weight_kg numeric, p_tdee numeric)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    WITH conds AS (
        SELECT DISTINCT c FROM pg_catalog.unnest(ARRAY['general'] || coalesce(p_conditions, '{}')) AS c
    ), rules AS (
        -- The vendor's active rule overrides the platform default.
        SELECT DISTINCT ON (c.c) c.c AS condition, r.id, r.vendor_id, r.policy
          FROM conds c
          JOIN health.diet_rules r ON r.condition_code = c.c AND r.active
                                  AND (r.vendor_id = p_vendor_id OR r.vendor_id IS NULL)
         ORDER BY c.c, r.vendor_id NULLS LAST
    ), entries AS (
        SELECT r.condition, l.key,
               CASE WHEN k.key LIKE 'max%' THEN 'max' ELSE 'min' END AS dir,
               round(CASE WHEN k.key IN ('max', 'min') THEN (k.value)::numeric
                          WHEN k.key LIKE '%per_kg' THEN (k.value)::numeric * p_weight_kg
                          WHEN k.key LIKE '%per_1000_kcal' THEN (k.value)::numeric * p_tdee / 1000
                          WHEN k.key LIKE '%pct_kcal' THEN (k.value)::numeric / 100 * p_tdee / health.kcal_per_gram(l.key)
                     END, 2) AS val
          FROM rules r
          CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(r.policy -> 'limits') = 'object' THEN r.policy -> 'limits' ELSE '{}' END) l
          CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(l.value) = 'object' THEN l.value ELSE '{}' END) k
         WHERE jsonb_typeof(k.value) = 'number'
    ), best AS (
        -- Strictest wins: the lowest ceiling, the highest floor.
        SELECT key, dir,
               CASE dir WHEN 'max' THEN min(val) ELSE max(val) END AS val
          FROM entries WHERE val IS NOT NULL GROUP BY key, dir
    ), winners AS (
        SELECT b.key, b.dir, b.val,
               (SELECT jsonb_agg(DISTINCT e.condition) FROM entries e
                 WHERE e.key = b.key AND e.dir = b.dir AND e.val = b.val) AS sources
          FROM best b
    ), limits AS (
        SELECT coalesce(jsonb_object_agg(key, obj), '{}') AS j FROM (
            SELECT key, jsonb_object_agg(dir, val) || jsonb_object_agg(dir || '_sources', sources) AS obj
              FROM winners GROUP BY key) s
    )
    SELECT jsonb_build_object(
        'limits', (SELECT j FROM limits),
        'hard', jsonb_build_object(
            'exclude_allergens', (SELECT coalesce(jsonb_agg(a ORDER BY a), '[]') FROM (
                SELECT DISTINCT pg_catalog.unnest(health.normalize_codes('allergen',
                         ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(r.policy #> '{hard,exclude_allergens}') = 'array'
                                                                    THEN r.policy #> '{hard,exclude_allergens}' ELSE '[]' END)))) AS a
                  FROM rules r) s),
            'exclude_ingredients', (SELECT coalesce(jsonb_agg(w ORDER BY w), '[]') FROM (
                SELECT DISTINCT pg_catalog.lower(pg_catalog.btrim(x)) AS w
                  FROM rules r, jsonb_array_elements_text(CASE WHEN jsonb_typeof(r.policy #> '{hard,exclude_ingredients}') = 'array'
                                                               THEN r.policy #> '{hard,exclude_ingredients}' ELSE '[]' END) AS x
                 WHERE pg_catalog.btrim(x) <> '') s)),
        'fiber_bonus', coalesce((SELECT bool_or(coalesce((r.policy #>> '{scoring,fiber_bonus}')::boolean, false)) FROM rules r), false),
        'conditions', (SELECT coalesce(jsonb_agg(c ORDER BY c), '[]') FROM conds c),
        'rules', (SELECT coalesce(jsonb_agg(jsonb_build_object('condition', r.condition, 'rule_id', r.id,
                                                               'vendor_rule', r.vendor_id IS NOT NULL) ORDER BY r.condition), '[]')
                    FROM rules r))
$$;
COMMENT ON FUNCTION health.derive_limits(uuid, text[], numeric, numeric) IS
  'derived_limits of a profile: daily limits of general + conditions (vendor rule over platform default), strictest-wins, resolved against weight and TDEE; plus hard rules and scoring flags.';

CREATE OR REPLACE FUNCTION health.profile_before_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_errors   jsonb := '[]';
    v_dob      date;
    v_unknown  text[];
    v_known_conditions text[];
    v_bmr      numeric;
BEGIN
    -- Age from the customer's date of birth when there is one.
    SELECT c.dob INTO v_dob FROM crm.customers c WHERE c.vendor_id = NEW.vendor_id AND c.id = NEW.customer_id;
    IF v_dob IS NOT NULL THEN
        NEW.age := pg_catalog.date_part('year', pg_catalog.age(current_date, v_dob))::integer;
    END IF;

    IF NEW.height_cm IS NULL OR NEW.height_cm < 50 OR NEW.height_cm > 250 THEN
        v_errors := v_errors || jsonb_build_object('field', 'height_cm', 'code', 'out_of_range',
                     'message', 'height_cm must be between 50 and 250 (centimetres)');
    END IF;
    IF NEW.weight_kg IS NULL OR NEW.weight_kg < 10 OR NEW.weight_kg > 400 THEN
        v_errors := v_errors || jsonb_build_object('field', 'weight_kg', 'code', 'out_of_range',
                     'message', 'weight_kg must be between 10 and 400 (kilograms)');
    END IF;
    IF NEW.age IS NULL OR NEW.age < 2 OR NEW.age > 120 THEN
        v_errors := v_errors || jsonb_build_object('field', 'age', 'code', 'out_of_range',
                     'message', 'age must be between 2 and 120 years (derived from dob when the customer has one)');
    END IF;
    IF NEW.gender IS NULL THEN
        v_errors := v_errors || jsonb_build_object('field', 'gender', 'code', 'required', 'message', 'gender is required');
    END IF;
    IF NEW.activity_level IS NULL THEN
        v_errors := v_errors || jsonb_build_object('field', 'activity_level', 'code', 'required',
                     'message', 'activity_level is one of sedentary, light, moderate, very, extra');
    END IF;

    NEW.conditions := health.normalize_codes('condition', NEW.conditions);
    SELECT array_agg(DISTINCT r.condition_code) INTO v_known_conditions FROM health.diet_rules r WHERE r.active;
    v_unknown := ARRAY(SELECT x FROM unnest(NEW.conditions) x
                        WHERE x <> ALL (health.condition_codes() || coalesce(v_known_conditions, '{}')));
    IF cardinality(v_unknown) > 0 THEN
        v_errors := v_errors || jsonb_build_object('field', 'conditions', 'code', 'unknown_code',
                     'message', 'unknown condition(s): ' || array_to_string(v_unknown, ', '));
    END IF;
    NEW.conditions := array_remove(NEW.conditions, 'general');

    NEW.avoid_allergens := health.normalize_codes('allergen', NEW.avoid_allergens);
    v_unknown := ARRAY(SELECT x FROM unnest(NEW.avoid_allergens) x WHERE x <> ALL (health.allergen_codes()));
    IF cardinality(v_unknown) > 0 THEN
        v_errors := v_errors || jsonb_build_object('field', 'avoid_allergens', 'code', 'unknown_code',
                     'message', 'unknown allergen(s): ' || array_to_string(v_unknown, ', ')
                                || ' (codes: ' || array_to_string(health.allergen_codes(), ', ') || ')');
    END IF;

    NEW.diet_goals := health.normalize_codes('diet', NEW.diet_goals);
    v_unknown := ARRAY(SELECT x FROM unnest(NEW.diet_goals) x WHERE x <> ALL (health.diet_codes()));
    IF cardinality(v_unknown) > 0 THEN
        v_errors := v_errors || jsonb_build_object('field', 'diet_goals', 'code', 'unknown_code',
                     'message', 'unknown diet goal(s): ' || array_to_string(v_unknown, ', '));
    END IF;

    -- macro_targets.per_serving_max: explicit per-serving ceilings (hard filters of matching).
    IF NEW.macro_targets ? 'per_serving_max' THEN
        IF jsonb_typeof(NEW.macro_targets -> 'per_serving_max') <> 'object' THEN
            v_errors := v_errors || jsonb_build_object('field', 'macro_targets.per_serving_max', 'code', 'invalid_type',
                         'message', 'per_serving_max is an object of nutrient key -> number');
        ELSE
            v_errors := v_errors || coalesce((
                SELECT jsonb_agg(jsonb_build_object('field', 'macro_targets.per_serving_max.' || e.key,
                         'code', CASE WHEN e.key <> ALL (catalog.nutrient_keys()) THEN 'unknown_nutrient' ELSE 'invalid_number' END,
                         'message', CASE WHEN e.key <> ALL (catalog.nutrient_keys())
                                         THEN 'unknown nutrient key; keys: ' || array_to_string(catalog.nutrient_keys(), ', ')
                                         ELSE 'must be a non-negative number' END))
                  FROM jsonb_each(NEW.macro_targets -> 'per_serving_max') e
                 WHERE e.key <> ALL (catalog.nutrient_keys()) OR jsonb_typeof(e.value) <> 'number' OR (e.value)::numeric < 0), '[]');
        END IF;
    END IF;

    IF jsonb_array_length(v_errors) = 0 AND NOT health.bmi(NEW.weight_kg, NEW.height_cm) BETWEEN 5 AND 250 THEN
        v_errors := v_errors || jsonb_build_object('field', 'weight_kg', 'code', 'implausible',
                     'message', pg_catalog.format('weight_kg %s with height_cm %s gives a BMI of %s: check the units',
                                                  NEW.weight_kg, NEW.height_cm, round(health.bmi(NEW.weight_kg, NEW.height_cm), 1)));
    END IF;
    IF jsonb_array_length(v_errors) > 0 THEN
        -- check_violation maps to 422 like OD422; DETAIL carries the field errors.
        RAISE EXCEPTION 'invalid health profile: %', (SELECT string_agg(e ->> 'message', '; ') FROM jsonb_array_elements(v_errors) e)
              USING ERRCODE = 'check_violation', DETAIL = v_errors::text;
    END IF;

    v_bmr := health.bmr(NEW.weight_kg, NEW.height_cm, NEW.age, NEW.gender);
    NEW.bmr := round(v_bmr, 2);
    NEW.bmr_estimated := NEW.gender NOT IN ('male', 'female');
    NEW.tdee_cached := round(v_bmr * health.activity_factor(NEW.activity_level), 2);
    NEW.bmi := round(health.bmi(NEW.weight_kg, NEW.height_cm), 2);
    NEW.derived_limits := health.derive_limits(NEW.vendor_id, NEW.conditions, NEW.weight_kg, NEW.tdee_cached);
    NEW.updated_by := coalesce(app.current_user_id(), NEW.updated_by);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION health.profile_before_write() IS
  'BEFORE INSERT/UPDATE on health profiles: validation (23514 + field errors in DETAIL), normalization, age from dob, BMI/BMR/TDEE, derived_limits.';

CREATE TRIGGER customer_health_profiles_derive BEFORE INSERT OR UPDATE ON health.customer_health_profiles
    FOR EACH ROW EXECUTE FUNCTION health.profile_before_write();

CREATE OR REPLACE FUNCTION matching.invalidate_customer_matches()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM matching.matches_cache WHERE vendor_id = OLD.vendor_id AND customer_id = OLD.customer_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        DELETE FROM matching.matches_cache WHERE vendor_id = NEW.vendor_id AND customer_id = NEW.customer_id;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION matching.invalidate_customer_matches() IS
  'AFTER row trigger: a change of a customer''s health profile or white/blacklist drops the customer''s cached matches.';

CREATE TRIGGER customer_health_profiles_invalidate_matches AFTER INSERT OR UPDATE OR DELETE ON health.customer_health_profiles
    FOR EACH ROW EXECUTE FUNCTION matching.invalidate_customer_matches();
CREATE TRIGGER customer_whitelists_invalidate_matches AFTER INSERT OR UPDATE OR DELETE ON crm.customer_whitelists
    FOR EACH ROW EXECUTE FUNCTION matching.invalidate_customer_matches();
CREATE TRIGGER customer_blacklists_invalidate_matches AFTER INSERT OR UPDATE OR DELETE ON crm.customer_blacklists
    FOR EACH ROW EXECUTE FUNCTION matching.invalidate_customer_matches();

CREATE OR REPLACE FUNCTION health.diet_rule_before_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_errors jsonb := health.policy_errors(NEW.policy);
BEGIN
    IF jsonb_array_length(v_errors) > 0 THEN
        RAISE EXCEPTION 'invalid diet rule policy: %', (SELECT string_agg(e ->> 'message', '; ') FROM jsonb_array_elements(v_errors) e)
              USING ERRCODE = 'check_violation', DETAIL = v_errors::text;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION health.diet_rule_before_write() IS 'BEFORE INSERT/UPDATE on diet rules: validates the policy (23514 + field errors in DETAIL).';

CREATE TRIGGER diet_rules_validate BEFORE INSERT OR UPDATE ON health.diet_rules
    FOR EACH ROW EXECUTE FUNCTION health.diet_rule_before_write();

CREATE OR REPLACE FUNCTION health.recompute_profiles(p_vendor_id uuid, p_condition text)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_n integer;
BEGIN
    -- The BEFORE trigger recomputes the derivations; only profiles the condition reaches change.
    UPDATE health.customer_health_profiles p
       SET derived_limits = p.derived_limits
     WHERE p.vendor_id = p_vendor_id
       AND (p_condition = 'general' OR p_condition = ANY (p.conditions));
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;
COMMENT ON FUNCTION health.recompute_profiles(uuid, text) IS
  'Re-derives the health profiles of a vendor that a condition''s rule reaches (all of them for general).';

CREATE OR REPLACE FUNCTION health.diet_rule_after_write()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_pair   record;
    v_vendor uuid;
    v_saved  text := pg_catalog.current_setting('odyssey.vendor_id', true);
BEGIN
    FOR v_pair IN
        SELECT DISTINCT x.vendor_id, x.condition_code
          FROM (SELECT OLD.vendor_id, OLD.condition_code WHERE TG_OP IN ('UPDATE', 'DELETE')
                UNION ALL
                SELECT NEW.vendor_id, NEW.condition_code WHERE TG_OP IN ('INSERT', 'UPDATE')) x
    LOOP
        IF v_pair.vendor_id IS NOT NULL THEN
            PERFORM health.recompute_profiles(v_pair.vendor_id, v_pair.condition_code);
        ELSE
            -- A platform default: every vendor without its own active rule for the condition.
            FOR v_vendor IN SELECT v.id FROM core.vendors v WHERE v.status <> 'offboarded'
                              AND NOT EXISTS (SELECT FROM health.diet_rules r WHERE r.vendor_id = v.id
                                                 AND r.condition_code = v_pair.condition_code AND r.active)
            LOOP
                PERFORM pg_catalog.set_config('odyssey.vendor_id', v_vendor::text, true);
                PERFORM health.recompute_profiles(v_vendor, v_pair.condition_code);
            END LOOP;
            PERFORM pg_catalog.set_config('odyssey.vendor_id', coalesce(v_saved, ''), true);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION health.diet_rule_after_write() IS
  'AFTER row trigger on diet rules: recomputes the derived limits of the profiles the changed rule reaches.';

CREATE TRIGGER diet_rules_recompute AFTER INSERT OR UPDATE OR DELETE ON health.diet_rules
    FOR EACH ROW EXECUTE FUNCTION health.diet_rule_after_write();

GRANT EXECUTE ON FUNCTION health.allergen_codes(), health.condition_codes(), health.diet_codes(),
      health.normalize_codes(ingest.value_domain, text[]), health.allergen_mask(text[]),
      health.activity_factor(health.activity_level), health.bmr(numeric, numeric, integer, crm.gender),
      health.bmi(numeric, numeric), health.kcal_per_gram(text), health.policy_errors(jsonb),
      health.derive_limits(uuid, text[], numeric, numeric), health.recompute_profiles(uuid, text)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT EXECUTE ON FUNCTION health.allergen_codes(), health.diet_codes(),
      health.normalize_codes(ingest.value_domain, text[]), health.allergen_mask(text[])
   TO odyssey_vendor_viewer;

COMMIT;
