-- Verify odyssey:schema/health on pg
SELECT vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level, conditions, diet_goals,
       macro_targets, avoid_allergens, bmi, bmr, bmr_estimated, tdee_cached, derived_limits, version,
       updated_by, created_at, updated_at
  FROM health.customer_health_profiles WHERE false;
SELECT id, vendor_id, condition_code, policy, active, version FROM health.diet_rules WHERE false;
