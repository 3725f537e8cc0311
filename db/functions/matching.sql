-- Deploy odyssey:functions/matching to pg
-- requires: schema/product_features
-- requires: functions/catalog_bulk_write
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
-- Exactness with early stopping (Fagin's threshold algorithm, batched): sorted lists are read to
-- depth d, the candidates' exact scores computed, and the loop stops when the K-th best exact score
-- beats an upper bound of every unseen product's score; otherwise d grows 4x (at worst to the whole
-- catalog, which is then scored exactly) and, in every mode but two, every list is read in one go up
-- to its cut: the key where the bound of the products it could still hide meets the K-th score
-- (list A: products without goal tags; the goal lists: products with m goal tags need the m-th
-- smallest last key past cut_m, so one goal list goes to cut_n, one to cut_(n-1), ..., one to
-- cut_1 -- the deepest to the list whose last key is highest, the sparsest at the top). A list
-- read to its cut and found shorter than d hides only products past the cut: its last key is the
-- cut. Every list is scored straight from its index-only scan
-- (schema/product_features_score_lists), in one query per round.
-- The bound: penalty >= alpha * p0 with
-- alpha = min(R_n / L_n) over sodium, added sugars, saturated fat (R = 2300, 50, 20; 0 when one has
-- no ceiling), and fiber_term = beta * fib with beta = 28 / floor. Modes:
--   p0   (no fiber bonus)          list A by p0 asc; unseen: budget part <= -alpha * lastA
--   p0f  (fiber bonus, beta<=alpha) list A by p0 - fib asc; as penalty >= lambda * p0 for every
--        lambda in [beta, alpha] and fib >= 0: beta*fib - penalty <= -lambda * (p0 - fib), so an
--        unseen product scores at most -alpha * lastA when lastA >= 0 and -beta * lastA when
--        lastA < 0 (matching.key_bound; with alpha alone, fiber-rich catalogs read ~30x deeper)
--   p0p  (no fiber bonus, a protein ceiling: CKD) list A by p0p = p0 + protein / 50 asc; penalty
--        >= alpha_p * p0p with alpha_p = min(R_n / L_n) over the same three and protein (R = 50 g)
--        (schema/product_features_protein_list); unseen: budget part <= -alpha_p * lastA
--   two  (otherwise)               A by p0 asc and B by fib desc; <= beta*lastB - alpha*lastA
-- Ceilings outside the key (e.g. protein in p0f) only add penalty, so the bound stays valid (if looser).
-- Allergens filter the lists themselves (amask is INCLUDEd), so a list's depth counts only products
-- the customer may eat as far as allergens go. Per-serving caps and the blacklist filter the scored
-- candidates; excluded ingredients (tsvector, a heap visit) only those walked in rank order until K
-- pass. None of these can raise a score, so the bounds stay valid.
-- Goal lists T_g (same key, one per goal tag): an unseen product with m goal tags is unseen in their
-- lists, so its key >= the m-th smallest of their last keys, and its goal bonus is w_pref * m / n.
-- Whitelisted products are always candidates (unseen products carry no whitelist bonus).
BEGIN;

