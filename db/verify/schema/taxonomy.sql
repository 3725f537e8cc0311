-- Verify odyssey:schema/taxonomy on pg
SELECT id, code, label, parent_id, active, created_at, updated_at FROM catalog.tax_categories WHERE false;
SELECT id, code, label, parent_id, active, created_at, updated_at FROM catalog.tax_tags WHERE false;
SELECT id, code, label, parent_id, active, created_at, updated_at FROM catalog.tax_allergens WHERE false;
SELECT id, code, label, parent_id, active, created_at, updated_at FROM catalog.tax_cuisines WHERE false;
SELECT id, code, label, parent_id, active, created_at, updated_at FROM catalog.tax_certifications WHERE false;
SELECT id, code, label, parent_id, active, created_at, updated_at FROM catalog.markets WHERE false;
