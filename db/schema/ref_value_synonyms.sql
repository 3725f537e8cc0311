-- Deploy odyssey:schema/ref_value_synonyms to pg
-- requires: functions/header_normalize
-- requires: policies/ingestion
-- Value dictionary (ingest.synonyms_value): label words to canonical codes per domain, read by
-- ingest.normalize_value()/normalize_values(). Synonyms are stored in ingest.value_key() form
-- (lower case, single spaces); a canonical matches itself too ("tree nuts", "Tree_Nuts").
--
-- Allergens: the 9 US majors (FALCPA + FASTER Act) and their label words, plus the non-major codes
-- of catalog.tax_allergens (mustard, celery, lupin, molluscs, sulphites). False friends are NOT
-- mapped and normalize to NULL: buckwheat (not wheat), cream of tartar and cocoa butter (not
-- milk), coconut (FDA no longer lists it as a tree nut), nutmeg, water chestnut, shea (not tree
-- nuts), eggplant (not egg); peanut is a legume and maps to peanuts, never to tree_nuts. Molluscs
-- (clam, oyster, squid, ...) are not crustacean shellfish; a bare "shellfish" maps to
-- crustacean_shellfish (the US major it names on labels; the safe reading for an allergy). Gluten is not a US major allergen (wheat
-- is; celiac is a diet rule), so "gluten" is left unmapped rather than guessed.
--
-- A trigger keeps the dictionary unambiguous: within a domain, one value key maps to one
-- canonical code.
BEGIN;

CREATE OR REPLACE FUNCTION ingest.synonyms_value_check()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_word  text;
    v_other text;
BEGIN
    -- Serialize dictionary writes so that two concurrent inserts cannot both pass the check.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('ingest.synonyms_value'));
    FOREACH v_word IN ARRAY NEW.synonyms LOOP
        IF v_word IS NULL OR v_word IS DISTINCT FROM ingest.value_key(v_word) THEN
            RAISE EXCEPTION 'value synonym "%" of %/% is not in normalized form (expected "%")',
                v_word, NEW.domain, NEW.canonical, ingest.value_key(v_word)
                USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    IF cardinality(NEW.synonyms) <> (SELECT count(DISTINCT w) FROM unnest(NEW.synonyms) AS w) THEN
        RAISE EXCEPTION 'value synonyms of %/% repeat a word', NEW.domain, NEW.canonical
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT s.canonical INTO v_other
      FROM ingest.synonyms_value AS s
     WHERE s.domain = NEW.domain AND s.id <> NEW.id
       AND (s.synonyms && (NEW.synonyms || ingest.value_key(NEW.canonical))
            OR ingest.value_key(s.canonical) = ANY (NEW.synonyms || ingest.value_key(NEW.canonical)))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'value synonym of %/% is already a word of %/%', NEW.domain, NEW.canonical, NEW.domain, v_other
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ingest.synonyms_value_check() IS
  'BEFORE INSERT/UPDATE trigger of ingest.synonyms_value: synonyms in value_key form, and each word maps to one canonical per domain.';

CREATE TRIGGER synonyms_value_check BEFORE INSERT OR UPDATE ON ingest.synonyms_value
    FOR EACH ROW EXECUTE FUNCTION ingest.synonyms_value_check();

INSERT INTO ingest.synonyms_value (domain, canonical, synonyms) VALUES
-- allergens: the 9 US majors
('allergen', 'milk', ARRAY['milk', 'dairy', 'milk products', 'dairy products', 'cow milk', 'cows milk', 'casein',
    'caseinate', 'sodium caseinate', 'calcium caseinate', 'whey', 'whey protein', 'whey powder', 'lactose',
    'lactalbumin', 'lactoglobulin', 'milk solids', 'milk powder', 'skim milk', 'buttermilk', 'ghee', 'butter',
    'butterfat', 'butter oil', 'cream', 'sour cream', 'cheese', 'curds', 'yogurt', 'yoghurt', 'kefir', 'recaldent', 'milk protein', 'milkfat', 'milk fat']),
('allergen', 'egg', ARRAY['eggs', 'egg white', 'egg whites', 'egg yolk', 'egg yolks', 'whole egg', 'dried egg',
    'egg powder', 'albumin', 'albumen', 'ovalbumin', 'ovomucoid', 'ovomucin', 'ovovitellin', 'livetin',
    'lysozyme', 'mayonnaise', 'meringue']),
