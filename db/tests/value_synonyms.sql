-- Value dictionary (schema/ref_value_synonyms) and ingest.normalize_value(s): label words map to
-- their canonical codes, false friends do not, and the dictionary stays unambiguous.
BEGIN;
SELECT plan(40);

-- Label words of the 9 US majors (notes.md "Allergens" and more). Each check lists the words that
-- do NOT map to the expected code, so a failure names them.
CREATE TEMP TABLE t_words (domain ingest.value_domain, word text, code text) ON COMMIT DROP;
INSERT INTO t_words VALUES
  ('allergen', 'casein', 'milk'), ('allergen', 'whey', 'milk'), ('allergen', 'lactose', 'milk'),
  ('allergen', 'ghee', 'milk'), ('allergen', 'butter', 'milk'), ('allergen', 'cream', 'milk'),
  ('allergen', 'cheese', 'milk'), ('allergen', 'Dairy', 'milk'), ('allergen', 'milk', 'milk'),
  ('allergen', 'albumin', 'egg'), ('allergen', 'ovalbumin', 'egg'), ('allergen', 'eggs', 'egg'),
  ('allergen', 'groundnut', 'peanuts'), ('allergen', 'peanut', 'peanuts'), ('allergen', 'arachis oil', 'peanuts'),
  ('allergen', 'semolina', 'wheat'), ('allergen', 'spelt', 'wheat'), ('allergen', 'durum', 'wheat'),
  ('allergen', 'seitan', 'wheat'), ('allergen', 'farina', 'wheat'), ('allergen', 'bulgur', 'wheat'),
  ('allergen', 'couscous', 'wheat'),
  ('allergen', 'edamame', 'soy'), ('allergen', 'tofu', 'soy'), ('allergen', 'tempeh', 'soy'),
  ('allergen', 'soya', 'soy'), ('allergen', 'soybean', 'soy'),
  ('allergen', 'tahini', 'sesame'), ('allergen', 'sesame seeds', 'sesame'),
  ('allergen', 'prawn', 'crustacean_shellfish'), ('allergen', 'shrimp', 'crustacean_shellfish'),
  ('allergen', 'lobster', 'crustacean_shellfish'), ('allergen', 'crab', 'crustacean_shellfish'),
  ('allergen', 'crayfish', 'crustacean_shellfish'),
  ('allergen', 'almond', 'tree_nuts'), ('allergen', 'cashew', 'tree_nuts'), ('allergen', 'walnut', 'tree_nuts'),
  ('allergen', 'pecan', 'tree_nuts'), ('allergen', 'pistachio', 'tree_nuts'), ('allergen', 'hazelnut', 'tree_nuts'),
  ('allergen', 'macadamia', 'tree_nuts'), ('allergen', 'brazil nut', 'tree_nuts'),
  ('allergen', 'cod', 'fish'), ('allergen', 'salmon', 'fish'), ('allergen', 'tuna', 'fish'), ('allergen', 'anchovy', 'fish'),
  ('condition', 'diabetes', 'type2_diabetes'), ('condition', 't2d', 'type2_diabetes'),
  ('condition', 'type 2 diabetes', 'type2_diabetes'), ('condition', 'DM2', 'type2_diabetes'),
  ('condition', 'high blood pressure', 'hypertension'), ('condition', 'HTN', 'hypertension'),
  ('condition', 'hyperlipidemia', 'heart_disease'), ('condition', 'high cholesterol', 'heart_disease'),
  ('condition', 'CVD', 'heart_disease'), ('condition', 'coronary artery disease', 'heart_disease'),
  ('condition', 'chronic kidney disease', 'ckd'), ('condition', 'CKD stage 3', 'ckd'),
  ('condition', 'ckd stage 4', 'ckd'), ('condition', 'CKD Stage 5', 'ckd'),
  ('condition', 'coeliac', 'celiac'), ('condition', 'Celiac Disease', 'celiac'),
  ('unit', 'grams', 'g'), ('unit', 'Milligrams', 'mg'), ('unit', 'µg', 'mcg'), ('unit', 'kilograms', 'kg'),
  ('unit', 'lbs', 'lb'), ('unit', 'ounces', 'oz'), ('unit', 'mL', 'ml'), ('unit', 'litre', 'l'),
  ('unit', 'Calories', 'kcal'), ('unit', 'kJ', 'kj'), ('unit', 'centimetres', 'cm'), ('unit', 'meters', 'm'),
  ('unit', 'inches', 'in'), ('unit', 'feet', 'ft'),
  ('diet', 'Gluten-Free', 'gluten_free'), ('diet', 'plant-based', 'vegan'), ('diet', 'pescetarian', 'pescatarian'),
  ('diet', 'ketogenic', 'keto'), ('diet', 'high fibre', 'high_fiber'), ('diet', 'low salt', 'low_sodium'),
  ('gender', 'M', 'male'), ('gender', 'man', 'male'), ('gender', 'F', 'female'), ('gender', 'Woman', 'female'),
  ('gender', 'non-binary', 'other'), ('gender', 'Prefer not to say', 'unspecified'),
  ('activity', 'lightly active', 'light'), ('activity', 'Moderately Active', 'moderate'),
  ('activity', 'very active', 'very'), ('activity', 'extra active', 'extra'), ('activity', 'Sedentary', 'sedentary');

