-- Verify odyssey:functions/catalog_checks on pg
SELECT 1/(catalog.nutrition_is_valid('{"sodium_mg": 120}') AND NOT catalog.nutrition_is_valid('{"sodium": -1}'))::int;
SELECT 1/(catalog.is_quantity('30 g') AND NOT catalog.is_quantity('lots'))::int;
