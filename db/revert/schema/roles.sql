-- Revert odyssey:schema/roles from pg
BEGIN;
DO $$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['odyssey_gateway', 'odyssey_worker', 'odyssey_analyst',
                                  'odyssey_superadmin', 'odyssey_vendor_admin',
                                  'odyssey_vendor_operator', 'odyssey_vendor_viewer']
    LOOP
        IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), v_role);
            EXECUTE format('DROP ROLE %I', v_role);
        END IF;
    END LOOP;
END
$$;
COMMIT;
