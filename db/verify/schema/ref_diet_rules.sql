-- Verify odyssey:schema/ref_diet_rules on pg
-- Runs as the owner, subject to forced RLS: platform templates are readable by everyone.
SELECT 1/(count(*) = 6)::int FROM health.diet_rules
 WHERE vendor_id IS NULL AND active
   AND condition_code IN ('general', 'type2_diabetes', 'hypertension', 'heart_disease', 'ckd', 'celiac');
