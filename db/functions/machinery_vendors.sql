-- Deploy odyssey:functions/machinery_vendors to pg
-- requires: policies/vendors_machinery
-- The list of every vendor, for the owner's machinery that works vendor by vendor (the expired-
-- upload sweep, the outbox purge, the allergen-mask refresh): read through the owner-only policy
-- vendors_machinery (odyssey.queue_scope = 'machinery'), for this one statement, the caller's
-- scope restored. Its callers are the owner's definer-rights functions; no other role may call it.
BEGIN;

CREATE OR REPLACE FUNCTION app.machinery_vendor_ids(p_include_offboarded boolean DEFAULT true)
RETURNS uuid[]
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope   text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_vendors uuid[];
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    v_vendors := ARRAY(SELECT v.id FROM core.vendors v
                        WHERE p_include_offboarded OR v.status <> 'offboarded' ORDER BY v.id);
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN v_vendors;
END
$$;
COMMENT ON FUNCTION app.machinery_vendor_ids(boolean) IS
  'Every vendor id (optionally without offboarded ones), for the owner''s vendor-by-vendor machinery; read through the machinery policy.';
REVOKE EXECUTE ON FUNCTION app.machinery_vendor_ids(boolean) FROM PUBLIC;

COMMIT;
