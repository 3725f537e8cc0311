-- Matching: every hard filter (allergens through synonyms, blacklist, per-serving limits, diet hard
-- rules, inactive, soft-deleted), soft budgets and bonuses (fiber, goals, whitelist, vendor weights),
-- tie-breakers, determinism, exactness against a naive full scan (also on a catalog large enough for
-- the early-stopping scan to take several rounds; the list a customer's bound needs: p0, p0 - fib,
-- p0 + protein for CKD, two lists; every list read to its cut in one go), the cache (hit,
-- invalidation), audit and access.
BEGIN;
SELECT plan(58);

UPDATE health.diet_rules SET active = false WHERE active;
INSERT INTO health.diet_rules (vendor_id, condition_code, policy) VALUES
 (NULL, 'general', '{"limits": {"sodium_mg": {"max": 2300}, "added_sugars_g": {"max": 50}, "saturated_fat_g": {"max": 20}, "fiber_g": {"min": 28}}}'),
 (NULL, 'hypertension', '{"limits": {"sodium_mg": {"max": 1500}}}'),
 (NULL, 'type2_diabetes', '{"limits": {"added_sugars_g": {"max": 25}, "fiber_g": {"min_per_1000_kcal": 14}, "sodium_mg": {"max": 2300}}, "scoring": {"fiber_bonus": true}}'),
 (NULL, 'ckd', '{"limits": {"protein_g": {"max_per_kg": 0.6}, "sodium_mg": {"max": 2300}}}'),
 (NULL, 'celiac', '{"hard": {"exclude_allergens": ["wheat"], "exclude_ingredients": ["wheat", "rye", "barley", "spelt"]}}');
-- Label words (dairy/whey/casein -> milk, diabetes/t2d -> type2_diabetes) come from the seeded dictionary.
INSERT INTO catalog.tax_categories (code, label) VALUES ('t-match-cat', 'Match test');
INSERT INTO core.vendors (id, name) VALUES
    ('e0000000-0000-4000-8000-0000000000a1', 'Match Test A'),
    ('e0000000-0000-4000-8000-0000000000b2', 'Match Test B');
SET LOCAL odyssey.vendor_id = 'e0000000-0000-4000-8000-0000000000a1';

CREATE FUNCTION pg_temp.pid(p text) RETURNS uuid LANGUAGE sql AS $$ SELECT catalog.product_id('e0000000-0000-4000-8000-0000000000a1', p) $$;
CREATE FUNCTION pg_temp.cid(p text) RETURNS uuid LANGUAGE sql AS $$ SELECT crm.customer_id('e0000000-0000-4000-8000-0000000000a1', p) $$;
CREATE FUNCTION pg_temp.add(p_ext text, p_nut jsonb, p_tags text[] DEFAULT '{}', p_allergens text[] DEFAULT '{}',
                            p_ingredients text DEFAULT NULL, p_updated timestamptz DEFAULT '2026-01-01')
RETURNS void LANGUAGE sql AS $$
    INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, nutrition,
                                  dietary_tags, allergens, ingredients, updated_at)
    VALUES (pg_temp.pid(p_ext), 'e0000000-0000-4000-8000-0000000000a1', p_ext, 'Item ' || p_ext, 'B', 'd',
            (SELECT id FROM catalog.tax_categories WHERE code = 't-match-cat'), 1, p_nut, p_tags, p_allergens, p_ingredients, p_updated)
$$;

-- A small hand-made catalog.
SELECT pg_temp.add('base-' || g, jsonb_build_object('sodium_mg', 100 + 40 * g, 'added_sugars_g', g % 7, 'saturated_fat_g', g % 5, 'fiber_g', g % 4))
  FROM generate_series(1, 30) g;
