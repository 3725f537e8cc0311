-- Deploy odyssey:schema/taxonomy to pg
-- requires: schema/core
-- Platform taxonomy (PRD §4.2, §5.8): categories, tags, allergens, cuisines, certifications, and
-- markets (products.market_id). All share one shape: a code (lower-case slug, unique), a label, an
-- optional parent of the same table, an active flag and timestamps. Global reference data: every
-- role reads it, only superadmins write it.
BEGIN;

DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['tax_categories', 'tax_tags', 'tax_allergens', 'tax_cuisines',
                                   'tax_certifications', 'markets']
    LOOP
        EXECUTE format($ddl$
            CREATE TABLE catalog.%1$I (
                id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                code        text        NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9]+([_-][a-z0-9]+)*$' AND length(code) <= 80),
                label       text        NOT NULL CHECK (length(btrim(label)) BETWEEN 1 AND 200),
                parent_id   bigint      REFERENCES catalog.%1$I (id) ON DELETE RESTRICT,
                active      boolean     NOT NULL DEFAULT true,
                created_at  timestamptz NOT NULL DEFAULT now(),
                updated_at  timestamptz NOT NULL DEFAULT now(),
                CHECK (parent_id IS DISTINCT FROM id)
            );
            CREATE INDEX %2$I ON catalog.%1$I (parent_id) WHERE parent_id IS NOT NULL;
            CREATE TRIGGER %3$I BEFORE UPDATE ON catalog.%1$I FOR EACH ROW EXECUTE FUNCTION app.touch_row();
            GRANT SELECT ON catalog.%1$I TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator,
                                            odyssey_vendor_viewer, odyssey_worker, odyssey_analyst;
            GRANT INSERT, UPDATE, DELETE ON catalog.%1$I TO odyssey_superadmin;
        $ddl$, v_table, v_table || '_parent_idx', v_table || '_touch');
    END LOOP;
END
$$;

COMMENT ON TABLE catalog.tax_categories IS 'Product categories (products.category_id, sub_category_id).';
COMMENT ON TABLE catalog.tax_tags IS 'Dietary and marketing tags (products.dietary_tags, customer diet_goals).';
COMMENT ON TABLE catalog.tax_allergens IS 'Allergen codes (products.allergens, avoid_allergens): the 9 US majors and more.';
COMMENT ON TABLE catalog.tax_cuisines IS 'Cuisines (products.cuisine_id).';
COMMENT ON TABLE catalog.tax_certifications IS 'Certifications (products.certifications).';
COMMENT ON TABLE catalog.markets IS 'Markets a product is sold in (products.market_id).';

COMMIT;