SELECT is((SELECT array_agg(word || ' -> ' || coalesce(ingest.normalize_value(domain, word), 'NULL'))
             FROM t_words WHERE domain = d AND ingest.normalize_value(domain, word) IS DISTINCT FROM code), NULL,
          format('%s label words map to their canonical codes', d))
  FROM unnest(enum_range(NULL::ingest.value_domain)) AS d;

-- The nine majors are canonical allergen codes, each with label words.
SELECT is((SELECT array_agg(c) FROM unnest(ARRAY['milk', 'egg', 'fish', 'crustacean_shellfish', 'tree_nuts',
                                                 'peanuts', 'wheat', 'soy', 'sesame']) AS c
            WHERE NOT EXISTS (SELECT FROM ingest.synonyms_value
                               WHERE domain = 'allergen' AND canonical = c AND cardinality(synonyms) >= 4)), NULL,
          'each of the 9 US majors is a canonical allergen with label words');

-- False friends.
SELECT is(ingest.normalize_value('allergen', 'buckwheat'), NULL, 'buckwheat is not wheat');
SELECT is(ingest.normalize_value('allergen', 'cream of tartar'), NULL, 'cream of tartar is not milk');
SELECT is(ingest.normalize_value('allergen', 'cocoa butter'), NULL, 'cocoa butter is not milk');
SELECT is(ingest.normalize_value('allergen', 'coconut'), NULL, 'coconut is not a (US) tree nut');
SELECT is(ingest.normalize_value('allergen', 'nutmeg'), NULL, 'nutmeg is not a tree nut');
SELECT is(ingest.normalize_value('allergen', 'water chestnut'), NULL, 'water chestnut is not a tree nut');
SELECT is(ingest.normalize_value('allergen', 'eggplant'), NULL, 'eggplant is not egg');
SELECT is(ingest.normalize_value('allergen', 'peanut'), 'peanuts', 'peanut is a peanut (legume), not a tree nut');
SELECT is(ingest.normalize_value('allergen', 'gluten'), NULL, 'gluten is not mapped to a major (celiac is a diet rule)');
SELECT is(ingest.normalize_value('allergen', 'squid'), 'molluscs', 'molluscs are not crustacean shellfish');
SELECT is(ingest.normalize_value('condition', 'type 1 diabetes'), NULL, 'type 1 diabetes is not type2_diabetes');
SELECT is(ingest.normalize_value('condition', 'dialysis'), NULL, 'dialysis is not the ckd (3-5, not on dialysis) template');

-- Matching and comparison forms.
SELECT is(ingest.normalize_value('allergen', '  TREE-NUTS '), 'tree_nuts', 'case, spaces and hyphens are ignored');
SELECT is(ingest.normalize_value('allergen', 'en:soybeans'), 'soy', 'an Open Food Facts "en:" prefix is ignored');
SELECT is(ingest.normalize_value('allergen', U&'Brazil\00A0Nuts'), 'tree_nuts', 'a no-break space (Windows-1252 feeds) is a space');
SELECT is(ingest.normalize_value('allergen', 'Crustacean_Shellfish'), 'crustacean_shellfish', 'a canonical maps to itself');
SELECT is(ingest.normalize_value('diet', 'whey'), NULL, 'words map only within their domain');
SELECT is(ingest.normalize_value('allergen', NULL), NULL, 'NULL in, NULL out');
SELECT is(ingest.normalize_values('allergen', ARRAY['Dairy', 'whey', 'buckwheat', 'tahini', 'milk', 'shrimp', '']),
          ARRAY['milk', 'sesame', 'crustacean_shellfish'],
          'normalize_values: distinct codes in order of first appearance, unknown dropped');