SELECT pg_temp.add('whey', '{"sodium_mg": 0}', '{}', '{Whey}');
SELECT pg_temp.add('milk', '{"sodium_mg": 0}', '{}', '{milk}');
SELECT pg_temp.add('spelt', '{"sodium_mg": 0}', '{}', '{}', 'Spelt flour, water');
SELECT pg_temp.add('buckwheat', '{"sodium_mg": 1}', '{}', '{}', 'buckwheat groats');
SELECT pg_temp.add('inactive', '{"sodium_mg": 0}');
SELECT pg_temp.add('deleted', '{"sodium_mg": 0}');
SELECT pg_temp.add('black', '{"sodium_mg": 0}');
SELECT pg_temp.add('salty', '{"sodium_mg": 500}');
SELECT pg_temp.add('no-sodium', '{"fiber_g": 0}');
SELECT pg_temp.add('white', '{"sodium_mg": 290}');
SELECT pg_temp.add('vegan', '{"sodium_mg": 295}', '{vegan}');
SELECT pg_temp.add('fiber', '{"sodium_mg": 200, "added_sugars_g": 10, "fiber_g": 12}');
SELECT pg_temp.add('tie-old', '{"sodium_mg": 2}', '{}', '{}', NULL, '2025-01-01');
SELECT pg_temp.add('tie-new', '{"sodium_mg": 2}', '{}', '{}', NULL, '2025-06-01');
UPDATE catalog.products SET status = 'inactive' WHERE id = pg_temp.pid('inactive');
UPDATE catalog.products SET soft_deleted_at = now() WHERE id = pg_temp.pid('deleted');

INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, location)
SELECT pg_temp.cid(x), 'e0000000-0000-4000-8000-0000000000a1', x, 'N ' || x, x || '@example.com', 40, '{}'
  FROM unnest(ARRAY['strict', 'plain', 'diab', 'noprof', 'big', 'kidney', 'kidney-heavy']) x;
INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level,
                                             conditions, diet_goals, avoid_allergens, macro_targets)
VALUES ('e0000000-0000-4000-8000-0000000000a1', pg_temp.cid('strict'), 170, 70, 40, 'female', 'light',
        '{celiac,hypertension}', '{vegan}', '{dairy}', '{"per_serving_max": {"sodium_mg": 300}}'),
       ('e0000000-0000-4000-8000-0000000000a1', pg_temp.cid('plain'), 180, 80, 40, 'male', 'moderate', '{}', '{}', '{}', '{}'),
       ('e0000000-0000-4000-8000-0000000000a1', pg_temp.cid('diab'), 180, 80, 40, 'male', 'moderate', '{type2_diabetes}', '{}', '{}', '{}'),
       ('e0000000-0000-4000-8000-0000000000a1', pg_temp.cid('big'), 165, 60, 50, 'other', 'light', '{type2_diabetes,ckd}', '{vegan,high_fiber}', '{peanuts}', '{}'),
       ('e0000000-0000-4000-8000-0000000000a1', pg_temp.cid('kidney'), 175, 75, 60, 'male', 'light', '{ckd}', '{vegan}', '{}', '{}'),
       -- 0.6 g/kg at 110 kg: a protein ceiling of 66 g, above the 50 g reference, so alpha_p < alpha
       ('e0000000-0000-4000-8000-0000000000a1', pg_temp.cid('kidney-heavy'), 190, 110, 60, 'male', 'light', '{ckd}', '{}', '{}', '{}');
INSERT INTO crm.customer_blacklists (vendor_id, customer_id, product_id) VALUES ('e0000000-0000-4000-8000-0000000000a1', pg_temp.cid('strict'), pg_temp.pid('black'));
INSERT INTO crm.customer_whitelists (vendor_id, customer_id, product_id) VALUES ('e0000000-0000-4000-8000-0000000000a1', pg_temp.cid('strict'), pg_temp.pid('white'));

