-- Deploy odyssey:schema/ref_taxonomy to pg
-- requires: schema/taxonomy
-- Taxonomy starters (PRD §4.2): categories (a two-level food tree with 'uncategorized' for
-- products without one), tags (the diet/tag codes of the shared conventions and a few more, equal
-- to the 'diet' value-synonym codes), allergens (the 9 US majors and five non-majors, labelled as
-- such), cuisines, certifications and markets. Codes are stable identifiers: never renamed, only
-- deactivated. Parents are inserted before their children.
BEGIN;

CREATE TEMP TABLE ref_taxonomy_seed (tbl text, code text, label text, parent text) ON COMMIT DROP;
INSERT INTO ref_taxonomy_seed (tbl, code, label, parent) VALUES
-- categories: top level
('tax_categories', 'uncategorized', 'Uncategorized', NULL),
('tax_categories', 'beverages', 'Beverages', NULL),
('tax_categories', 'dairy_eggs', 'Dairy & Eggs', NULL),
('tax_categories', 'bakery', 'Bakery', NULL),
('tax_categories', 'grains_pasta', 'Grains, Pasta & Cereals', NULL),
('tax_categories', 'produce', 'Fruits & Vegetables', NULL),
('tax_categories', 'meat_seafood', 'Meat & Seafood', NULL),
('tax_categories', 'plant_based', 'Plant-Based', NULL),
('tax_categories', 'snacks', 'Snacks & Sweets', NULL),
('tax_categories', 'frozen', 'Frozen', NULL),
('tax_categories', 'pantry', 'Pantry', NULL),
('tax_categories', 'prepared_meals', 'Prepared Meals', NULL),
-- categories: second level
('tax_categories', 'juices', 'Juices & Smoothies', 'beverages'),
('tax_categories', 'soft_drinks', 'Soft Drinks', 'beverages'),
('tax_categories', 'coffee_tea', 'Coffee & Tea', 'beverages'),
('tax_categories', 'water', 'Water & Sparkling Water', 'beverages'),
('tax_categories', 'sports_energy_drinks', 'Sports & Energy Drinks', 'beverages'),
('tax_categories', 'milk_cream', 'Milk & Cream', 'dairy_eggs'),
('tax_categories', 'cheese', 'Cheese', 'dairy_eggs'),
('tax_categories', 'yogurt', 'Yogurt', 'dairy_eggs'),
('tax_categories', 'eggs', 'Eggs', 'dairy_eggs'),
('tax_categories', 'butter_spreads', 'Butter & Spreads', 'dairy_eggs'),
('tax_categories', 'bread', 'Bread & Rolls', 'bakery'),
('tax_categories', 'pastries_cakes', 'Pastries & Cakes', 'bakery'),
('tax_categories', 'tortillas_wraps', 'Tortillas & Wraps', 'bakery'),
('tax_categories', 'rice_grains', 'Rice & Grains', 'grains_pasta'),
('tax_categories', 'pasta_noodles', 'Pasta & Noodles', 'grains_pasta'),
('tax_categories', 'breakfast_cereals', 'Breakfast Cereals & Oats', 'grains_pasta'),
('tax_categories', 'fruits', 'Fresh Fruit', 'produce'),
('tax_categories', 'vegetables', 'Fresh Vegetables', 'produce'),
('tax_categories', 'poultry', 'Poultry', 'meat_seafood'),
('tax_categories', 'red_meat', 'Beef, Pork & Lamb', 'meat_seafood'),
('tax_categories', 'seafood', 'Fish & Seafood', 'meat_seafood'),
('tax_categories', 'deli_meats', 'Deli Meats', 'meat_seafood'),
('tax_categories', 'plant_proteins', 'Tofu, Tempeh & Meat Alternatives', 'plant_based'),
('tax_categories', 'dairy_alternatives', 'Plant Milks & Dairy Alternatives', 'plant_based'),
('tax_categories', 'chips_crackers', 'Chips & Crackers', 'snacks'),
('tax_categories', 'nuts_seeds', 'Nuts & Seeds', 'snacks'),
('tax_categories', 'snack_bars', 'Snack & Protein Bars', 'snacks'),
('tax_categories', 'confectionery', 'Candy & Chocolate', 'snacks'),
('tax_categories', 'frozen_meals', 'Frozen Meals', 'frozen'),
('tax_categories', 'frozen_desserts', 'Ice Cream & Frozen Desserts', 'frozen'),
('tax_categories', 'frozen_produce', 'Frozen Fruit & Vegetables', 'frozen'),
('tax_categories', 'canned_goods', 'Canned & Jarred Goods', 'pantry'),
('tax_categories', 'sauces_condiments', 'Sauces & Condiments', 'pantry'),
('tax_categories', 'oils_vinegars', 'Oils & Vinegars', 'pantry'),
('tax_categories', 'nut_butters_spreads', 'Nut Butters & Sweet Spreads', 'pantry'),
('tax_categories', 'baking', 'Baking Ingredients', 'pantry'),
('tax_categories', 'spices_seasonings', 'Spices & Seasonings', 'pantry'),
('tax_categories', 'ready_meals', 'Ready Meals', 'prepared_meals'),
('tax_categories', 'soups', 'Soups & Broths', 'prepared_meals'),
('tax_categories', 'salads', 'Salads & Bowls', 'prepared_meals'),
-- tags: the diet/tag codes of the conventions, then a few more
('tax_tags', 'vegan', 'Vegan', NULL),
('tax_tags', 'vegetarian', 'Vegetarian', NULL),
('tax_tags', 'pescatarian', 'Pescatarian', NULL),
('tax_tags', 'keto', 'Keto', NULL),
('tax_tags', 'paleo', 'Paleo', NULL),
('tax_tags', 'gluten_free', 'Gluten-Free', NULL),
('tax_tags', 'dairy_free', 'Dairy-Free', NULL),
('tax_tags', 'nut_free', 'Nut-Free', NULL),
('tax_tags', 'low_sodium', 'Low Sodium', NULL),
('tax_tags', 'low_sugar', 'Low Sugar', NULL),
('tax_tags', 'low_fat', 'Low Fat', NULL),
('tax_tags', 'high_protein', 'High Protein', NULL),
('tax_tags', 'high_fiber', 'High Fiber', NULL),
('tax_tags', 'organic', 'Organic', NULL),
('tax_tags', 'halal', 'Halal', NULL),
('tax_tags', 'kosher', 'Kosher', NULL),
('tax_tags', 'mediterranean', 'Mediterranean', NULL),
('tax_tags', 'low_carb', 'Low Carb', NULL),
('tax_tags', 'sugar_free', 'Sugar-Free', NULL),
('tax_tags', 'no_added_sugar', 'No Added Sugar', NULL),
('tax_tags', 'egg_free', 'Egg-Free', NULL),
('tax_tags', 'soy_free', 'Soy-Free', NULL),
('tax_tags', 'low_calorie', 'Low Calorie', NULL),
('tax_tags', 'whole_grain', 'Whole Grain', NULL),
('tax_tags', 'dash', 'DASH', NULL),
-- allergens: the 9 US major food allergens (FALCPA, FASTER Act) ...
('tax_allergens', 'milk', 'Milk (US major allergen)', NULL),
('tax_allergens', 'egg', 'Egg (US major allergen)', NULL),
('tax_allergens', 'fish', 'Fish (US major allergen)', NULL),
('tax_allergens', 'crustacean_shellfish', 'Crustacean shellfish (US major allergen)', NULL),
('tax_allergens', 'tree_nuts', 'Tree nuts (US major allergen)', NULL),
('tax_allergens', 'peanuts', 'Peanuts (US major allergen)', NULL),
('tax_allergens', 'wheat', 'Wheat (US major allergen)', NULL),
('tax_allergens', 'soy', 'Soy (US major allergen)', NULL),
('tax_allergens', 'sesame', 'Sesame (US major allergen)', NULL),
-- ... and allergens declared elsewhere (EU/UK/Canada) that are not US majors
('tax_allergens', 'mustard', 'Mustard (not a US major allergen)', NULL),
('tax_allergens', 'celery', 'Celery (not a US major allergen)', NULL),
('tax_allergens', 'lupin', 'Lupin (not a US major allergen)', NULL),
('tax_allergens', 'molluscs', 'Molluscs (not a US major allergen)', NULL),
('tax_allergens', 'sulphites', 'Sulphites (not a US major allergen)', NULL),
-- cuisines
('tax_cuisines', 'american', 'American', NULL),
('tax_cuisines', 'asian', 'Asian', NULL),
('tax_cuisines', 'european', 'European', NULL),
('tax_cuisines', 'latin_american', 'Latin American', NULL),
('tax_cuisines', 'mediterranean', 'Mediterranean', NULL),
('tax_cuisines', 'middle_eastern', 'Middle Eastern', NULL),
('tax_cuisines', 'african', 'African', NULL),
('tax_cuisines', 'fusion', 'Fusion', NULL),
('tax_cuisines', 'international', 'International', NULL),
('tax_cuisines', 'southern_us', 'Southern (US)', 'american'),
('tax_cuisines', 'tex_mex', 'Tex-Mex', 'american'),
('tax_cuisines', 'chinese', 'Chinese', 'asian'),
('tax_cuisines', 'japanese', 'Japanese', 'asian'),
('tax_cuisines', 'korean', 'Korean', 'asian'),
('tax_cuisines', 'thai', 'Thai', 'asian'),
('tax_cuisines', 'vietnamese', 'Vietnamese', 'asian'),
('tax_cuisines', 'indian', 'Indian', 'asian'),
('tax_cuisines', 'italian', 'Italian', 'european'),
('tax_cuisines', 'french', 'French', 'european'),
('tax_cuisines', 'spanish', 'Spanish', 'european'),
('tax_cuisines', 'greek', 'Greek', 'european'),
('tax_cuisines', 'german', 'German', 'european'),
('tax_cuisines', 'british', 'British', 'european'),
('tax_cuisines', 'mexican', 'Mexican', 'latin_american'),
('tax_cuisines', 'caribbean', 'Caribbean', 'latin_american'),
('tax_cuisines', 'ethiopian', 'Ethiopian', 'african'),
-- certifications
('tax_certifications', 'usda_organic', 'USDA Organic', NULL),
('tax_certifications', 'eu_organic', 'EU Organic', NULL),
('tax_certifications', 'canada_organic', 'Canada Organic', NULL),
('tax_certifications', 'non_gmo_project', 'Non-GMO Project Verified', NULL),
('tax_certifications', 'certified_gluten_free', 'Certified Gluten-Free (GFCO)', NULL),
('tax_certifications', 'kosher', 'Kosher', NULL),
('tax_certifications', 'halal', 'Halal', NULL),
('tax_certifications', 'fair_trade', 'Fair Trade Certified', NULL),
('tax_certifications', 'rainforest_alliance', 'Rainforest Alliance Certified', NULL),
('tax_certifications', 'certified_vegan', 'Certified Vegan', NULL),
('tax_certifications', 'certified_b_corp', 'Certified B Corporation', NULL),
('tax_certifications', 'msc_certified', 'MSC Certified Sustainable Seafood', NULL),
('tax_certifications', 'certified_humane', 'Certified Humane', NULL),
('tax_certifications', 'animal_welfare_approved', 'Animal Welfare Approved', NULL),
('tax_certifications', 'whole_grain_stamp', 'Whole Grain Stamp', NULL),
('tax_certifications', 'aha_heart_check', 'American Heart Association Heart-Check', NULL),
('tax_certifications', 'regenerative_organic', 'Regenerative Organic Certified', NULL),
-- markets: the US (with its census regions) and a few other markets
('markets', 'us', 'United States', NULL),
('markets', 'ca', 'Canada', NULL),
('markets', 'mx', 'Mexico', NULL),
('markets', 'uk', 'United Kingdom', NULL),
('markets', 'eu', 'European Union', NULL),
('markets', 'au', 'Australia', NULL),
('markets', 'us_northeast', 'US Northeast', 'us'),
('markets', 'us_midwest', 'US Midwest', 'us'),
('markets', 'us_south', 'US South', 'us'),
('markets', 'us_west', 'US West', 'us');

DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['tax_categories', 'tax_tags', 'tax_allergens', 'tax_cuisines',
                                   'tax_certifications', 'markets']
    LOOP
        EXECUTE format($sql$
            INSERT INTO catalog.%1$I (code, label)
            SELECT code, label FROM ref_taxonomy_seed WHERE tbl = %2$L AND parent IS NULL;
            INSERT INTO catalog.%1$I (code, label, parent_id)
            SELECT s.code, s.label, p.id
              FROM ref_taxonomy_seed AS s JOIN catalog.%1$I AS p ON p.code = s.parent
             WHERE s.tbl = %2$L;
        $sql$, v_table, v_table);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION catalog.major_allergen_codes()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY['milk', 'egg', 'fish', 'crustacean_shellfish', 'tree_nuts', 'peanuts', 'wheat', 'soy', 'sesame']::text[]
$$;
COMMENT ON FUNCTION catalog.major_allergen_codes() IS
  'The 9 US major food allergens (FALCPA + FASTER Act) as catalog.tax_allergens codes.';
GRANT EXECUTE ON FUNCTION catalog.major_allergen_codes()
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer,
      odyssey_worker, odyssey_analyst;

COMMIT;
