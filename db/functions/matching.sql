-- Deploy odyssey:functions/matching to pg
-- requires: schema/product_features
-- requires: functions/health_derivations
-- Health-aware matching (PRD §5.7, §6.4, §7.2; notes.md: exact top K, never a 200-row prefilter).
--
-- Eligible = active, not soft-deleted (the rows of matching.product_features), none of the
-- customer's avoid_allergens nor of the diet rules' exclude_allergens (after value-synonym
-- normalization), no excluded ingredient word (e.g. celiac: wheat, rye, barley, ...), within every
-- explicit per-serving ceiling of macro_targets.per_serving_max (a product that does not state a
-- capped nutrient is not eligible), not blacklisted.
--
-- Score (rounded to 6 decimals):
--   w_budget * (fiber_term - penalty) + w_pref * goal_fit + w_whitelist * whitelisted
--   penalty    = sum over the customer's daily ceilings L_n (derived_limits) of amount_n / L_n
--   fiber_term = fiber_g / daily fiber floor, when a rule asks for the fiber bonus (diabetes)
--   goal_fit   = |dietary_tags ∩ diet_goals| / |diet_goals|
--   weights from the vendor's active scoring_policies: budget_fit (1), preference_fit (0.5), whitelist (1)
-- Order: score desc, updated_at desc (recency), product_id.
--
-- Exactness with early stopping (Fagin's threshold algorithm, batched): sorted lists A (all
-- eligible-by-allergen products by p0 asc), B (by fib desc, only with the fiber bonus) and T_g (per
-- goal tag, by p0 asc) are read to depth d; the candidates' exact scores are computed; an unseen
-- product p has p0 >= the last p0 read in A (and in T_g if it has goal tag g) and fib <= the last
-- fib read in B, and since strictest-wins keeps every ceiling at or below the general template,
-- penalty >= alpha * p0 with alpha = min(R_n / L_n) over sodium/added sugars/saturated fat
-- (R = 2300, 50, 20) and fiber_term = beta * fib with beta = 28 / floor. When the K-th best exact
-- score beats that bound the answer is final; otherwise d grows 4x (at worst to the whole catalog).
BEGIN;

CREATE OR REPLACE FUNCTION matching.match_products_for_customer(p_customer_id uuid, p_k integer DEFAULT 20)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor   uuid := app.current_vendor_id();
    v_prof     health.customer_health_profiles;
    v_keys     text[] := catalog.nutrient_keys();
    v_lmax     float8[];
    v_psmax    float8[];
    v_fmin     float8;
    v_alpha    float8;
    v_beta     float8 := 0;
    v_mask     integer;
    v_avoid    text[];
    v_ingr     text[];
    v_ingr_q   tsquery;
    v_goals    text[];
    v_ng       integer;
    v_weights  jsonb;
    v_wb       float8;
    v_wp       float8;
    v_ww       float8;
    v_white    uuid[];
    v_d        integer;
    v_rounds   integer := 0;
    v_cand     uuid[];
    v_ids      uuid[];
    v_last_a   float8;
    v_n_a      integer;
    v_last_b   float8;
    v_n_b      integer;
    v_last_t   float8;
    v_n_t      integer;
    v_thr      float8;
    v_fb       float8;
    v_kth      float8;
    v_n        integer;
    v_g        text;
    v_items    jsonb;
    v_scanned  integer;
