-- Deploy odyssey:schema/core to pg
-- requires: functions/vendor_partitions
-- requires: functions/tenant_rls
-- Tenancy and identity (PRD §2, §4.2): vendors, users (shadow of the identity provider),
-- user_links (membership + RBAC role), platform_admins (superadmin registry).
BEGIN;

CREATE TYPE core.vendor_status AS ENUM ('active', 'suspended', 'offboarded');
CREATE TYPE core.app_role AS ENUM ('superadmin', 'vendor_admin', 'vendor_operator', 'vendor_viewer');
CREATE TYPE core.link_status AS ENUM ('active', 'invited', 'disabled');

CREATE TABLE core.vendors (
    id               uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    name             text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    status           core.vendor_status NOT NULL DEFAULT 'active',
    settings_json    jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings_json) = 'object'),
    catalog_version  bigint      NOT NULL DEFAULT 1 CHECK (catalog_version >= 1),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN core.vendors.catalog_version IS 'Bumped by every catalog change; keys matches_cache.';
CREATE UNIQUE INDEX vendors_name_key ON core.vendors (lower(name));

CREATE TABLE core.users (
    id            text        NOT NULL PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
    email         text        NOT NULL CHECK (email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    display_name  text        CHECK (length(display_name) <= 200),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE core.users IS 'Shadow of identity-provider users (Appwrite user id or JWT sub).';
CREATE UNIQUE INDEX users_email_key ON core.users (lower(email));

CREATE TABLE core.user_links (
    id          uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    user_id     text        NOT NULL REFERENCES core.users (id) ON DELETE CASCADE,
    vendor_id   uuid        NOT NULL REFERENCES core.vendors (id) ON DELETE CASCADE,
    role        core.app_role NOT NULL CHECK (role <> 'superadmin'),
    status      core.link_status NOT NULL DEFAULT 'active',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_links_user_vendor_key UNIQUE (user_id, vendor_id)
);
COMMENT ON COLUMN core.user_links.role IS 'Vendor-scoped role; superadmin is granted through platform_admins only.';
CREATE INDEX user_links_vendor_idx ON core.user_links (vendor_id, user_id);

CREATE TABLE core.platform_admins (
    user_id     text        NOT NULL PRIMARY KEY REFERENCES core.users (id) ON DELETE CASCADE,
    granted_by  text        REFERENCES core.users (id),
    reason      text        NOT NULL CHECK (length(btrim(reason)) > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER vendors_touch BEFORE UPDATE ON core.vendors FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER users_touch BEFORE UPDATE ON core.users FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER user_links_touch BEFORE UPDATE ON core.user_links FOR EACH ROW EXECUTE FUNCTION app.touch_row();
CREATE TRIGGER platform_admins_touch BEFORE UPDATE ON core.platform_admins FOR EACH ROW EXECUTE FUNCTION app.touch_row();

-- Creating a vendor creates all its partitions, in the same transaction.
CREATE OR REPLACE FUNCTION core.vendor_created()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    PERFORM app.create_vendor_partitions(NEW.id);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION core.vendor_created() IS 'AFTER INSERT trigger on core.vendors: creates the vendor''s partitions.';
CREATE TRIGGER vendors_create_partitions AFTER INSERT ON core.vendors
    FOR EACH ROW EXECUTE FUNCTION core.vendor_created();

COMMIT;