-- Naive reference: score every eligible product straight from catalog.products (no features table).
CREATE FUNCTION pg_temp.naive(p_customer uuid, p_k int) RETURNS TABLE (product_id uuid, score numeric) LANGUAGE sql AS $$
    WITH prof AS (SELECT * FROM health.customer_health_profiles WHERE customer_id = p_customer),
    w AS (SELECT coalesce((sp.weights ->> 'budget_fit')::float8, 1) AS wb, coalesce((sp.weights ->> 'preference_fit')::float8, 0.5) AS wp,
                 coalesce((sp.weights ->> 'whitelist')::float8, 1) AS ww
            FROM (SELECT 1) one LEFT JOIN matching.scoring_policies sp ON sp.vendor_id = 'e0000000-0000-4000-8000-0000000000a1' AND sp.active),
    avoid AS (SELECT prof.avoid_allergens || ARRAY(SELECT jsonb_array_elements_text(prof.derived_limits #> '{hard,exclude_allergens}')) AS a FROM prof)
    SELECT p.id, round((w.wb * (
               CASE WHEN (prof.derived_limits ->> 'fiber_bonus')::boolean AND prof.derived_limits #> '{limits,fiber_g,min}' IS NOT NULL
                    THEN coalesce((p.nutrition ->> 'fiber_g')::float8, 0) / (prof.derived_limits #>> '{limits,fiber_g,min}')::float8 ELSE 0 END
             - (SELECT coalesce(sum(coalesce((p.nutrition ->> l.key)::float8, 0) / greatest((l.value ->> 'max')::float8, 1e-6)), 0)
                  FROM jsonb_each(prof.derived_limits -> 'limits') l WHERE l.value ? 'max'))
           + CASE WHEN cardinality(prof.diet_goals) > 0
                  THEN w.wp * (SELECT count(*) FROM unnest(prof.diet_goals) g WHERE g = ANY (p.dietary_tags))::float8 / cardinality(prof.diet_goals) ELSE 0 END
           + CASE WHEN EXISTS (SELECT FROM crm.customer_whitelists wl WHERE wl.customer_id = p_customer AND wl.product_id = p.id) THEN w.ww ELSE 0 END
           )::numeric, 6) AS score
      FROM catalog.products p, prof, w, avoid
     WHERE p.vendor_id = 'e0000000-0000-4000-8000-0000000000a1' AND p.status = 'active' AND p.soft_deleted_at IS NULL
       AND NOT (health.normalize_codes('allergen', p.allergens) && avoid.a)
       AND NOT EXISTS (SELECT FROM jsonb_array_elements_text(prof.derived_limits #> '{hard,exclude_ingredients}') x
                        WHERE to_tsvector('simple', coalesce(p.ingredients, '')) @@ phraseto_tsquery('simple', x))
       AND NOT EXISTS (SELECT FROM jsonb_each_text(prof.macro_targets -> 'per_serving_max') m
                        WHERE (p.nutrition ->> m.key) IS NULL OR (p.nutrition ->> m.key)::float8 > m.value::float8)
       AND NOT EXISTS (SELECT FROM crm.customer_blacklists b WHERE b.customer_id = p_customer AND b.product_id = p.id)
     ORDER BY 2 DESC, p.updated_at DESC, p.id
     LIMIT p_k
$$;
CREATE FUNCTION pg_temp.ids(p_result jsonb) RETURNS uuid[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg((e ->> 'product_id')::uuid ORDER BY (e ->> 'rank')::int), '{}') FROM jsonb_array_elements(p_result -> 'items') e $$;
CREATE FUNCTION pg_temp.item(p_result jsonb, p_ext text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT e FROM jsonb_array_elements(p_result -> 'items') e WHERE e ->> 'external_id' = p_ext $$;

SELECT matching.match_products_for_customer(pg_temp.cid('strict'), 200) AS strict_all \gset
SELECT matching.match_products_for_customer(pg_temp.cid('plain'), 200) AS plain_all \gset

-- 1. Hard filters (k = 200 returns every eligible product)
SELECT is(pg_temp.item(:'strict_all', 'whey'), NULL, 'avoid "dairy" excludes a product labelled "Whey" (synonym normalization)');
SELECT is(pg_temp.item(:'strict_all', 'milk'), NULL, 'and one labelled "milk"');
SELECT isnt(pg_temp.item(:'plain_all', 'whey'), NULL, 'a customer without the allergen does get it');
SELECT is(pg_temp.item(:'strict_all', 'spelt'), NULL, 'celiac excludes spelt in the ingredients');
SELECT isnt(pg_temp.item(:'strict_all', 'buckwheat'), NULL, 'but not buckwheat (false friend)');
SELECT is(pg_temp.item(:'plain_all', 'inactive'), NULL, 'inactive products are never matched');
SELECT is(pg_temp.item(:'plain_all', 'deleted'), NULL, 'soft-deleted products are never matched');
SELECT is(pg_temp.item(:'strict_all', 'black'), NULL, 'a blacklisted product is excluded');
SELECT isnt(pg_temp.item(:'plain_all', 'black'), NULL, '(for that customer only)');
SELECT is(pg_temp.item(:'strict_all', 'salty'), NULL, 'per-serving sodium 500 > the customer''s 300 is excluded');
SELECT is(pg_temp.item(:'strict_all', 'no-sodium'), NULL, 'a product that does not state a capped nutrient is excluded');
SELECT is((SELECT count(*) FROM jsonb_array_elements((:'strict_all'::jsonb) -> 'items') e
            WHERE (e #>> '{budget_use,sodium_mg}')::numeric * 1500 > 300.01), 0::bigint, 'no returned product exceeds 300 mg sodium');
SELECT is((:'strict_all'::jsonb) #> '{constraints,allergens_excluded}', '["milk", "wheat"]', 'the response states the allergens excluded');
SELECT is((:'strict_all'::jsonb) #> '{constraints,conditions}', '["celiac", "general", "hypertension"]', 'and the conditions applied');

-- 2. Exactness and determinism
SELECT is(pg_temp.ids(:'strict_all'), ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('strict'), 200)), 'strict: equals the naive full scan (all)');
SELECT is(pg_temp.ids(:'plain_all'), ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('plain'), 200)), 'plain: equals the naive full scan (all)');
SELECT is(pg_temp.ids(matching.match_products_for_customer(pg_temp.cid('diab'), 5)),
          ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('diab'), 5)), 'diabetes top 5 equals the naive top 5');
SELECT is(matching.match_products_for_customer(pg_temp.cid('plain'), 7) -> 'items', matching.match_products_for_customer(pg_temp.cid('plain'), 7) -> 'items',
          'same inputs, same output');

-- 3. Soft scoring, bonuses, ties
SELECT ok(pg_temp.item(:'strict_all', 'white') -> 'reasons' ? 'on your whitelist', 'whitelist reason');
SELECT is((pg_temp.item(:'strict_all', 'white') ->> 'score')::numeric, round(1 - 290 / 1500.0, 6), 'whitelist bonus +1 on top of -sodium/limit');
SELECT ok(pg_temp.item(:'strict_all', 'vegan') -> 'reasons' ? 'fits vegan goal', 'goal-fit reason');
SELECT is((pg_temp.item(:'strict_all', 'vegan') ->> 'score')::numeric, round(0.5 - 295 / 1500.0, 6), 'goal fit adds preference_fit (0.5)');
SELECT ok((pg_temp.item(:'plain_all', 'tie-new') ->> 'rank')::int < (pg_temp.item(:'plain_all', 'tie-old') ->> 'rank')::int,
          'equal scores: the more recent product first');
SELECT ok((SELECT (pg_temp.item(r, 'fiber') ->> 'rank')::int < (pg_temp.item(r, 'base-2') ->> 'rank')::int
             FROM matching.match_products_for_customer(pg_temp.cid('diab'), 200) r)
          AND (pg_temp.item(:'plain_all', 'fiber') ->> 'rank')::int > (pg_temp.item(:'plain_all', 'base-2') ->> 'rank')::int,
          'fiber bonus lifts a high-fiber product for the diabetic customer only');
SELECT ok(pg_temp.item(matching.match_products_for_customer(pg_temp.cid('diab'), 200), 'fiber') -> 'reasons' ? 'high fiber', 'high fiber reason');
INSERT INTO matching.scoring_policies (vendor_id, weights) VALUES ('e0000000-0000-4000-8000-0000000000a1', '{"preference_fit": 10}');
SELECT is((matching.match_products_for_customer(pg_temp.cid('strict'), 1) #>> '{items,0,external_id}'), 'vegan', 'vendor weights apply (preference_fit 10 puts the vegan product first)');
DELETE FROM matching.scoring_policies WHERE vendor_id = 'e0000000-0000-4000-8000-0000000000a1';

-- 4. A larger catalog: early stopping still gives the exact top K
SELECT pg_temp.add('gen-' || g, jsonb_build_object('sodium_mg', (hashint4(g) & 1023), 'added_sugars_g', (hashint4(g + 7) & 31),
                   'saturated_fat_g', (hashint4(g + 13) & 15), 'fiber_g', (hashint4(g + 3) & 15), 'protein_g', (hashint4(g + 5) & 63)),
                   CASE WHEN g % 9 = 0 THEN '{vegan}'::text[] WHEN g % 11 = 0 THEN '{high_fiber}' ELSE '{}' END,
                   CASE WHEN g % 6 = 0 THEN '{peanuts}'::text[] ELSE '{}' END, NULL, '2026-01-01'::timestamptz + g * interval '1 minute')
  FROM generate_series(1, 3000) g;
SELECT is((SELECT array[count(*) FILTER (WHERE t.nut IS DISTINCT FROM a.nut), count(*)]
             FROM matching.product_features t
             JOIN matching.product_features a ON a.vendor_id = t.vendor_id AND a.tag = '' AND a.product_id = t.product_id
            WHERE t.vendor_id = 'e0000000-0000-4000-8000-0000000000a1' AND t.tag <> ''),
          array[0, (SELECT count(*) FROM matching.product_features WHERE vendor_id = 'e0000000-0000-4000-8000-0000000000a1' AND tag <> '')],
          'every diet-tag row carries its product''s nutrient vector (the goal lists are scored from it)');
UPDATE catalog.products SET nutrition = nutrition || '{"sodium_mg": 7}' WHERE id = pg_temp.pid('gen-9');
SELECT is((SELECT nut[10] FROM matching.product_features WHERE vendor_id = 'e0000000-0000-4000-8000-0000000000a1'
             AND tag = 'vegan' AND product_id = pg_temp.pid('gen-9')), 7::float8, 'a nutrition change reaches the diet-tag rows');
SELECT is(pg_temp.ids(matching.match_products_for_customer(pg_temp.cid('big'), 20)),
          ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('big'), 20)), 'diabetes+ckd, two goals: exact top 20 on 3,000 products');
SELECT is(pg_temp.ids(matching.match_products_for_customer(pg_temp.cid('plain'), 20)),
          ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('plain'), 20)), 'plain: exact top 20 on 3,000 products');
SELECT ok((matching.match_products_for_customer(pg_temp.cid('plain'), 20) #>> '{stats,candidates_scored}')::int < 3000,
          'and it did not score the whole catalog');
SELECT is(matching.match_products_for_customer(pg_temp.cid('big'), 20) #>> '{stats,bound_mode}', 'p0f', 'the diabetic customer uses the p0 - fib list');
SELECT ok((matching.match_products_for_customer(pg_temp.cid('big'), 20) #>> '{stats,candidates_scored}')::int < 3000,
          'p0f: the fiber-weighted bound stops before the whole catalog');
SELECT is(pg_temp.ids(matching.match_products_for_customer(pg_temp.cid('big'), 20, 1)),
          ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('big'), 20)), 'first list depth 1 (many rounds, goal lists): still the exact top 20');
SELECT is(matching.match_products_for_customer(pg_temp.cid('plain'), 20, 1) -> 'items',
          matching.match_products_for_customer(pg_temp.cid('plain'), 20) -> 'items', 'the first list depth does not change the result');
SELECT is(matching.match_products_for_customer(pg_temp.cid('kidney'), 20) #>> '{stats,bound_mode}', 'p0p',
          'a CKD customer (protein ceiling, no fiber bonus) reads the p0 + protein list');
SELECT is(pg_temp.ids(matching.match_products_for_customer(pg_temp.cid('kidney'), 20)),
          ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('kidney'), 20)), 'p0p with a goal list: exact top 20 on 3,000 products');
SELECT is(pg_temp.ids(matching.match_products_for_customer(pg_temp.cid('kidney'), 20, 1)),
          ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('kidney'), 20)), 'p0p from list depth 1: still the exact top 20');