BEGIN
    IF v_vendor IS NULL THEN
        RAISE EXCEPTION 'matching needs a tenant (odyssey.vendor_id)' USING ERRCODE = 'OD400';
    END IF;
    IF p_k IS NULL OR p_k < 1 OR p_k > 200 THEN
        RAISE EXCEPTION 'k must be between 1 and 200' USING ERRCODE = 'OD422',
              DETAIL = '[{"field": "k", "code": "out_of_range", "message": "k must be between 1 and 200"}]';
    END IF;
    IF NOT EXISTS (SELECT FROM crm.customers c WHERE c.vendor_id = v_vendor AND c.id = p_customer_id
                     AND c.soft_deleted_at IS NULL) THEN
        RAISE EXCEPTION 'customer % not found', p_customer_id USING ERRCODE = 'OD404';
    END IF;
    SELECT * INTO v_prof FROM health.customer_health_profiles p
     WHERE p.vendor_id = v_vendor AND p.customer_id = p_customer_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no health profile', p_customer_id USING ERRCODE = 'OD404',
              HINT = 'PUT /customers/{id}/health first.';
    END IF;

    -- Daily ceilings and the fiber floor, per nutrient key (NULL = none).
    v_lmax := ARRAY(SELECT CASE WHEN v_prof.derived_limits #> ARRAY['limits', k, 'max'] IS NOT NULL
                                THEN greatest((v_prof.derived_limits #>> ARRAY['limits', k, 'max'])::float8, 1e-6) END
                      FROM unnest(v_keys) WITH ORDINALITY u(k, i) ORDER BY i);
    v_psmax := ARRAY(SELECT (v_prof.macro_targets #>> ARRAY['per_serving_max', k])::float8
                       FROM unnest(v_keys) WITH ORDINALITY u(k, i) ORDER BY i);
    v_fmin := (v_prof.derived_limits #>> '{limits,fiber_g,min}')::float8;
    IF coalesce((v_prof.derived_limits ->> 'fiber_bonus')::boolean, false) AND v_fmin > 0 THEN
        v_beta := 28 / v_fmin;
    END IF;
    v_alpha := CASE WHEN v_lmax[10] IS NULL OR v_lmax[8] IS NULL OR v_lmax[4] IS NULL THEN 0
                    ELSE least(2300 / v_lmax[10], 50 / v_lmax[8], 20 / v_lmax[4]) END;

    v_avoid := ARRAY(SELECT DISTINCT x FROM unnest(v_prof.avoid_allergens ||
                       ARRAY(SELECT jsonb_array_elements_text(coalesce(v_prof.derived_limits #> '{hard,exclude_allergens}', '[]')))) x
                     ORDER BY 1);
    v_mask := health.allergen_mask(v_avoid);
    v_ingr := ARRAY(SELECT jsonb_array_elements_text(coalesce(v_prof.derived_limits #> '{hard,exclude_ingredients}', '[]')));
    IF cardinality(v_ingr) > 0 THEN
        SELECT string_agg('(' || q::text || ')', ' | ')::tsquery INTO v_ingr_q
          FROM (SELECT phraseto_tsquery('simple'::regconfig, w) AS q FROM unnest(v_ingr) w) s
         WHERE q::text <> '';
    END IF;
    v_goals := v_prof.diet_goals;
    v_ng := cardinality(v_goals);

    SELECT sp.weights INTO v_weights FROM matching.scoring_policies sp WHERE sp.vendor_id = v_vendor AND sp.active;
    v_weights := coalesce(v_weights, '{}');
    v_wb := greatest(coalesce((v_weights ->> 'budget_fit')::float8, 1), 0);
    v_wp := greatest(coalesce((v_weights ->> 'preference_fit')::float8, 0.5), 0);
    v_ww := greatest(coalesce((v_weights ->> 'whitelist')::float8, 1), 0);

    v_white := ARRAY(SELECT w.product_id FROM crm.customer_whitelists w
                      WHERE w.vendor_id = v_vendor AND w.customer_id = p_customer_id);

    v_d := greatest(4 * p_k, 64);
    LOOP
        v_rounds := v_rounds + 1;
        SELECT array_agg(s.product_id), max(s.p0), count(*) INTO v_cand, v_last_a, v_n_a
          FROM (SELECT f.product_id, f.p0 FROM matching.product_features f
                 WHERE f.vendor_id = v_vendor AND f.tag = '' AND (f.amask & v_mask) = 0
                 ORDER BY f.p0, f.product_id LIMIT v_d) s;
        v_cand := coalesce(v_cand, '{}') || v_white;
        v_fb := 0;
        IF v_beta > 0 AND v_n_a >= v_d THEN
            SELECT array_agg(s.product_id), min(s.fib), count(*) INTO v_ids, v_last_b, v_n_b
              FROM (SELECT f.product_id, f.fib FROM matching.product_features f
                     WHERE f.vendor_id = v_vendor AND f.tag = '' AND (f.amask & v_mask) = 0
                     ORDER BY f.fib DESC, f.product_id LIMIT v_d) s;
            v_cand := v_cand || coalesce(v_ids, '{}');
            v_fb := v_beta * coalesce(v_last_b, 0);
        END IF;
        v_thr := v_wb * (v_fb - v_alpha * coalesce(v_last_a, 0));
        IF v_ng > 0 AND v_wp > 0 AND v_n_a >= v_d THEN
            FOREACH v_g IN ARRAY v_goals LOOP
                SELECT array_agg(s.product_id), max(s.p0), count(*) INTO v_ids, v_last_t, v_n_t
                  FROM (SELECT f.product_id, f.p0 FROM matching.product_features f
                         WHERE f.vendor_id = v_vendor AND f.tag = v_g AND (f.amask & v_mask) = 0
                         ORDER BY f.p0, f.product_id LIMIT v_d) s;
                v_cand := v_cand || coalesce(v_ids, '{}');
                IF v_n_t >= v_d THEN
                    v_thr := greatest(v_thr, v_wb * (v_fb - v_alpha * greatest(v_last_a, v_last_t)) + v_wp);
                END IF;
            END LOOP;
        END IF;

        -- Exact scores of the candidates; the K best.
        WITH c AS (SELECT DISTINCT x AS product_id FROM unnest(v_cand) x),
        scored AS (
            SELECT f.product_id, f.updated_at,
                   round((v_wb * (CASE WHEN v_beta > 0 THEN coalesce(f.nut[9], 0) / v_fmin ELSE 0 END
                                  - (SELECT coalesce(sum(coalesce(f.nut[i], 0) / v_lmax[i]), 0)
                                       FROM generate_subscripts(v_lmax, 1) i WHERE v_lmax[i] IS NOT NULL))
                          + CASE WHEN v_ng > 0 THEN v_wp * cardinality(ARRAY(SELECT unnest(f.tags) INTERSECT SELECT unnest(v_goals)))::float8 / v_ng ELSE 0 END
                          + CASE WHEN f.product_id = ANY (v_white) THEN v_ww ELSE 0 END)::numeric, 6) AS score
              FROM c
              JOIN matching.product_features f ON f.vendor_id = v_vendor AND f.tag = '' AND f.product_id = c.product_id
             WHERE (f.amask & v_mask) = 0
               AND (v_ingr_q IS NULL OR f.ingr IS NULL OR NOT f.ingr @@ v_ingr_q)
               AND NOT EXISTS (SELECT FROM generate_subscripts(v_psmax, 1) i
                                WHERE v_psmax[i] IS NOT NULL AND (f.nut[i] IS NULL OR f.nut[i] > v_psmax[i]))
               AND NOT EXISTS (SELECT FROM crm.customer_blacklists b
                                WHERE b.vendor_id = v_vendor AND b.customer_id = p_customer_id AND b.product_id = f.product_id)
        ), top AS (
            SELECT s.*, row_number() OVER (ORDER BY s.score DESC, s.updated_at DESC, s.product_id) AS rank
              FROM scored s ORDER BY s.score DESC, s.updated_at DESC, s.product_id LIMIT p_k
        )
        SELECT array_agg(t.product_id ORDER BY t.rank), min(t.score), count(*), (SELECT count(*) FROM c)
          INTO v_ids, v_kth, v_n, v_scanned FROM top t;

        EXIT WHEN v_n_a < v_d;                                   -- every eligible product was read
        EXIT WHEN v_n >= p_k AND v_kth > v_thr + 1e-6;           -- no unseen product can enter
        v_d := v_d * 4;
    END LOOP;

    -- Results with reasons.
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'rank', r.rank, 'product_id', r.product_id, 'external_id', p.external_id, 'name', p.name,
               'brand', p.brand, 'score', r.score, 'reasons', r.reasons, 'budget_use', r.budget_use)
             ORDER BY r.rank), '[]')
      INTO v_items
      FROM (SELECT u.product_id, u.rank, f.updated_at,
                   round((v_wb * (CASE WHEN v_beta > 0 THEN coalesce(f.nut[9], 0) / v_fmin ELSE 0 END
                                  - (SELECT coalesce(sum(coalesce(f.nut[i], 0) / v_lmax[i]), 0)
                                       FROM generate_subscripts(v_lmax, 1) i WHERE v_lmax[i] IS NOT NULL))
                          + CASE WHEN v_ng > 0 THEN v_wp * cardinality(ARRAY(SELECT unnest(f.tags) INTERSECT SELECT unnest(v_goals)))::float8 / v_ng ELSE 0 END
                          + CASE WHEN f.product_id = ANY (v_white) THEN v_ww ELSE 0 END)::numeric, 6) AS score,
                   to_jsonb(ARRAY(
                       SELECT reason FROM (
                           SELECT 1 AS o, 'on your whitelist' AS reason WHERE f.product_id = ANY (v_white)
                           UNION ALL SELECT 2, 'fits ' || g || ' goal' FROM unnest(v_goals) g WHERE g = ANY (f.tags)
                           UNION ALL SELECT 3, 'low sodium' WHERE f.nut[10] <= 140
                           UNION ALL SELECT 4, 'high fiber' WHERE f.nut[9] >= 5
                           UNION ALL SELECT 5, 'low saturated fat' WHERE f.nut[4] <= 1
                           UNION ALL SELECT 6, 'low added sugar' WHERE f.nut[8] <= 1
                           UNION ALL SELECT 7, 'fiber bonus (' || array_to_string(ARRAY(
                                         SELECT jsonb_array_elements_text(v_prof.derived_limits #> '{limits,fiber_g,min_sources}')), ', ') || ')'
                                      WHERE v_beta > 0 AND f.nut[9] > 0
                           UNION ALL SELECT 8, 'uses under 10% of every daily budget'
                                      WHERE NOT EXISTS (SELECT FROM generate_subscripts(v_lmax, 1) i
                                                         WHERE v_lmax[i] IS NOT NULL AND coalesce(f.nut[i], 0) / v_lmax[i] >= 0.1)
                       ) rs ORDER BY o, reason)) AS reasons,
                   (SELECT coalesce(jsonb_object_agg(v_keys[i], round((coalesce(f.nut[i], 0) / v_lmax[i])::numeric, 4)), '{}')
                      FROM generate_subscripts(v_lmax, 1) i WHERE v_lmax[i] IS NOT NULL) AS budget_use
              FROM unnest(v_ids) WITH ORDINALITY u(product_id, rank)
              JOIN matching.product_features f ON f.vendor_id = v_vendor AND f.tag = '' AND f.product_id = u.product_id) r
      JOIN catalog.products p ON p.vendor_id = v_vendor AND p.id = r.product_id;

    RETURN jsonb_build_object(
        'customer_id', p_customer_id,
        'k', p_k,
        'items', v_items,
        'constraints', jsonb_build_object(
            'conditions', coalesce(v_prof.derived_limits -> 'conditions', '[]'),
            'allergens_excluded', to_jsonb(v_avoid),
            'ingredients_excluded', to_jsonb(v_ingr),
            'per_serving_max', coalesce(v_prof.macro_targets -> 'per_serving_max', '{}'),
            'daily_limits', coalesce(v_prof.derived_limits -> 'limits', '{}'),
            'blacklisted', (SELECT count(*) FROM crm.customer_blacklists b WHERE b.vendor_id = v_vendor AND b.customer_id = p_customer_id),
            'diet_goals', to_jsonb(v_goals),
            'fiber_bonus', v_beta > 0,
            'weights', jsonb_build_object('budget_fit', v_wb, 'preference_fit', v_wp, 'whitelist', v_ww)),
        'stats', jsonb_build_object('exact', true, 'rounds', v_rounds, 'candidates_scored', v_scanned));
END
$$;
COMMENT ON FUNCTION matching.match_products_for_customer(uuid, integer) IS
  'Exact top-K products of the current vendor for a customer: hard filters, soft budgets, goals, whitelist, vendor weights; deterministic (score, recency, id). Uncached.';

CREATE OR REPLACE FUNCTION api.match_products(p_customer_id uuid, p_k integer DEFAULT 20)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor  uuid := app.current_vendor_id();
    v_version bigint;
    v_cached  jsonb;
    v_result  jsonb;
BEGIN
    IF coalesce(app.current_app_role(), '') NOT IN ('superadmin', 'vendor_admin', 'vendor_operator') THEN
        RAISE EXCEPTION 'matching reads health data: admin or operator role required' USING ERRCODE = 'OD403';
    END IF;
    IF v_vendor IS NULL THEN
        RAISE EXCEPTION 'matching needs a tenant (odyssey.vendor_id)' USING ERRCODE = 'OD400';
    END IF;
    IF p_k IS NULL OR p_k < 1 OR p_k > 200 THEN
        RAISE EXCEPTION 'k must be between 1 and 200' USING ERRCODE = 'OD422',
              DETAIL = '[{"field": "k", "code": "out_of_range", "message": "k must be between 1 and 200"}]';
    END IF;
    SELECT v.catalog_version INTO v_version FROM core.vendors v WHERE v.id = v_vendor;

    SELECT mc.results INTO v_cached FROM matching.matches_cache mc
     WHERE mc.vendor_id = v_vendor AND mc.customer_id = p_customer_id AND mc.catalog_version = v_version
       AND mc.ttl_at > pg_catalog.clock_timestamp();
    IF v_cached IS NOT NULL AND (v_cached ->> 'k')::integer >= p_k THEN
        PERFORM audit.record('health_read', 'health.customer_health_profiles', p_customer_id::text, v_vendor,
                             NULL, jsonb_build_object('purpose', 'matching', 'cache', 'hit', 'k', p_k));
        RETURN v_cached || jsonb_build_object(
            'k', p_k, 'cache', 'hit',
            'items', (SELECT coalesce(jsonb_agg(e ORDER BY i), '[]')
                        FROM jsonb_array_elements(v_cached -> 'items') WITH ORDINALITY a(e, i) WHERE i <= p_k));
    END IF;

    v_result := matching.match_products_for_customer(p_customer_id, p_k)
                || jsonb_build_object('catalog_version', v_version, 'generated_at', pg_catalog.now());
    PERFORM audit.record('health_read', 'health.customer_health_profiles', p_customer_id::text, v_vendor,
                         NULL, jsonb_build_object('purpose', 'matching', 'cache', 'miss', 'k', p_k));
    DELETE FROM matching.matches_cache mc
     WHERE mc.vendor_id = v_vendor AND mc.customer_id = p_customer_id AND mc.catalog_version <> v_version;
    INSERT INTO matching.matches_cache (vendor_id, customer_id, catalog_version, results, ttl_at)
    VALUES (v_vendor, p_customer_id, v_version, v_result, pg_catalog.now() + interval '15 minutes')
    ON CONFLICT (vendor_id, customer_id, catalog_version)
    DO UPDATE SET results = EXCLUDED.results, ttl_at = EXCLUDED.ttl_at, created_at = pg_catalog.now();
    RETURN v_result || jsonb_build_object('cache', 'miss');
END
$$;
COMMENT ON FUNCTION api.match_products(uuid, integer) IS
  'GET /matches/:customerId?k= : exact top-K matches, cached per (vendor, customer, catalog_version) for 15 minutes; health read audited.';

CREATE OR REPLACE FUNCTION matching.invalidate_vendor_matches()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    DELETE FROM matching.matches_cache mc WHERE mc.vendor_id = coalesce(NEW.vendor_id, OLD.vendor_id);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION matching.invalidate_vendor_matches() IS 'AFTER row trigger on scoring_policies: a weight change drops the vendor''s cached matches.';

CREATE TRIGGER scoring_policies_invalidate_matches AFTER INSERT OR UPDATE OR DELETE ON matching.scoring_policies
    FOR EACH ROW EXECUTE FUNCTION matching.invalidate_vendor_matches();

GRANT EXECUTE ON FUNCTION matching.match_products_for_customer(uuid, integer)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT EXECUTE ON FUNCTION api.match_products(uuid, integer)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;

COMMIT;