CREATE OR REPLACE FUNCTION matching.penalty(nut float8[], l float8[])
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- sum over nutrient keys with a daily ceiling of amount / ceiling, in key order (inlined).
    SELECT 0::float8 +
           CASE WHEN l[1] IS NULL THEN 0::float8 ELSE coalesce(nut[1], 0) / l[1] END +
           CASE WHEN l[2] IS NULL THEN 0::float8 ELSE coalesce(nut[2], 0) / l[2] END +
           CASE WHEN l[3] IS NULL THEN 0::float8 ELSE coalesce(nut[3], 0) / l[3] END +
           CASE WHEN l[4] IS NULL THEN 0::float8 ELSE coalesce(nut[4], 0) / l[4] END +
           CASE WHEN l[5] IS NULL THEN 0::float8 ELSE coalesce(nut[5], 0) / l[5] END +
           CASE WHEN l[6] IS NULL THEN 0::float8 ELSE coalesce(nut[6], 0) / l[6] END +
           CASE WHEN l[7] IS NULL THEN 0::float8 ELSE coalesce(nut[7], 0) / l[7] END +
           CASE WHEN l[8] IS NULL THEN 0::float8 ELSE coalesce(nut[8], 0) / l[8] END +
           CASE WHEN l[9] IS NULL THEN 0::float8 ELSE coalesce(nut[9], 0) / l[9] END +
           CASE WHEN l[10] IS NULL THEN 0::float8 ELSE coalesce(nut[10], 0) / l[10] END +
           CASE WHEN l[11] IS NULL THEN 0::float8 ELSE coalesce(nut[11], 0) / l[11] END +
           CASE WHEN l[12] IS NULL THEN 0::float8 ELSE coalesce(nut[12], 0) / l[12] END +
           CASE WHEN l[13] IS NULL THEN 0::float8 ELSE coalesce(nut[13], 0) / l[13] END +
           CASE WHEN l[14] IS NULL THEN 0::float8 ELSE coalesce(nut[14], 0) / l[14] END
$$;
COMMENT ON FUNCTION matching.penalty(float8[], float8[]) IS 'Budget penalty of a nutrient vector: sum of amount / daily ceiling over the keys that have one.';

CREATE OR REPLACE FUNCTION matching.within_caps(nut float8[], c float8[])
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- every per-serving cap holds; a product that does not state a capped nutrient fails it.
    SELECT (c[1] IS NULL OR coalesce(nut[1] <= c[1], false))
       AND (c[2] IS NULL OR coalesce(nut[2] <= c[2], false))
       AND (c[3] IS NULL OR coalesce(nut[3] <= c[3], false))
       AND (c[4] IS NULL OR coalesce(nut[4] <= c[4], false))
       AND (c[5] IS NULL OR coalesce(nut[5] <= c[5], false))
       AND (c[6] IS NULL OR coalesce(nut[6] <= c[6], false))
       AND (c[7] IS NULL OR coalesce(nut[7] <= c[7], false))
       AND (c[8] IS NULL OR coalesce(nut[8] <= c[8], false))
       AND (c[9] IS NULL OR coalesce(nut[9] <= c[9], false))
       AND (c[10] IS NULL OR coalesce(nut[10] <= c[10], false))
       AND (c[11] IS NULL OR coalesce(nut[11] <= c[11], false))
       AND (c[12] IS NULL OR coalesce(nut[12] <= c[12], false))
       AND (c[13] IS NULL OR coalesce(nut[13] <= c[13], false))
       AND (c[14] IS NULL OR coalesce(nut[14] <= c[14], false))
$$;
COMMENT ON FUNCTION matching.within_caps(float8[], float8[]) IS 'True when every per-serving cap (NULL = none) holds for a nutrient vector (unstated = fails).';