('allergen', 'fish', ARRAY['fishes', 'cod', 'salmon', 'tuna', 'anchovy', 'anchovies', 'sardine', 'sardines', 'tilapia',
    'halibut', 'haddock', 'pollock', 'pollack', 'trout', 'bass', 'catfish', 'mackerel', 'herring', 'flounder',
    'sole', 'snapper', 'swordfish', 'mahi mahi', 'fish sauce', 'fish oil', 'fish gelatin', 'surimi',
    'worcestershire sauce']),
('allergen', 'crustacean_shellfish', ARRAY['crustacean', 'crustaceans', 'crustacean shellfish', 'shellfish',
    'prawn', 'prawns', 'shrimp', 'shrimps', 'lobster', 'lobsters', 'crab', 'crabs', 'crayfish', 'crawfish',
    'crawdad', 'langoustine', 'langoustines', 'krill', 'scampi']),
('allergen', 'tree_nuts', ARRAY['tree nut', 'nuts', 'nut', 'almond', 'almonds', 'cashew', 'cashews', 'walnut',
    'walnuts', 'pecan', 'pecans', 'pistachio', 'pistachios', 'hazelnut', 'hazelnuts', 'filbert', 'filberts',
    'macadamia', 'macadamias', 'macadamia nut', 'macadamia nuts', 'brazil nut', 'brazil nuts', 'pine nut',
    'pine nuts', 'pignoli', 'chestnut', 'chestnuts', 'praline', 'marzipan', 'gianduja']),
('allergen', 'peanuts', ARRAY['peanut', 'groundnut', 'groundnuts', 'ground nut', 'ground nuts', 'monkey nut',
    'monkey nuts', 'arachis', 'arachis oil', 'peanut oil', 'peanut butter', 'peanut flour', 'goober', 'goobers']),
('allergen', 'wheat', ARRAY['wheat flour', 'whole wheat', 'wholewheat', 'semolina', 'spelt', 'durum',
    'durum wheat', 'seitan', 'farina', 'bulgur', 'bulgar', 'couscous', 'kamut', 'khorasan', 'einkorn', 'emmer',
    'farro', 'freekeh', 'triticale', 'wheat germ', 'wheat bran', 'wheat starch', 'wheat gluten', 'vital wheat gluten',
    'graham flour', 'bread flour', 'cake flour', 'enriched flour', 'all purpose flour', 'matzo', 'matzoh']),
('allergen', 'soy', ARRAY['soya', 'soybean', 'soybeans', 'soy bean', 'soy beans', 'soja', 'edamame', 'tofu',
    'tempeh', 'miso', 'natto', 'soy sauce', 'shoyu', 'tamari', 'soy lecithin', 'soya lecithin', 'soy protein',
    'soy flour', 'textured vegetable protein', 'tvp', 'okara', 'yuba']),
('allergen', 'sesame', ARRAY['sesame seed', 'sesame seeds', 'sesame oil', 'tahini', 'tahina', 'tehina', 'benne',
    'benne seed', 'gingelly', 'gingelly oil', 'til', 'halvah', 'halva', 'sesamol']),
-- allergens outside the US nine (labelled non-major in catalog.tax_allergens)
('allergen', 'mustard', ARRAY['mustard seed', 'mustard seeds', 'mustard flour', 'mustard oil']),
('allergen', 'celery', ARRAY['celeriac', 'celery seed', 'celery salt']),
('allergen', 'lupin', ARRAY['lupine', 'lupini', 'lupin flour', 'lupine flour']),
('allergen', 'molluscs', ARRAY['mollusc', 'mollusk', 'mollusks', 'molluscan shellfish', 'clam', 'clams', 'oyster',
    'oysters', 'mussel', 'mussels', 'scallop', 'scallops', 'squid', 'calamari', 'octopus', 'snail', 'snails',
    'escargot', 'abalone', 'cockle', 'cockles', 'whelk', 'periwinkle']),
('allergen', 'sulphites', ARRAY['sulphite', 'sulfite', 'sulfites', 'sulphur dioxide', 'sulfur dioxide',
    'sodium metabisulfite', 'sodium metabisulphite', 'potassium metabisulfite', 'sodium bisulfite', 'e220']),
