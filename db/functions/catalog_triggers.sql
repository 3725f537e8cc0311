-- Deploy odyssey:functions/catalog_triggers to pg
-- requires: functions/product_search_text
-- requires: schema/core
-- Row maintenance of products and customers: search_tsv, timestamps, version (optimistic
-- concurrency), created_by/updated_by; barcode uniqueness through catalog.product_barcodes;
-- the vendor's catalog_version bump on any catalog change.
BEGIN;

CREATE OR REPLACE FUNCTION catalog.products_before_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.search_tsv := catalog.product_tsv(NEW.name, NEW.brand, NEW.description);
        NEW.version := 1;
    ELSE
        IF NEW.name IS DISTINCT FROM OLD.name OR NEW.brand IS DISTINCT FROM OLD.brand
           OR NEW.description IS DISTINCT FROM OLD.description THEN
            NEW.search_tsv := catalog.product_tsv(NEW.name, NEW.brand, NEW.description);
        ELSE
            NEW.search_tsv := OLD.search_tsv;
        END IF;
        NEW.created_at := OLD.created_at;
        NEW.updated_at := pg_catalog.now();
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION catalog.products_before_write() IS 'BEFORE INSERT/UPDATE on products: search_tsv, timestamps, version.';

CREATE OR REPLACE FUNCTION crm.customers_before_write()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.search_tsv := crm.customer_tsv(NEW.full_name, NEW.email, NEW.external_id);
        NEW.version := 1;
        NEW.created_by := coalesce(NEW.created_by, app.current_user_id());
        NEW.updated_by := coalesce(NEW.updated_by, NEW.created_by);
    ELSE
        IF NEW.full_name IS DISTINCT FROM OLD.full_name OR NEW.email IS DISTINCT FROM OLD.email THEN
            NEW.search_tsv := crm.customer_tsv(NEW.full_name, NEW.email, NEW.external_id);
        ELSE
            NEW.search_tsv := OLD.search_tsv;
        END IF;
        NEW.created_at := OLD.created_at;
        NEW.created_by := OLD.created_by;
        NEW.updated_by := coalesce(app.current_user_id(), NEW.updated_by);
        NEW.updated_at := pg_catalog.now();
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION crm.customers_before_write() IS 'BEFORE INSERT/UPDATE on customers: search_tsv, timestamps, version, created_by/updated_by.';

CREATE OR REPLACE FUNCTION catalog.product_barcode_sync()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_owner uuid;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.barcode IS NOT NULL THEN
        DELETE FROM catalog.product_barcodes
         WHERE vendor_id = OLD.vendor_id AND barcode = OLD.barcode AND product_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.barcode IS NOT NULL THEN
        INSERT INTO catalog.product_barcodes (vendor_id, barcode, product_id)
        VALUES (NEW.vendor_id, NEW.barcode, NEW.id)
        ON CONFLICT (vendor_id, barcode) DO NOTHING;
        IF NOT FOUND THEN
            SELECT product_id INTO v_owner FROM catalog.product_barcodes
             WHERE vendor_id = NEW.vendor_id AND barcode = NEW.barcode;
            IF v_owner IS DISTINCT FROM NEW.id THEN
                RAISE EXCEPTION 'duplicate barcode % for this vendor', NEW.barcode
                      USING ERRCODE = 'unique_violation',
                            CONSTRAINT = 'product_barcodes_pkey',
                            DETAIL = pg_catalog.format('Barcode %s already belongs to product %s.', NEW.barcode, v_owner),
                            HINT = 'A barcode identifies one product of a vendor.';
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION catalog.product_barcode_sync() IS
  'AFTER row trigger on products: keeps catalog.product_barcodes, whose key (vendor_id, barcode) enforces barcode uniqueness across hash leaves.';

CREATE OR REPLACE FUNCTION catalog.bump_catalog_version()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.current_vendor_id();
BEGIN
    -- Catalog writes happen inside a tenant (RLS forces it for every role but a superuser); a
    -- session without one must not leave caches silently stale.
    IF v_vendor IS NULL THEN
        RAISE EXCEPTION 'catalog writes require the tenant setting odyssey.vendor_id'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'SELECT set_config(''odyssey.vendor_id'', <vendor uuid>, true) first.';
    END IF;
    UPDATE core.vendors SET catalog_version = catalog_version + 1 WHERE id = v_vendor;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION catalog.bump_catalog_version() IS
  'AFTER statement trigger on catalog tables: bumps the vendor''s catalog_version (invalidates matches_cache).';

COMMIT;