SELECT is(pg_temp.ids(matching.match_products_for_customer(pg_temp.cid('kidney-heavy'), 20, 1)),
          ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('kidney-heavy'), 20)),
          'p0p, protein ceiling above the reference (alpha_p = 50/66): exact top 20 from depth 1');
SELECT is(pg_temp.ids(matching.match_products_for_customer(pg_temp.cid('kidney-heavy'), 20)),
          ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('kidney-heavy'), 20)),
          'and from the default depth');
-- The bound's factor alpha_p must take the protein ceiling into account: in a vendor of two
-- products, 5 g added sugar (p0p 0.10, penalty 0.10) and 6 g protein (p0p 0.12, penalty 6/66 = 0.09),
-- a bound with alpha = 1 would stop after the first and miss the better second.
INSERT INTO core.vendors (id, name) VALUES ('e0000000-0000-4000-8000-0000000000c3', 'Match Test C');
SET LOCAL odyssey.vendor_id = 'e0000000-0000-4000-8000-0000000000c3';
INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price, nutrition)
SELECT catalog.product_id('e0000000-0000-4000-8000-0000000000c3', x), 'e0000000-0000-4000-8000-0000000000c3', x, x, 'B', 'd',
       (SELECT id FROM catalog.tax_categories WHERE code = 't-match-cat'), 1, n
  FROM (VALUES ('sugar5', '{"added_sugars_g": 5}'::jsonb), ('protein6', '{"protein_g": 6}')) v(x, n);