-- conditions (general is the baseline that applies to everyone)
('condition', 'general', ARRAY['none', 'no conditions', 'no condition', 'healthy', 'general population', 'baseline']),
('condition', 'type2_diabetes', ARRAY['diabetes', 'diabetic', 't2d', 't2dm', 'dm2', 'dm 2', 'dm type 2', 'type 2 diabetes',
    'type ii diabetes', 'type 2 diabetes mellitus', 'diabetes type 2', 'diabetes type ii', 'diabetes mellitus type 2',
    'type2 diabetes', 'type2diabetes', 'niddm', 'adult onset diabetes']),
('condition', 'hypertension', ARRAY['high blood pressure', 'htn', 'hbp', 'hypertensive', 'raised blood pressure',
    'elevated blood pressure', 'essential hypertension']),
('condition', 'heart_disease', ARRAY['heart disease', 'hyperlipidemia', 'hyperlipidaemia', 'high cholesterol',
    'hypercholesterolemia', 'hypercholesterolaemia', 'dyslipidemia', 'dyslipidaemia', 'cvd', 'cardiovascular disease',
    'coronary artery disease', 'cad', 'coronary heart disease', 'chd', 'ischemic heart disease', 'ihd',
    'heart condition', 'cardiac disease']),
('condition', 'ckd', ARRAY['chronic kidney disease', 'ckd stage 3', 'ckd stage 3a', 'ckd stage 3b', 'ckd stage 4',
    'ckd stage 5', 'ckd 3', 'ckd 3a', 'ckd 3b', 'ckd 4', 'ckd 5', 'ckd3', 'ckd4', 'ckd5', 'kidney disease',
    'chronic renal disease', 'chronic renal insufficiency', 'chronic kidney failure', 'renal disease']),
('condition', 'celiac', ARRAY['coeliac', 'celiac disease', 'coeliac disease', 'celiac sprue', 'coeliac sprue',
    'gluten sensitive enteropathy', 'gluten enteropathy']),
