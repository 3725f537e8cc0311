-- Revert odyssey:schema/ref_taxonomy from pg
-- Deletes exactly the seeded codes: children first, then parents.
BEGIN;
DROP FUNCTION catalog.major_allergen_codes();
DELETE FROM catalog.tax_categories WHERE code IN (
    'juices', 'soft_drinks', 'coffee_tea', 'water', 'sports_energy_drinks', 'milk_cream', 'cheese',
    'yogurt', 'eggs', 'butter_spreads', 'bread', 'pastries_cakes', 'tortillas_wraps',
    'rice_grains', 'pasta_noodles', 'breakfast_cereals', 'fruits', 'vegetables', 'poultry',
    'red_meat', 'seafood', 'deli_meats', 'plant_proteins', 'dairy_alternatives', 'chips_crackers',
    'nuts_seeds', 'snack_bars', 'confectionery', 'frozen_meals', 'frozen_desserts',
    'frozen_produce', 'canned_goods', 'sauces_condiments', 'oils_vinegars', 'nut_butters_spreads',
    'baking', 'spices_seasonings', 'ready_meals', 'soups', 'salads');
DELETE FROM catalog.tax_cuisines WHERE code IN (
    'southern_us', 'tex_mex', 'chinese', 'japanese', 'korean', 'thai', 'vietnamese', 'indian',
    'italian', 'french', 'spanish', 'greek', 'german', 'british', 'mexican', 'caribbean',
    'ethiopian');
DELETE FROM catalog.markets WHERE code IN (
    'us_northeast', 'us_midwest', 'us_south', 'us_west');
DELETE FROM catalog.tax_categories WHERE code IN (
    'uncategorized', 'beverages', 'dairy_eggs', 'bakery', 'grains_pasta', 'produce',
    'meat_seafood', 'plant_based', 'snacks', 'frozen', 'pantry', 'prepared_meals');
DELETE FROM catalog.tax_tags WHERE code IN (
    'vegan', 'vegetarian', 'pescatarian', 'keto', 'paleo', 'gluten_free', 'dairy_free', 'nut_free',
    'low_sodium', 'low_sugar', 'low_fat', 'high_protein', 'high_fiber', 'organic', 'halal',
    'kosher', 'mediterranean', 'low_carb', 'sugar_free', 'no_added_sugar', 'egg_free', 'soy_free',
    'low_calorie', 'whole_grain', 'dash');
DELETE FROM catalog.tax_allergens WHERE code IN (
    'milk', 'egg', 'fish', 'crustacean_shellfish', 'tree_nuts', 'peanuts', 'wheat', 'soy',
    'sesame', 'mustard', 'celery', 'lupin', 'molluscs', 'sulphites');
DELETE FROM catalog.tax_cuisines WHERE code IN (
    'american', 'asian', 'european', 'latin_american', 'mediterranean', 'middle_eastern',
    'african', 'fusion', 'international');
DELETE FROM catalog.tax_certifications WHERE code IN (
    'usda_organic', 'eu_organic', 'canada_organic', 'non_gmo_project', 'certified_gluten_free',
    'kosher', 'halal', 'fair_trade', 'rainforest_alliance', 'certified_vegan', 'certified_b_corp',
    'msc_certified', 'certified_humane', 'animal_welfare_approved', 'whole_grain_stamp',
    'aha_heart_check', 'regenerative_organic');
DELETE FROM catalog.markets WHERE code IN (
    'us', 'ca', 'mx', 'uk', 'eu', 'au');
COMMIT;
