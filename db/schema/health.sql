-- Deploy odyssey:schema/health to pg
-- requires: schema/customers
-- Health (PRD §4.2, Appendix A §11.3): one profile per customer, LIST(vendor_id); diet rules per
-- condition (vendor_id NULL = the platform default template, a vendor's active rule overrides it).
-- PHI: vendor_viewer has no privilege on these tables at all.
BEGIN;

CREATE TYPE health.activity_level AS ENUM ('sedentary', 'light', 'moderate', 'very', 'extra');

CREATE TABLE health.customer_health_profiles (
    vendor_id        uuid        NOT NULL,
    customer_id      uuid        NOT NULL,
    height_cm        numeric(5,2) NOT NULL CHECK (height_cm BETWEEN 40 AND 272),
    weight_kg        numeric(6,2) NOT NULL CHECK (weight_kg BETWEEN 2 AND 650),
    age              integer     NOT NULL CHECK (age BETWEEN 1 AND 125),
    gender           crm.gender  NOT NULL,
    activity_level   health.activity_level NOT NULL,
    conditions       text[]      NOT NULL DEFAULT '{}',
    diet_goals       text[]      NOT NULL DEFAULT '{}',
    macro_targets    jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(macro_targets) = 'object'),
    avoid_allergens  text[]      NOT NULL DEFAULT '{}',
    bmi              numeric(5,2),
    bmr              numeric(8,2),
    bmr_estimated    boolean     NOT NULL DEFAULT false,
    tdee_cached      numeric(8,2),
    derived_limits   jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(derived_limits) = 'object'),
    version          integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_by       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_health_profiles_pkey PRIMARY KEY (vendor_id, customer_id)
) PARTITION BY LIST (vendor_id);
COMMENT ON COLUMN health.customer_health_profiles.bmr_estimated IS
  'True when gender is other/unspecified: BMR used the Mifflin-St Jeor midpoint (s = -78).';

CREATE TABLE health.diet_rules (
    id              uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    vendor_id       uuid        REFERENCES core.vendors (id) ON DELETE CASCADE,
    condition_code  text        NOT NULL CHECK (condition_code ~ '^[a-z0-9]+([_-][a-z0-9]+)*$'),
    policy          jsonb       NOT NULL CHECK (jsonb_typeof(policy) = 'object'),
    active          boolean     NOT NULL DEFAULT true,
    version         integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE health.diet_rules IS 'Diet rules per condition; vendor_id NULL is the platform default template.';
-- At most one active rule per (vendor or platform, condition).
CREATE UNIQUE INDEX diet_rules_one_active ON health.diet_rules
    (coalesce(vendor_id, '00000000-0000-0000-0000-000000000000'::uuid), condition_code) WHERE active;
CREATE INDEX diet_rules_vendor_idx ON health.diet_rules (vendor_id, condition_code);

CREATE TRIGGER customer_health_profiles_touch BEFORE UPDATE ON health.customer_health_profiles
    FOR EACH ROW EXECUTE FUNCTION app.touch_versioned_row();
CREATE TRIGGER diet_rules_touch BEFORE UPDATE ON health.diet_rules FOR EACH ROW EXECUTE FUNCTION app.touch_row();

SELECT app.register_vendor_partitioned('health.customer_health_profiles', 30);
-- Per-vendor foreign keys (app.vendor_partition_foreign_keys), ON DELETE CASCADE.
SELECT app.register_vendor_foreign_key('health.customer_health_profiles', '{vendor_id,customer_id}', 'crm.customers', '{vendor_id,id}');

COMMIT;