INSERT INTO crm.customers (id, vendor_id, external_id, full_name, email, age, location)
VALUES (crm.customer_id('e0000000-0000-4000-8000-0000000000c3', 'heavy'), 'e0000000-0000-4000-8000-0000000000c3', 'heavy', 'H', 'h@example.com', 60, '{}');
INSERT INTO health.customer_health_profiles (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level, conditions)
VALUES ('e0000000-0000-4000-8000-0000000000c3', crm.customer_id('e0000000-0000-4000-8000-0000000000c3', 'heavy'), 190, 110, 60, 'male', 'light', '{ckd}');
SELECT is(matching.match_products_for_customer(crm.customer_id('e0000000-0000-4000-8000-0000000000c3', 'heavy'), 1, 1) #>> '{items,0,external_id}',
          'protein6', 'p0p: a protein ceiling above 50 g loosens the bound (alpha_p = 50/66), so the better product past the first is found');
SET LOCAL odyssey.vendor_id = 'e0000000-0000-4000-8000-0000000000a1';
SELECT is((SELECT count(*) FROM matching.product_features WHERE vendor_id = 'e0000000-0000-4000-8000-0000000000a1'
             AND p0p IS DISTINCT FROM p0 + coalesce(nut[2], 0) / 50), 0::bigint, 'every feature row carries p0p = p0 + protein / 50 g');
