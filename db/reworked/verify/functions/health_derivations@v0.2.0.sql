-- Verify odyssey:functions/health_derivations on pg
SELECT 1/(health.bmr(70, 175, 30, 'male') = 1648.75)::int;
SELECT 1/(health.allergen_mask(ARRAY['milk', 'sesame']) = 257)::int;
SELECT 'health.derive_limits(uuid, text[], numeric, numeric)'::regprocedure;
