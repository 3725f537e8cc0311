-- Revert odyssey:schema/ref_diet_rules from pg
-- Deletes exactly the seeded templates (by their fixed ids); the owner acts as superadmin for this
-- transaction only (see the deploy script).
BEGIN;
SET LOCAL odyssey.role = 'superadmin';
DELETE FROM health.diet_rules
 WHERE vendor_id IS NULL
   AND id IN ('d1e70000-0000-4000-8000-000000000001', 'd1e70000-0000-4000-8000-000000000002',
              'd1e70000-0000-4000-8000-000000000003', 'd1e70000-0000-4000-8000-000000000004',
              'd1e70000-0000-4000-8000-000000000005', 'd1e70000-0000-4000-8000-000000000006');
COMMIT;