-- Once a round has K candidates, every list -- goal lists too -- is read to its cut: the next round
-- ends it (reading the goal lists 4x deeper per round, this customer took 3 rounds and 923 candidates).
SELECT is(matching.match_products_for_customer(pg_temp.cid('big'), 20) #>> '{stats,rounds}', '2',
          'two goal lists, p0f: the lists read to their cuts end the search in the second round');
-- With list p0 (protein outside the key) this customer needed 303 candidates; p0p needs 76.
SELECT cmp_ok((matching.match_products_for_customer(pg_temp.cid('kidney'), 20) #>> '{stats,candidates_scored}')::int, '<', 150,
              'p0p: the protein-aware bound stops within half the candidates the p0 bound needed');
-- A vendor general rule laxer than the reference values: alpha < beta, the two-list bound.
INSERT INTO health.diet_rules (vendor_id, condition_code, policy) VALUES ('e0000000-0000-4000-8000-0000000000a1', 'general',
    '{"limits": {"sodium_mg": {"max": 5000}, "added_sugars_g": {"max": 100}, "saturated_fat_g": {"max": 40}, "fiber_g": {"min": 20}}}');
SELECT is(matching.match_products_for_customer(pg_temp.cid('big'), 20) #>> '{stats,bound_mode}', 'two', 'a lax vendor template switches to the two-list bound');
SELECT is(pg_temp.ids(matching.match_products_for_customer(pg_temp.cid('big'), 20)),
          ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('big'), 20)), 'two-list bound: still the exact top 20');
