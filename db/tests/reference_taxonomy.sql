-- Taxonomy starters (schema/ref_taxonomy): shape of the category tree, the conventions' codes,
-- the 9 US major allergens labelled as such, agreement with the value dictionary, and who writes.
BEGIN;
SELECT plan(17);

SELECT ok(EXISTS (SELECT FROM catalog.tax_categories WHERE code = 'uncategorized' AND parent_id IS NULL AND active),
          'uncategorized is an active top-level category');
SELECT cmp_ok((SELECT count(*)::int FROM catalog.tax_categories), '>=', 30, 'at least 30 categories');
SELECT cmp_ok((SELECT count(*)::int FROM catalog.tax_categories WHERE parent_id IS NULL), '>=', 8,
              'at least 8 top-level categories');
SELECT is((SELECT count(*)::int FROM catalog.tax_categories c JOIN catalog.tax_categories p ON p.id = c.parent_id
            WHERE p.parent_id IS NOT NULL), 0, 'the category tree has two levels');
SELECT is((SELECT array_agg(p.code) FROM catalog.tax_categories p
            WHERE p.parent_id IS NULL AND p.code <> 'uncategorized'
              AND NOT EXISTS (SELECT FROM catalog.tax_categories c WHERE c.parent_id = p.id)), NULL,
          'every top-level category but uncategorized has subcategories');

SELECT ok((SELECT array_agg(code) FROM catalog.tax_tags)
          @> ARRAY['vegan', 'vegetarian', 'pescatarian', 'keto', 'paleo', 'gluten_free', 'dairy_free', 'nut_free',
                   'low_sodium', 'low_sugar', 'low_fat', 'high_protein', 'high_fiber', 'organic', 'halal', 'kosher',
                   'mediterranean'],
          'every diet/tag code of the conventions is a tag');
SELECT set_eq($$SELECT code FROM catalog.tax_tags$$,
              $$SELECT canonical FROM ingest.synonyms_value WHERE domain = 'diet'$$,
              'tags and diet value synonyms have the same codes');

SELECT set_eq($$SELECT unnest(catalog.major_allergen_codes())$$,
              ARRAY['milk', 'egg', 'fish', 'crustacean_shellfish', 'tree_nuts', 'peanuts', 'wheat', 'soy', 'sesame'],
              'major_allergen_codes() are the 9 US majors');
SELECT set_eq($$SELECT code FROM catalog.tax_allergens WHERE label LIKE '%(US major allergen)'$$,
              $$SELECT unnest(catalog.major_allergen_codes())$$, 'the 9 majors are allergens labelled as US majors');
SELECT set_eq($$SELECT code FROM catalog.tax_allergens WHERE code <> ALL (catalog.major_allergen_codes())$$,
              $$SELECT code FROM catalog.tax_allergens WHERE label LIKE '%(not a US major allergen)'$$,
              'every other allergen is labelled as not a US major');
SELECT ok((SELECT array_agg(code) FROM catalog.tax_allergens) @> ARRAY['mustard', 'celery', 'lupin', 'molluscs', 'sulphites'],
          'non-major allergens: mustard, celery, lupin, molluscs, sulphites');
SELECT set_eq($$SELECT code FROM catalog.tax_allergens$$,
              $$SELECT canonical FROM ingest.synonyms_value WHERE domain = 'allergen'$$,
              'allergens and allergen value synonyms have the same codes');

SELECT cmp_ok((SELECT count(*)::int FROM catalog.tax_cuisines), '>=', 20, 'at least 20 cuisines');
SELECT ok((SELECT count(*) >= 15 FROM catalog.tax_certifications)
          AND (SELECT array_agg(code) FROM catalog.tax_certifications)
              @> ARRAY['usda_organic', 'non_gmo_project', 'certified_gluten_free', 'kosher', 'halal', 'fair_trade'],
          'at least 15 certifications including the common US ones');
SELECT set_eq($$SELECT c.code FROM catalog.markets c JOIN catalog.markets p ON p.id = c.parent_id WHERE p.code = 'us'$$,
              ARRAY['us_northeast', 'us_midwest', 'us_south', 'us_west'], 'the us market has its four census regions');

SET LOCAL ROLE odyssey_vendor_viewer;
SELECT is((SELECT count(*)::int FROM catalog.tax_allergens WHERE code = ANY (catalog.major_allergen_codes())), 9,
          'vendor roles read the taxonomy');
RESET ROLE;
SET LOCAL ROLE odyssey_vendor_admin;
SELECT throws_ok($$INSERT INTO catalog.tax_tags (code, label) VALUES ('raw_food', 'Raw')$$, '42501', NULL,
                 'only superadmins write the taxonomy');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
