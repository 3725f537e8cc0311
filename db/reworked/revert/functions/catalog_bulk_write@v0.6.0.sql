-- Revert odyssey:functions/catalog_bulk_write from pg
-- Restores the definitions of schema/product_features and the row-level barcode triggers of
-- schema/catalog (catalog.product_barcode_sync, functions/catalog_triggers).
BEGIN;

DROP TRIGGER products_barcodes_insert ON catalog.products;
DROP TRIGGER products_barcodes_update ON catalog.products;
DROP FUNCTION catalog.product_barcodes_sync();
CREATE TRIGGER products_barcode_insert AFTER INSERT ON catalog.products
    FOR EACH ROW WHEN (NEW.barcode IS NOT NULL) EXECUTE FUNCTION catalog.product_barcode_sync();
CREATE TRIGGER products_barcode_update AFTER UPDATE OF barcode ON catalog.products
    FOR EACH ROW WHEN (OLD.barcode IS DISTINCT FROM NEW.barcode) EXECUTE FUNCTION catalog.product_barcode_sync();

CREATE OR REPLACE FUNCTION matching.nutrient_vector(p_nutrition jsonb)
RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY(SELECT (p_nutrition ->> k)::float8
                   FROM pg_catalog.unnest(catalog.nutrient_keys()) WITH ORDINALITY AS u(k, i) ORDER BY i)
$$;
COMMENT ON FUNCTION matching.nutrient_vector(jsonb) IS 'Per-serving nutrition as a float8[] in catalog.nutrient_keys() order (NULL = not stated).';

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
        INSERT INTO matching.product_features (vendor_id, product_id, tag, p0, fib, amask, p0f, updated_at, tmask, nut,
                                               ingr, external_id, name, brand)
        SELECT n.vendor_id, n.id, t.tag, v.p0, v.fib, matching.product_allergen_mask(n.allergens), v.p0 - v.fib,
               n.updated_at, matching.tag_mask(n.dietary_tags),
               CASE WHEN t.tag = '' THEN v.nut END,
               CASE WHEN t.tag = '' AND n.ingredients IS NOT NULL THEN pg_catalog.to_tsvector('simple'::regconfig, n.ingredients) END,
               CASE WHEN t.tag = '' THEN n.external_id END, CASE WHEN t.tag = '' THEN n.name END,
               CASE WHEN t.tag = '' THEN n.brand END
          FROM new_rows n
          CROSS JOIN LATERAL (SELECT x.nut, matching.product_p0(x.nut) AS p0, coalesce(x.nut[9], 0) / 28 AS fib
                                FROM (SELECT matching.nutrient_vector(n.nutrition) AS nut) x) v
          CROSS JOIN LATERAL (SELECT '' AS tag UNION SELECT DISTINCT x FROM pg_catalog.unnest(n.dietary_tags) x WHERE x <> '') t
         WHERE n.status = 'active' AND n.soft_deleted_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION matching.product_features_sync() IS
  'AFTER statement trigger on catalog.products (transition tables): keeps matching.product_features for eligible products.';


COMMIT;
