-- Deploy odyssey:functions/tenant_rls to pg
-- requires: functions/app_context
-- One way to make a table tenant-isolated: RLS enabled AND forced (the owner obeys it too), and a
-- policy that lets a row be seen, inserted or moved only inside the transaction's vendor. The
-- helper is wrapped in a scalar subquery so it is evaluated once per statement (an InitPlan), and
-- the policy column must be the leading column of an index on every table that uses this.
BEGIN;

CREATE OR REPLACE FUNCTION app.enable_tenant_rls(p_table regclass, p_column name DEFAULT 'vendor_id')
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE pg_catalog.format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE pg_catalog.format('DROP POLICY IF EXISTS tenant_isolation ON %s', p_table);
    EXECUTE pg_catalog.format(
        'CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR ALL TO PUBLIC '
        'USING (%I = (SELECT app.current_vendor_id())) WITH CHECK (%I = (SELECT app.current_vendor_id()))',
        p_table, p_column, p_column);
END
$$;
COMMENT ON FUNCTION app.enable_tenant_rls(regclass, name) IS
  'Deploy-time helper: ENABLE + FORCE RLS and the tenant_isolation policy (column = current vendor) on a table.';

CREATE OR REPLACE FUNCTION app.enable_analyst_read(p_table regclass)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE pg_catalog.format('DROP POLICY IF EXISTS analyst_read ON %s', p_table);
    EXECUTE pg_catalog.format('CREATE POLICY analyst_read ON %s AS PERMISSIVE FOR SELECT TO odyssey_analyst USING (true)', p_table);
    EXECUTE pg_catalog.format('GRANT SELECT ON %s TO odyssey_analyst', p_table);
END
$$;
COMMENT ON FUNCTION app.enable_analyst_read(regclass) IS
  'Deploy-time helper: lets the read-only analyst role read every vendor''s rows of a non-PHI table.';

CREATE OR REPLACE FUNCTION app.disable_tenant_rls(p_table regclass)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_policy name;
BEGIN
    FOR v_policy IN SELECT polname FROM pg_catalog.pg_policy WHERE polrelid = p_table LOOP
        EXECUTE pg_catalog.format('DROP POLICY %I ON %s', v_policy, p_table);
    END LOOP;
    EXECUTE pg_catalog.format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', p_table);
    EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM odyssey_superadmin, odyssey_vendor_admin, '
                              'odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker, odyssey_analyst', p_table);
END
$$;
COMMENT ON FUNCTION app.disable_tenant_rls(regclass) IS
  'Revert-time helper: drops every policy of a table, disables RLS and revokes the Odyssey roles'' privileges.';

COMMIT;
