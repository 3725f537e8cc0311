-- Revert odyssey:schema/health from pg
BEGIN;
DELETE FROM app.vendor_partitioned_tables WHERE parent = 'health.customer_health_profiles'::regclass;
DROP TABLE health.diet_rules, health.customer_health_profiles;
DROP TYPE health.activity_level;
COMMIT;