SELECT is(pg_temp.ids(matching.match_products_for_customer(pg_temp.cid('plain'), 20)),
          ARRAY(SELECT product_id FROM pg_temp.naive(pg_temp.cid('plain'), 20)), 'lax template, no fiber bonus: exact top 20');
DELETE FROM health.diet_rules WHERE vendor_id = 'e0000000-0000-4000-8000-0000000000a1';

-- 5. Cache, audit, access (through the API, as an operator)
SET LOCAL odyssey.request_id = 'match-test-req';
SELECT pg_temp.cid('plain') AS plain_id, pg_temp.cid('noprof') AS noprof_id \gset
SET LOCAL ROLE odyssey_vendor_operator;
SELECT is(api.match_products(:'plain_id', 5) ->> 'cache', 'miss', 'first call: cache miss');
SELECT is(api.match_products(:'plain_id', 5) ->> 'cache', 'hit', 'second call: cache hit');
SELECT is(api.match_products(:'plain_id', 3) -> 'items', (SELECT jsonb_agg(e) FROM (SELECT e FROM jsonb_array_elements(api.match_products(:'plain_id', 5) -> 'items') e LIMIT 3) s),
          'a smaller k is served from the cached larger result');
UPDATE health.customer_health_profiles SET weight_kg = 81 WHERE customer_id = :'plain_id';
SELECT is(api.match_products(:'plain_id', 5) ->> 'cache', 'miss', 'a profile change invalidates the customer''s cache');
RESET ROLE;
UPDATE catalog.products SET price = 2 WHERE id = pg_temp.pid('base-1');
SET LOCAL ROLE odyssey_vendor_operator;
SELECT is(api.match_products(:'plain_id', 5) ->> 'cache', 'miss', 'a catalog change (catalog_version) makes the cache miss');
SELECT is((SELECT count(*) FROM matching.matches_cache WHERE customer_id = :'plain_id'), 1::bigint, 'older catalog versions are dropped');
RESET ROLE;
SELECT ok((SELECT count(*) FROM audit.audit_log WHERE action = 'health_read' AND entity_id = :'plain_id' AND request_id = 'match-test-req'
              AND after ->> 'purpose' = 'matching') >= 5,
          'every matching call audits the health read');
SET LOCAL ROLE odyssey_vendor_operator;
SELECT throws_ok(format('SELECT api.match_products(%L, 5)', :'noprof_id'), 'OD404', NULL, 'no health profile: 404');
SELECT throws_ok(format('SELECT api.match_products(%L, 500)', :'plain_id'), 'OD422', NULL, 'k above 200: 422');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_viewer;
SELECT throws_ok(format('SELECT api.match_products(%L, 5)', :'plain_id'), '42501', NULL, 'vendor_viewer may not run matching');
RESET ROLE;
SET LOCAL odyssey.vendor_id = 'e0000000-0000-4000-8000-0000000000b2';
SET LOCAL ROLE odyssey_vendor_admin;
SELECT throws_ok(format('SELECT api.match_products(%L, 5)', :'plain_id'), 'OD404', NULL, 'another tenant cannot match this vendor''s customer');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
