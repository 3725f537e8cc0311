-- Revert odyssey:policies/vendors_machinery from pg
BEGIN;

DROP POLICY vendors_machinery ON core.vendors;

COMMIT;