SELECT is(ingest.normalize_values('allergen', ARRAY['coconut', 'nutmeg']), '{}'::text[],
          'normalize_values of only unknown words is empty');

-- Canonical codes agree with the enums they feed.
SELECT set_eq($$SELECT canonical FROM ingest.synonyms_value WHERE domain = 'gender'$$,
              $$SELECT unnest(enum_range(NULL::crm.gender))::text$$, 'gender codes are crm.gender');
SELECT set_eq($$SELECT canonical FROM ingest.synonyms_value WHERE domain = 'activity'$$,
              $$SELECT unnest(enum_range(NULL::health.activity_level))::text$$, 'activity codes are health.activity_level');
SELECT set_eq($$SELECT canonical FROM ingest.synonyms_value WHERE domain = 'condition'$$,
              ARRAY['general', 'type2_diabetes', 'hypertension', 'heart_disease', 'ckd', 'celiac'],
              'condition codes are the conventions'' codes');

-- The dictionary is unambiguous and stored in comparison form.
SELECT is((SELECT array_agg(domain || ':' || w) FROM ingest.synonyms_value, unnest(synonyms) AS w
            WHERE w IS DISTINCT FROM ingest.value_key(w)), NULL, 'every stored synonym is in value_key form');
SELECT is((SELECT array_agg(domain || ':' || k) FROM (
             SELECT domain, k FROM ingest.synonyms_value,
                    unnest(synonyms || ARRAY[ingest.value_key(canonical)]) AS k
              GROUP BY domain, k HAVING count(DISTINCT canonical) > 1) AS x), NULL,
          'no word maps to two canonicals of a domain');
SELECT throws_ok($$INSERT INTO ingest.synonyms_value (domain, canonical, synonyms) VALUES ('allergen', 'oats', ARRAY['whey'])$$,
                 '23505', NULL, 'the trigger refuses a word that already maps elsewhere in the domain');
SELECT throws_ok($$INSERT INTO ingest.synonyms_value (domain, canonical, synonyms) VALUES ('allergen', 'oats', ARRAY['Rolled Oats'])$$,
                 '23514', NULL, 'the trigger refuses a synonym not in value_key form');
SET LOCAL ROLE odyssey_superadmin;
SELECT lives_ok($$INSERT INTO ingest.synonyms_value (domain, canonical, synonyms) VALUES ('allergen', 'oats', ARRAY['rolled oats', 'oatmeal'])$$,
                'a superadmin adds a new unambiguous entry (the triggers run with its privileges)');
RESET ROLE;

-- The lookup index follows the dictionary.
SELECT set_eq($$SELECT domain, key, canonical FROM ingest.synonyms_value_keys$$,
              $$SELECT DISTINCT domain, ingest.value_key(w), canonical FROM ingest.synonyms_value,
                       unnest(synonyms || translate(canonical, '_-', '  ')) AS w$$,
              'synonyms_value_keys holds exactly the keys of every synonym and canonical');
UPDATE ingest.synonyms_value SET synonyms = ARRAY['porridge oats'] WHERE domain = 'allergen' AND canonical = 'oats';
SELECT is(ingest.normalize_values('allergen', ARRAY['oatmeal', 'Porridge Oats', 'OATS']), ARRAY['oats'],
          'an update replaces the keys of its row (oatmeal gone, porridge oats and the canonical found)');
DELETE FROM ingest.synonyms_value WHERE domain = 'allergen' AND canonical = 'oats';
SELECT is((SELECT count(*)::int FROM ingest.synonyms_value_keys WHERE canonical = 'oats'), 0,
          'a delete removes the keys of its row');
SET LOCAL ROLE odyssey_superadmin;
SELECT throws_ok($$INSERT INTO ingest.synonyms_value_keys VALUES ('allergen', 'oats', 'oats')$$, '42501', NULL,
                 'the lookup index is written only through the dictionary trigger');
RESET ROLE;

SET LOCAL ROLE odyssey_vendor_viewer;
SELECT is(ingest.normalize_values('condition', ARRAY['HTN', 't2d']), ARRAY['hypertension', 'type2_diabetes'],
          'vendor roles may execute the normalizers');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