-- units
('unit', 'g', ARRAY['gram', 'grams', 'gr', 'grm', 'gm', 'gms', 'gramme', 'grammes']),
('unit', 'mg', ARRAY['milligram', 'milligrams', 'milligramme', 'milligrammes', 'mgs']),
('unit', 'mcg', ARRAY['µg', 'μg', 'ug', 'microgram', 'micrograms', 'microgramme', 'microgrammes']),
('unit', 'kg', ARRAY['kilogram', 'kilograms', 'kilogramme', 'kilogrammes', 'kilo', 'kilos', 'kgs']),
('unit', 'lb', ARRAY['lbs', 'pound', 'pounds', 'lb.', 'lbs.']),
('unit', 'oz', ARRAY['ounce', 'ounces', 'oz.', 'ozs']),
('unit', 'ml', ARRAY['milliliter', 'milliliters', 'millilitre', 'millilitres', 'mls', 'cc']),
('unit', 'l', ARRAY['liter', 'liters', 'litre', 'litres', 'ltr', 'ltrs', 'lt']),
('unit', 'kcal', ARRAY['kcals', 'kilocalorie', 'kilocalories', 'calorie', 'calories', 'cal', 'cals', 'kcal.']),
('unit', 'kj', ARRAY['kilojoule', 'kilojoules', 'kjs']),
('unit', 'cm', ARRAY['centimeter', 'centimeters', 'centimetre', 'centimetres', 'cms']),
('unit', 'm', ARRAY['meter', 'meters', 'metre', 'metres', 'mtr']),
('unit', 'in', ARRAY['inch', 'inches', 'in.', '"', '″']),
('unit', 'ft', ARRAY['foot', 'feet', 'ft.', '''', '′']),
-- diets (the tag codes of catalog.tax_tags)
('diet', 'vegan', ARRAY['plant based', 'plantbased', 'strict vegetarian', 'fully plant based', '100% plant based']),
('diet', 'vegetarian', ARRAY['veggie', 'veg', 'lacto ovo vegetarian', 'ovo lacto vegetarian', 'lacto vegetarian',
    'ovo vegetarian', 'meat free', 'meatless', 'no meat']),
('diet', 'pescatarian', ARRAY['pescetarian', 'pesco vegetarian', 'pescovegetarian', 'fish and vegetarian']),
('diet', 'keto', ARRAY['ketogenic', 'keto diet', 'ketogenic diet', 'keto friendly']),
('diet', 'paleo', ARRAY['paleolithic', 'paleo diet', 'paleo friendly', 'caveman diet']),
('diet', 'gluten_free', ARRAY['gluten free', 'glutenfree', 'gf', 'no gluten', 'without gluten', 'sans gluten']),
('diet', 'dairy_free', ARRAY['dairy free', 'dairyfree', 'df', 'no dairy', 'non dairy', 'nondairy', 'without dairy', 'milk free']),
('diet', 'nut_free', ARRAY['nut free', 'nutfree', 'no nuts', 'tree nut free', 'free from nuts']),
('diet', 'low_sodium', ARRAY['low sodium', 'low salt', 'lowsodium', 'salt restricted', 'sodium restricted']),
('diet', 'low_sugar', ARRAY['low sugar', 'lowsugar', 'reduced sugar', 'less sugar']),
('diet', 'low_fat', ARRAY['low fat', 'lowfat', 'reduced fat', 'light in fat']),
('diet', 'high_protein', ARRAY['high protein', 'highprotein', 'protein rich', 'rich in protein', 'high in protein']),
('diet', 'high_fiber', ARRAY['high fiber', 'high fibre', 'highfiber', 'fiber rich', 'fibre rich', 'high in fiber',
    'high in fibre', 'rich in fiber', 'rich in fibre']),
('diet', 'organic', ARRAY['certified organic', 'bio', 'organically grown', 'usda organic']),
('diet', 'halal', ARRAY['halaal', 'halal certified', 'zabiha']),
('diet', 'kosher', ARRAY['kosher certified', 'kashrut', 'parve', 'pareve']),
('diet', 'mediterranean', ARRAY['mediterranean diet', 'med diet', 'mediterranean style']),
('diet', 'low_carb', ARRAY['low carb', 'lowcarb', 'low carbohydrate', 'reduced carb']),
('diet', 'sugar_free', ARRAY['sugar free', 'sugarfree', 'no sugar', 'zero sugar']),
('diet', 'no_added_sugar', ARRAY['no added sugar', 'no added sugars', 'no sugar added', 'without added sugar', 'unsweetened']),
('diet', 'egg_free', ARRAY['egg free', 'no eggs', 'no egg', 'eggless']),
('diet', 'soy_free', ARRAY['soy free', 'soya free', 'no soy']),
('diet', 'low_calorie', ARRAY['low calorie', 'low cal', 'lowcal', 'light', 'lite', 'reduced calorie']),
('diet', 'whole_grain', ARRAY['whole grain', 'wholegrain', 'whole grains', 'wholemeal']),
('diet', 'dash', ARRAY['dash diet', 'dietary approaches to stop hypertension']),
-- genders (crm.gender)
('gender', 'male', ARRAY['m', 'man', 'men', 'boy', 'masculine', 'cis male', 'cis man', 'trans man', 'transgender man']),
('gender', 'female', ARRAY['f', 'w', 'woman', 'women', 'girl', 'feminine', 'cis female', 'cis woman', 'trans woman',
    'transgender woman']),
('gender', 'other', ARRAY['o', 'x', 'non binary', 'nonbinary', 'nb', 'enby', 'genderqueer', 'gender queer',
    'agender', 'genderfluid', 'gender fluid', 'two spirit', 'third gender', 'diverse', 'another gender']),
('gender', 'unspecified', ARRAY['u', 'unknown', 'not specified', 'not stated', 'undisclosed', 'prefer not to say',
    'prefer not to answer', 'prefer not to disclose', 'rather not say', 'declined', 'declined to answer',
    'n/a', 'na', 'none', '?']),
-- activity levels (health.activity_level; TDEE factors 1.2 / 1.375 / 1.55 / 1.725 / 1.9)
('activity', 'sedentary', ARRAY['inactive', 'not active', 'little or no exercise', 'little to no exercise',
    'no exercise', 'desk job', 'sedentary lifestyle', 'very low', '1.2']),
('activity', 'light', ARRAY['lightly active', 'light activity', 'lightly', 'low', 'low activity', 'light exercise',
    'somewhat active', '1.375']),
('activity', 'moderate', ARRAY['moderately active', 'moderate activity', 'moderately', 'medium', 'active',
    'moderate exercise', '1.55']),
('activity', 'very', ARRAY['very active', 'very', 'high', 'high activity', 'heavy exercise', 'hard exercise', '1.725']),
('activity', 'extra', ARRAY['extra active', 'extremely active', 'extra', 'very high', 'super active', 'athlete',
    'professional athlete', 'physical job', 'very hard exercise', '1.9']);

COMMIT;
