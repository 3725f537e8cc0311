-- Deploy odyssey:schema/product_features to pg
-- requires: schema/matching
-- requires: policies/catalog
-- requires: functions/health_derivations
-- Matching features of eligible products (active, not soft-deleted), LIST(vendor_id), kept by
-- statement-level triggers on catalog.products. One row per product with tag '' (all products,
-- with the per-serving nutrient vector, tags and ingredient words) and one narrow row per
-- (product, dietary tag). The sorted lists these rows form -- by p0 ascending (per tag) and by fib
-- descending -- let matching.match_products_for_customer stop early with an exact guarantee
-- (threshold algorithm, see functions/matching):
--   p0  = sodium_mg/2300 + added_sugars_g/50 + saturated_fat_g/20   (reference daily values)
--   fib = fiber_g/28
--   amask = bit mask of the product's major allergens after value-synonym normalization.
BEGIN;

CREATE TABLE matching.product_features (
    vendor_id   uuid        NOT NULL,
    product_id  uuid        NOT NULL,
    tag         text        NOT NULL,
    p0          float8      NOT NULL,
    fib         float8      NOT NULL,
    amask       integer     NOT NULL,
    updated_at  timestamptz NOT NULL,
    nut         float8[],
    tags        text[],
    ingr        tsvector,
    CONSTRAINT product_features_pkey PRIMARY KEY (vendor_id, tag, product_id)
) PARTITION BY LIST (vendor_id);
COMMENT ON TABLE matching.product_features IS
  'Matching features of eligible products: tag '''' rows (all, with nut/tags/ingr) and one row per dietary tag; kept by triggers on catalog.products.';
COMMENT ON COLUMN matching.product_features.nut IS 'Per-serving nutrients in catalog.nutrient_keys() order; NULL element = not stated.';

CREATE INDEX product_features_p0_idx ON matching.product_features (vendor_id, tag, p0, product_id) INCLUDE (amask);
CREATE INDEX product_features_fib_idx ON matching.product_features (vendor_id, fib DESC, product_id) INCLUDE (amask) WHERE tag = '';
CREATE INDEX product_features_product_idx ON matching.product_features (vendor_id, product_id);

CREATE OR REPLACE FUNCTION matching.nutrient_vector(p_nutrition jsonb)
RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY(SELECT (p_nutrition ->> k)::float8
                   FROM pg_catalog.unnest(catalog.nutrient_keys()) WITH ORDINALITY AS u(k, i) ORDER BY i)
$$;
COMMENT ON FUNCTION matching.nutrient_vector(jsonb) IS 'Per-serving nutrition as a float8[] in catalog.nutrient_keys() order (NULL = not stated).';

CREATE OR REPLACE FUNCTION matching.product_p0(p_nut float8[])
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(p_nut[10], 0) / 2300 + coalesce(p_nut[8], 0) / 50 + coalesce(p_nut[4], 0) / 20 $$;
COMMENT ON FUNCTION matching.product_p0(float8[]) IS 'Budget-use key of a product against reference daily values (sodium 2300 mg, added sugars 50 g, saturated fat 20 g).';

CREATE OR REPLACE FUNCTION matching.product_allergen_mask(p_allergens text[])
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN p_allergens <@ health.allergen_codes() THEN health.allergen_mask(p_allergens)
                ELSE health.allergen_mask(health.normalize_codes('allergen', p_allergens)) END
$$;
COMMENT ON FUNCTION matching.product_allergen_mask(text[]) IS 'Major-allergen bit mask of a product''s allergen labels, after value-synonym normalization.';

CREATE OR REPLACE FUNCTION matching.product_features_sync()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM matching.product_features f
         USING old_rows o
         WHERE f.vendor_id = o.vendor_id AND f.product_id = o.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO matching.product_features (vendor_id, product_id, tag, p0, fib, amask, updated_at, nut, tags, ingr)
        SELECT n.vendor_id, n.id, t.tag, matching.product_p0(v.nut), coalesce(v.nut[9], 0) / 28,
               matching.product_allergen_mask(n.allergens), n.updated_at,
               CASE WHEN t.tag = '' THEN v.nut END,
               CASE WHEN t.tag = '' THEN n.dietary_tags END,
               CASE WHEN t.tag = '' AND n.ingredients IS NOT NULL THEN pg_catalog.to_tsvector('simple'::regconfig, n.ingredients) END
          FROM new_rows n
          CROSS JOIN LATERAL (SELECT matching.nutrient_vector(n.nutrition) AS nut) v
          CROSS JOIN LATERAL (SELECT '' AS tag UNION SELECT DISTINCT x FROM pg_catalog.unnest(n.dietary_tags) x WHERE x <> '') t
         WHERE n.status = 'active' AND n.soft_deleted_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION matching.product_features_sync() IS
  'AFTER statement trigger on catalog.products (transition tables): keeps matching.product_features for eligible products.';

CREATE TRIGGER products_features_insert AFTER INSERT ON catalog.products
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION matching.product_features_sync();
CREATE TRIGGER products_features_update AFTER UPDATE ON catalog.products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION matching.product_features_sync();
CREATE TRIGGER products_features_delete AFTER DELETE ON catalog.products
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION matching.product_features_sync();

SELECT app.register_vendor_partitioned('matching.product_features', 14);

GRANT SELECT ON matching.product_features
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_worker;
SELECT app.enable_tenant_rls('matching.product_features');
GRANT EXECUTE ON FUNCTION matching.nutrient_vector(jsonb), matching.product_p0(float8[]),
      matching.product_allergen_mask(text[])
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer, odyssey_worker;

-- Backfill existing catalogs (each inside its tenant: RLS is forced for the owner too).
DO $$
DECLARE
    v_vendor uuid;
BEGIN
    FOR v_vendor IN SELECT id FROM core.vendors WHERE status <> 'offboarded' LOOP
        PERFORM set_config('odyssey.vendor_id', v_vendor::text, true);
        INSERT INTO matching.product_features (vendor_id, product_id, tag, p0, fib, amask, updated_at, nut, tags, ingr)
        SELECT n.vendor_id, n.id, t.tag, matching.product_p0(v.nut), coalesce(v.nut[9], 0) / 28,
               matching.product_allergen_mask(n.allergens), n.updated_at,
               CASE WHEN t.tag = '' THEN v.nut END, CASE WHEN t.tag = '' THEN n.dietary_tags END,
               CASE WHEN t.tag = '' AND n.ingredients IS NOT NULL THEN to_tsvector('simple'::regconfig, n.ingredients) END
          FROM catalog.products n
          CROSS JOIN LATERAL (SELECT matching.nutrient_vector(n.nutrition) AS nut) v
          CROSS JOIN LATERAL (SELECT '' AS tag UNION SELECT DISTINCT x FROM unnest(n.dietary_tags) x WHERE x <> '') t
         WHERE n.vendor_id = v_vendor AND n.status = 'active' AND n.soft_deleted_at IS NULL;
    END LOOP;
    PERFORM set_config('odyssey.vendor_id', '', true);
END
$$;

COMMIT;
