-- Revert odyssey:schema/ref_value_synonyms from pg
-- Deletes exactly the seeded (domain, canonical) rows, then the uniqueness trigger.
BEGIN;
DELETE FROM ingest.synonyms_value AS s
 USING (VALUES
    ('allergen', 'milk'), ('allergen', 'egg'), ('allergen', 'fish'), ('allergen', 'crustacean_shellfish'),
    ('allergen', 'tree_nuts'), ('allergen', 'peanuts'), ('allergen', 'wheat'), ('allergen', 'soy'),
    ('allergen', 'sesame'), ('allergen', 'mustard'), ('allergen', 'celery'), ('allergen', 'lupin'),
    ('allergen', 'molluscs'), ('allergen', 'sulphites'),
    ('condition', 'general'), ('condition', 'type2_diabetes'), ('condition', 'hypertension'),
    ('condition', 'heart_disease'), ('condition', 'ckd'), ('condition', 'celiac'),
    ('unit', 'g'), ('unit', 'mg'), ('unit', 'mcg'), ('unit', 'kg'), ('unit', 'lb'), ('unit', 'oz'),
    ('unit', 'ml'), ('unit', 'l'), ('unit', 'kcal'), ('unit', 'kj'), ('unit', 'cm'), ('unit', 'm'),
    ('unit', 'in'), ('unit', 'ft'),
    ('diet', 'vegan'), ('diet', 'vegetarian'), ('diet', 'pescatarian'), ('diet', 'keto'), ('diet', 'paleo'),
    ('diet', 'gluten_free'), ('diet', 'dairy_free'), ('diet', 'nut_free'), ('diet', 'low_sodium'),
    ('diet', 'low_sugar'), ('diet', 'low_fat'), ('diet', 'high_protein'), ('diet', 'high_fiber'),
    ('diet', 'organic'), ('diet', 'halal'), ('diet', 'kosher'), ('diet', 'mediterranean'),
    ('diet', 'low_carb'), ('diet', 'sugar_free'), ('diet', 'no_added_sugar'), ('diet', 'egg_free'),
    ('diet', 'soy_free'), ('diet', 'low_calorie'), ('diet', 'whole_grain'), ('diet', 'dash'),
    ('gender', 'male'), ('gender', 'female'), ('gender', 'other'), ('gender', 'unspecified'),
    ('activity', 'sedentary'), ('activity', 'light'), ('activity', 'moderate'), ('activity', 'very'),
    ('activity', 'extra')
 ) AS seed (domain, canonical)
 WHERE s.domain = seed.domain::ingest.value_domain AND s.canonical = seed.canonical;
DROP TRIGGER synonyms_value_check ON ingest.synonyms_value;
DROP FUNCTION ingest.synonyms_value_check();
COMMIT;
