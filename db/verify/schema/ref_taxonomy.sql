-- Verify odyssey:schema/ref_taxonomy on pg
SELECT 1/(count(*) = 1)::int FROM catalog.tax_categories WHERE code = 'uncategorized' AND parent_id IS NULL;
SELECT 1/(count(*) = 9)::int FROM catalog.tax_allergens WHERE code = ANY (catalog.major_allergen_codes());
SELECT 1/(count(*) = 1)::int FROM catalog.markets WHERE code = 'us';