CREATE OR REPLACE FUNCTION matching.key_bound(p_key float8, p_alpha float8, p_beta float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    -- penalty - fiber_term >= lambda * key for every lambda in [beta, alpha] (see the header):
    -- alpha is the tighter factor for a positive key, beta for a negative one.
    SELECT CASE WHEN p_key < 0 THEN p_beta ELSE p_alpha END * p_key
$$;
COMMENT ON FUNCTION matching.key_bound(float8, float8, float8) IS
  'Lower bound of (penalty - fiber term) of a product whose list key (p0, p0 - fib or p0p) is at least p_key.';

DROP FUNCTION IF EXISTS matching.match_products_for_customer(uuid, integer);

CREATE OR REPLACE FUNCTION matching.match_products_for_customer(p_customer_id uuid, p_k integer DEFAULT 20,
                                                               p_depth integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
-- Custom plans: the tenant is known when each round's query is planned, so only its partition is
-- planned (~1 ms). A generic plan covers every vendor's partition for each of the query's list
-- scans: building it took ~0.9 s at 53 vendors, once per connection, at its sixth call.
SET search_path = '' SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_vendor   uuid := app.current_vendor_id();
    v_prof     health.customer_health_profiles;
    v_keys     text[] := catalog.nutrient_keys();
    v_lmax     float8[];
    v_psmax    float8[];
    v_caps     boolean;
    v_fmin     float8;
    v_alpha    float8;
    v_beta     float8 := 0;
    v_mode     text;
    v_mask     integer;
    v_avoid    text[];
    v_ingr     text[];
    v_ingr_q   tsquery;
    v_goals    text[];
    v_gmask    integer;
    v_ng       integer;
    v_weights  jsonb;
    v_wb       float8;
    v_wp       float8;
    v_ww       float8;
    v_white    uuid[];
    v_d        integer;
    v_rounds   integer := 0;
    v_ids      uuid[];
    v_scores   numeric[];
    v_last_a   float8;
    v_n_a      integer;
    v_last_b   float8;
    v_n_b      integer;
    v_tags     text[];
    v_tcut     float8[];
    v_glast    float8[];
    v_order    integer[];
    v_y        float8;
    v_key      float8;
    v_t        float8;
    v_lam      float8;
    v_lasts    float8[];
    v_i        integer;

    v_thr      float8;
    v_fb       float8;
    v_kth      float8;
    v_n        integer;
    v_m        integer;
    v_items    jsonb;
    v_scanned  integer;
BEGIN
    v_vendor := app.require_vendor();
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
    v_caps := EXISTS (SELECT FROM unnest(v_psmax) x WHERE x IS NOT NULL);
    v_fmin := (v_prof.derived_limits #>> '{limits,fiber_g,min}')::float8;
    IF coalesce((v_prof.derived_limits ->> 'fiber_bonus')::boolean, false) AND v_fmin > 0 THEN
        v_beta := 28 / v_fmin;
    END IF;
    v_alpha := CASE WHEN v_lmax[10] IS NULL OR v_lmax[8] IS NULL OR v_lmax[4] IS NULL THEN 0
                    ELSE least(2300 / v_lmax[10], 50 / v_lmax[8], 20 / v_lmax[4]) END;
    -- Which sorted lists bound the unseen products (see the header).
    v_mode := CASE WHEN v_beta = 0 AND v_alpha > 0 AND v_lmax[2] IS NOT NULL THEN 'p0p'
                   WHEN v_beta = 0 THEN 'p0' WHEN v_alpha > 0 AND v_beta <= v_alpha THEN 'p0f' ELSE 'two' END;
    IF v_mode = 'p0p' THEN
        v_alpha := least(v_alpha, 50 / v_lmax[2]);
    END IF;

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
    v_gmask := matching.tag_mask(v_goals);

    SELECT sp.weights INTO v_weights FROM matching.scoring_policies sp WHERE sp.vendor_id = v_vendor AND sp.active;
    v_weights := coalesce(v_weights, '{}');
    v_wb := greatest(coalesce((v_weights ->> 'budget_fit')::float8, 1), 0);
    v_wp := greatest(coalesce((v_weights ->> 'preference_fit')::float8, 0.5), 0);
    v_ww := greatest(coalesce((v_weights ->> 'whitelist')::float8, 1), 0);

    v_white := ARRAY(SELECT w.product_id FROM crm.customer_whitelists w
                      WHERE w.vendor_id = v_vendor AND w.customer_id = p_customer_id);

    -- The lists: '' (list A) and each goal tag, with the key each is read up to (its cut).
    v_tags := ARRAY[''] || CASE WHEN v_wp > 0 THEN ARRAY(SELECT DISTINCT x FROM unnest(v_goals) x WHERE x <> '' ORDER BY 1)
                                ELSE '{}'::text[] END;
    v_tcut := array_fill('Infinity'::float8, ARRAY[cardinality(v_tags)]);
    v_d := CASE WHEN p_depth IS NULL THEN greatest(2 * p_k, 40) ELSE greatest(p_depth, 1) END;
    LOOP
        v_rounds := v_rounds + 1;
        -- The sorted lists are scored straight from their index-only scans: list A (tag '': every
        -- allergen-eligible product by its mode's key -- p0, p0 - fib or p0p -- ascending), the goal lists T_g (tag g: each
        -- goal tag's products by the same key; one index holds all of them) and in mode two list B
        -- (by fiber descending); whitelisted products are looked up. The K best: caps and the
        -- blacklist filter every candidate, excluded ingredients (a heap visit each) only those
        -- walked in rank order. Each list ends at its depth or its cut, whichever comes first.
        WITH t AS MATERIALIZED (
            SELECT g.tag, l.product_id, l.updated_at, l.tmask, l.nut, l.k
              FROM unnest(v_tags, v_tcut) AS g(tag, cut)
             CROSS JOIN LATERAL (
                    (SELECT f.product_id, f.updated_at, f.tmask, f.nut, f.p0f AS k FROM matching.product_features f
                      WHERE v_mode = 'p0f' AND f.vendor_id = v_vendor AND f.tag = g.tag AND (f.amask & v_mask) = 0
                        AND f.p0f <= g.cut
                      ORDER BY f.p0f, f.product_id LIMIT v_d)
                    UNION ALL
                    (SELECT f.product_id, f.updated_at, f.tmask, f.nut, f.p0p FROM matching.product_features f
                      WHERE v_mode = 'p0p' AND f.vendor_id = v_vendor AND f.tag = g.tag AND (f.amask & v_mask) = 0
                        AND f.p0p <= g.cut
                      ORDER BY f.p0p, f.product_id LIMIT v_d)
                    UNION ALL
                    (SELECT f.product_id, f.updated_at, f.tmask, f.nut, f.p0 FROM matching.product_features f
                      WHERE v_mode IN ('p0', 'two') AND f.vendor_id = v_vendor AND f.tag = g.tag AND (f.amask & v_mask) = 0
                        AND f.p0 <= g.cut
                      ORDER BY f.p0, f.product_id LIMIT v_d)) l
        ), b AS MATERIALIZED (
            SELECT f.product_id, f.updated_at, f.tmask, f.nut, f.fib AS k FROM matching.product_features f
             WHERE v_mode = 'two' AND f.vendor_id = v_vendor AND f.tag = '' AND (f.amask & v_mask) = 0
             ORDER BY f.fib DESC, f.product_id LIMIT v_d
        ), pool AS MATERIALIZED (
            SELECT DISTINCT ON (u.product_id) u.product_id, u.updated_at, u.tmask, u.nut
              FROM (SELECT t.product_id, t.updated_at, t.tmask, t.nut FROM t
                    UNION ALL SELECT b.product_id, b.updated_at, b.tmask, b.nut FROM b
                    UNION ALL SELECT f.product_id, f.updated_at, f.tmask, f.nut FROM matching.product_features f
                               WHERE f.vendor_id = v_vendor AND f.tag = '' AND f.product_id = ANY (v_white)
                                 AND (f.amask & v_mask) = 0) u
             ORDER BY u.product_id
        ), scored AS (
            SELECT p.product_id, p.updated_at,
                   round((v_wb * (CASE WHEN v_beta > 0 THEN coalesce(p.nut[9], 0) / v_fmin ELSE 0 END
                                  - matching.penalty(p.nut, v_lmax))
                          + CASE WHEN v_ng > 0 THEN v_wp * bit_count((p.tmask & v_gmask)::bit(32))::float8 / v_ng ELSE 0 END
                          + CASE WHEN p.product_id = ANY (v_white) THEN v_ww ELSE 0 END)::numeric, 6) AS score
              FROM pool p
             WHERE (NOT v_caps OR matching.within_caps(p.nut, v_psmax))
               AND NOT EXISTS (SELECT FROM crm.customer_blacklists bl
                                WHERE bl.vendor_id = v_vendor AND bl.customer_id = p_customer_id AND bl.product_id = p.product_id)
             ORDER BY 3 DESC, 2 DESC, 1
            OFFSET 0
        ), top AS (
            SELECT s.product_id, s.updated_at, s.score FROM scored s
             WHERE v_ingr_q IS NULL
                OR NOT coalesce((SELECT g.ingr @@ v_ingr_q FROM matching.product_features g
                                  WHERE g.vendor_id = v_vendor AND g.tag = '' AND g.product_id = s.product_id), false)
             ORDER BY s.score DESC, s.updated_at DESC, s.product_id
             LIMIT p_k
        )
        SELECT (SELECT array_agg(x.product_id ORDER BY x.score DESC, x.updated_at DESC, x.product_id) FROM top x),
               (SELECT array_agg(x.score ORDER BY x.score DESC, x.updated_at DESC, x.product_id) FROM top x),
               (SELECT min(x.score) FROM top x), (SELECT count(*) FROM top x),
               (SELECT max(t.k) FROM t WHERE t.tag = ''), (SELECT count(*) FROM t WHERE t.tag = ''),
               (SELECT min(b.k) FROM b), (SELECT count(*) FROM b), (SELECT count(*) FROM pool),
               -- per goal list (in v_tags order): its last key if read to full depth, else its cut
               -- (NULL: read to the end, it hides nothing)
               ARRAY(SELECT CASE WHEN coalesce(c.n, 0) >= v_d THEN c.last WHEN g.cut < 'Infinity' THEN g.cut END
                       FROM unnest(v_tags, v_tcut) WITH ORDINALITY AS g(tag, cut, i)
                       LEFT JOIN (SELECT t.tag, count(*) AS n, max(t.k) AS last FROM t GROUP BY t.tag) c ON c.tag = g.tag
                      WHERE g.i > 1 ORDER BY g.i)
          INTO v_ids, v_scores, v_kth, v_n, v_last_a, v_n_a, v_last_b, v_n_b, v_scanned, v_glast;

        IF v_n_a < v_d THEN
            EXIT WHEN v_tcut[1] = 'Infinity';   -- every eligible product was read
            v_last_a := v_tcut[1];              -- read to its cut: unseen products lie past it
        END IF;
        -- An unseen product without goal tags scores at most v_thr; with m of the n goals, at most
        -- w_p * m / n + w_b * (fb - bound of the m-th smallest last key of A and those goal lists).
        v_fb := CASE WHEN v_mode = 'two' AND v_n_b >= v_d THEN v_beta * coalesce(v_last_b, 0) ELSE 0 END;
        v_thr := v_wb * (v_fb - matching.key_bound(coalesce(v_last_a, 0), v_alpha, v_beta));
        SELECT array_agg(greatest(v_last_a, x) ORDER BY greatest(v_last_a, x)) INTO v_lasts FROM unnest(v_glast) x
         WHERE x IS NOT NULL;
        FOR v_m IN 1 .. coalesce(cardinality(v_lasts), 0) LOOP
            v_thr := greatest(v_thr, v_wp * v_m / v_ng + v_wb * (v_fb - matching.key_bound(v_lasts[v_m], v_alpha, v_beta)));
        END LOOP;
        EXIT WHEN v_n >= p_k AND v_kth > v_thr + 1e-6;           -- no unseen product can enter
        IF v_n_a < v_d THEN
            -- List A ended at its cut, yet an unseen product may still enter (the cuts are exact,
            -- so only rounding could get here): read on without cuts, to the end if need be.
            v_tcut := array_fill('Infinity'::float8, ARRAY[cardinality(v_tags)]);
        ELSIF v_n >= p_k AND v_mode <> 'two' AND v_wb > 0 THEN
            -- Cuts: an unseen product with m goal tags scores at most w_p*m/n - w_b*bound(key), so
            -- only keys below cut_m, where bound(cut_m) = (w_p*m/n - t)/w_b with t = K-th - 2e-6,
            -- can still enter. Read the lists to their cuts in one go (ties at the K-th score,
            -- common at the top, would otherwise take several rounds); the K-th only rises, so a
            -- cut only shrinks.
            v_t := v_kth - 2e-6;                   -- past the cut: at most K-th - 2e-6 (stop test: 1e-6)
            v_order := ARRAY(SELECT g.i FROM unnest(v_glast) WITH ORDINALITY AS g(last, i)
                              WHERE g.last IS NOT NULL ORDER BY g.last DESC, g.i);
            FOR v_m IN 0 .. cardinality(v_order) LOOP
                v_y := (CASE WHEN v_m > 0 THEN v_wp * v_m / v_ng ELSE 0 END - v_t) / v_wb;
                v_lam := CASE WHEN v_y < 0 THEN v_beta ELSE v_alpha END;
                IF v_lam > 0 THEN
                    v_key := v_y / v_lam;
                ELSIF v_y < 0 THEN
                    v_key := -1;                   -- bound(key) >= 0 > y for every key: none can enter
                ELSE
                    CONTINUE;                      -- no finite key bounds these products
                END IF;
                -- cut_0 to list A; cut_m to the goal list ranked n'-m+1 by last key, highest first
                v_i := CASE WHEN v_m = 0 THEN 1 ELSE 1 + v_order[cardinality(v_order) - v_m + 1] END;
                v_tcut[v_i] := least(v_tcut[v_i], v_key);
            END LOOP;
        END IF;
        -- 4x deeper; 64x when list A has a cut (then the cuts, not the depth, end the lists)
        v_d := least(v_d::bigint * CASE WHEN v_tcut[1] < 'Infinity' THEN 64 ELSE 4 END, 1 << 30)::integer;
    END LOOP;

    -- Results with reasons (the scores as the last round computed them).
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'rank', r.rank, 'product_id', r.product_id, 'external_id', r.external_id, 'name', r.name,
               'brand', r.brand, 'score', r.score, 'reasons', r.reasons, 'budget_use', r.budget_use)
             ORDER BY r.rank), '[]')
      INTO v_items
      FROM (SELECT u.product_id, u.rank, f.external_id, f.name, f.brand, u.score,
                   to_jsonb(ARRAY(
                       SELECT reason FROM (
                           SELECT 1 AS o, 'on your whitelist' AS reason WHERE f.product_id = ANY (v_white)
                           UNION ALL SELECT 2, 'fits ' || g || ' goal' FROM unnest(v_goals) g
                                      WHERE (f.tmask & matching.tag_mask(ARRAY[g])) <> 0
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
              FROM unnest(v_ids, v_scores) WITH ORDINALITY u(product_id, score, rank)
              JOIN matching.product_features f ON f.vendor_id = v_vendor AND f.tag = '' AND f.product_id = u.product_id) r;

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
        'stats', jsonb_build_object('exact', true, 'rounds', v_rounds, 'candidates_scored', v_scanned, 'bound_mode', v_mode));
END
$$;
COMMENT ON FUNCTION matching.match_products_for_customer(uuid, integer, integer) IS
  'Exact top-K products of the current vendor for a customer: hard filters, soft budgets, goals, whitelist, vendor weights; deterministic (score, recency, id). Uncached. p_depth: first list depth (default max(2K, 40); tests pass 1 to run many rounds).';

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
    v_vendor := app.require_vendor();
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

CREATE OR REPLACE TRIGGER scoring_policies_invalidate_matches AFTER INSERT OR UPDATE OR DELETE ON matching.scoring_policies
    FOR EACH ROW EXECUTE FUNCTION matching.invalidate_vendor_matches();

GRANT EXECUTE ON FUNCTION matching.penalty(float8[], float8[]), matching.within_caps(float8[], float8[])
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT EXECUTE ON FUNCTION matching.match_products_for_customer(uuid, integer, integer)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
GRANT EXECUTE ON FUNCTION api.match_products(uuid, integer)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;

COMMIT;
