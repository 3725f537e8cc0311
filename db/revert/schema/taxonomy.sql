-- Revert odyssey:schema/taxonomy from pg
BEGIN;
DROP TABLE catalog.markets, catalog.tax_certifications, catalog.tax_cuisines, catalog.tax_allergens,
           catalog.tax_tags, catalog.tax_categories;
COMMIT;
