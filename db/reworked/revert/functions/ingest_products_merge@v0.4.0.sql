-- Revert odyssey:functions/ingest_products_merge from pg: back to the v0.1.0 definitions.
BEGIN;

CREATE OR REPLACE FUNCTION ingest.row_error_message(p_field text, p_code text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE p_code
        WHEN 'required' THEN p_field || ' is required'
        WHEN 'too_long' THEN p_field || ' is too long'
        WHEN 'bad_number' THEN p_field || ' is not a number'
        WHEN 'out_of_range' THEN p_field || ' is out of range'
        WHEN 'unknown_code' THEN p_field || ' is not a known code or label of the taxonomy'
        WHEN 'bad_value' THEN p_field || ' has an invalid value'
        WHEN 'bad_date' THEN p_field || ' is not a date (YYYY-MM-DD)'
        WHEN 'bad_json' THEN p_field || ' is not a JSON object'
        WHEN 'duplicate_in_file' THEN p_field || ' repeats an earlier row of this file (the first one was kept)'
        WHEN 'duplicate_barcode' THEN 'barcode already belongs to another product of this vendor'
        WHEN 'same_as_category' THEN 'sub_category equals category'
        WHEN 'dob_or_age' THEN 'dob or age is required'
        ELSE p_field || ': ' || p_code END
$$;
COMMENT ON FUNCTION ingest.row_error_message(text, text) IS 'The human message of a per-row ingestion error code.';

CREATE OR REPLACE FUNCTION ingest.staged_raw(p_row jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT jsonb_strip_nulls(p_row - ARRAY['vendor_id', 'job_id', 'row_no', 'raw']) $$;
COMMENT ON FUNCTION ingest.staged_raw(jsonb) IS 'The raw values of a staged row by field (as in the file after unit transform ops), for error reports.';

CREATE OR REPLACE FUNCTION ingest.taxonomy_id(p_table regclass, p_value text)
RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_value IS NULL OR btrim(p_value) = '' THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT id FROM %s WHERE code = $1 OR lower(label) = $2 ORDER BY (code = $1) DESC LIMIT 1', p_table)
       INTO v_id USING lower(btrim(p_value)), lower(btrim(p_value));
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION ingest.taxonomy_id(regclass, text) IS 'The id of a taxonomy entry by code or (case-insensitive) label; NULL when unknown.';

CREATE OR REPLACE FUNCTION ingest.merge_products(p_job_id uuid, p_vendor_id uuid, p_from bigint, p_to bigint)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    -- 1. Typed batch. Lists and codes are normalized once per distinct value of the batch.
    DROP TABLE IF EXISTS pg_temp.ingest_typed;
    CREATE TEMP TABLE ingest_typed ON COMMIT DROP AS
    WITH s AS (
        SELECT * FROM ingest.stg_products st
         WHERE st.vendor_id = p_vendor_id AND st.job_id = p_job_id AND st.row_no BETWEEN p_from AND p_to
    ), tax AS (
        SELECT d.kind, d.raw,
               ingest.taxonomy_id(CASE d.kind WHEN 'cat' THEN 'catalog.tax_categories' WHEN 'cui' THEN 'catalog.tax_cuisines'
                                              ELSE 'catalog.markets' END::regclass, d.raw) AS id
          FROM (SELECT DISTINCT 'cat' AS kind, category AS raw FROM s WHERE category IS NOT NULL
                UNION SELECT 'cat', sub_category FROM s WHERE sub_category IS NOT NULL
                UNION SELECT 'cui', cuisine FROM s WHERE cuisine IS NOT NULL
                UNION SELECT 'mkt', market FROM s WHERE market IS NOT NULL) AS d
    ), lists AS (
        SELECT d.kind, d.raw,
               CASE d.kind WHEN 'alg' THEN health.normalize_codes('allergen', ingest.split_list(d.raw))
                           WHEN 'tag' THEN health.normalize_codes('diet', ingest.split_list(d.raw))
                           ELSE ingest.split_list(d.raw) END AS arr
          FROM (SELECT DISTINCT 'alg' AS kind, allergens AS raw FROM s WHERE allergens IS NOT NULL
                UNION SELECT 'tag', dietary_tags FROM s WHERE dietary_tags IS NOT NULL
                UNION SELECT 'crt', certifications FROM s WHERE certifications IS NOT NULL
                UNION SELECT 'reg', regulatory_codes FROM s WHERE regulatory_codes IS NOT NULL) AS d
    ), t AS (
        SELECT s.row_no,
               nullif(btrim(s.external_id), '') AS external_id,
               nullif(btrim(s.name), '') AS name,
               coalesce(btrim(s.brand), '') AS brand,
               coalesce(s.description, '') AS description,
               s.category, cat.id AS category_id, s.sub_category, sub.id AS sub_category_id,
               s.cuisine, cui.id AS cuisine_id, s.market, mkt.id AS market_id,
               s.price, ingest.try_numeric(regexp_replace(s.price, '^\s*[$€£]\s*', '')) AS price_n,
               coalesce(upper(nullif(btrim(s.currency), '')), 'USD') AS currency,
               coalesce(lower(nullif(btrim(s.status), '')), 'active') AS status,
               nullif(regexp_replace(s.barcode, '[\s-]', '', 'g'), '') AS barcode,
               lower(nullif(btrim(s.gtin_type), '')) AS gtin_type,
               nullif(btrim(s.ingredients), '') AS ingredients, nullif(btrim(s.serving_size), '') AS serving_size,
               nullif(btrim(s.package_weight), '') AS package_weight,
               nullif(btrim(s.source_url), '') AS source_url,
               ARRAY[s.energy_kcal, s.protein_g, s.fat_g, s.saturated_fat_g, s.trans_fat_g, s.carbohydrates_g,
                     s.sugars_g, s.added_sugars_g, s.fiber_g, s.sodium_mg, s.cholesterol_mg, s.potassium_mg,
                     s.calcium_mg, s.iron_mg] AS nut_raw,
               coalesce(alg.arr, '{}') AS allergens, coalesce(tag.arr, '{}') AS dietary_tags,
               coalesce(crt.arr, '{}') AS certifications, coalesce(reg.arr, '{}') AS regulatory_codes
          FROM s
          LEFT JOIN tax cat ON cat.kind = 'cat' AND cat.raw = s.category
          LEFT JOIN tax sub ON sub.kind = 'cat' AND sub.raw = s.sub_category
          LEFT JOIN tax cui ON cui.kind = 'cui' AND cui.raw = s.cuisine
          LEFT JOIN tax mkt ON mkt.kind = 'mkt' AND mkt.raw = s.market
          LEFT JOIN lists alg ON alg.kind = 'alg' AND alg.raw = s.allergens
          LEFT JOIN lists tag ON tag.kind = 'tag' AND tag.raw = s.dietary_tags
          LEFT JOIN lists crt ON crt.kind = 'crt' AND crt.raw = s.certifications
          LEFT JOIN lists reg ON reg.kind = 'reg' AND reg.raw = s.regulatory_codes
    ), n AS (
        SELECT t.*, ARRAY(SELECT ingest.try_numeric(x) FROM unnest(t.nut_raw) WITH ORDINALITY AS u(x, i) ORDER BY i) AS nut
          FROM t
    )
    SELECT n.*,
           array_remove(ARRAY[
               CASE WHEN n.external_id IS NULL THEN 'external_id:required'
                    WHEN length(n.external_id) > 255 THEN 'external_id:too_long' END,
               CASE WHEN n.name IS NULL THEN 'name:required' WHEN length(n.name) > 500 THEN 'name:too_long' END,
               CASE WHEN length(n.brand) > 200 THEN 'brand:too_long' END,
               CASE WHEN length(n.description) > 20000 THEN 'description:too_long' END,
               CASE WHEN length(n.ingredients) > 20000 THEN 'ingredients:too_long' END,
               CASE WHEN nullif(btrim(n.category), '') IS NULL THEN 'category:required'
                    WHEN n.category_id IS NULL THEN 'category:unknown_code' END,
               CASE WHEN nullif(btrim(n.sub_category), '') IS NOT NULL AND n.sub_category_id IS NULL THEN 'sub_category:unknown_code'
                    WHEN n.sub_category_id = n.category_id THEN 'sub_category:same_as_category' END,
               CASE WHEN nullif(btrim(n.cuisine), '') IS NOT NULL AND n.cuisine_id IS NULL THEN 'cuisine:unknown_code' END,
               CASE WHEN nullif(btrim(n.market), '') IS NOT NULL AND n.market_id IS NULL THEN 'market:unknown_code' END,
               CASE WHEN nullif(btrim(n.price), '') IS NULL THEN 'price:required'
                    WHEN n.price_n IS NULL THEN 'price:bad_number'
                    WHEN n.price_n < 0 OR n.price_n >= 10000000000 THEN 'price:out_of_range' END,
               CASE WHEN n.currency !~ '^[A-Z]{3}$' THEN 'currency:bad_value' END,
               CASE WHEN n.status NOT IN ('active', 'inactive') THEN 'status:bad_value' END,
               CASE WHEN n.barcode !~ '^[0-9]{8,14}$' THEN 'barcode:bad_value' END,
               CASE WHEN n.gtin_type IS NOT NULL AND n.gtin_type NOT IN ('upc_a', 'upc_e', 'ean_8', 'ean_13', 'gtin_14', 'isbn')
                    THEN 'gtin_type:bad_value' END,
               CASE WHEN NOT catalog.is_quantity(n.serving_size) THEN 'serving_size:bad_value' END,
               CASE WHEN NOT catalog.is_quantity(n.package_weight) THEN 'package_weight:bad_value' END,
               CASE WHEN n.source_url !~ '^https?://[^\s]+$' THEN 'source_url:bad_value' END]
             || ARRAY(SELECT k || CASE WHEN n.nut[i] IS NULL THEN ':bad_number' ELSE ':out_of_range' END
                        FROM unnest(catalog.nutrient_keys()) WITH ORDINALITY AS u(k, i)
                       WHERE nullif(btrim(n.nut_raw[i]), '') IS NOT NULL
                         AND (n.nut[i] IS NULL OR n.nut[i] < 0
                              OR n.nut[i] > CASE WHEN k = 'energy_kcal' THEN 20000 WHEN k LIKE '%\_mg' THEN 1000000 ELSE 5000 END)),
             NULL) AS errs
      FROM n;
    ANALYZE pg_temp.ingest_typed;  -- a fresh temp table has no statistics: plans below need them

    -- A barcode that already belongs to another of the vendor's products.
    UPDATE pg_temp.ingest_typed t SET errs = t.errs || 'barcode:duplicate_barcode'::text
      FROM catalog.product_barcodes b
     WHERE t.barcode IS NOT NULL AND cardinality(t.errs) = 0
       AND b.vendor_id = p_vendor_id AND b.barcode = t.barcode
       AND b.product_id <> catalog.product_id(p_vendor_id, t.external_id);

    -- 2. Report, upsert, purge: shared with customers (ingest.apply_typed_batch, functions/ingest_customers_merge).
    RETURN ingest.apply_typed_batch(p_job_id, p_vendor_id, 'products', p_from, p_to);
END
$$;
COMMENT ON FUNCTION ingest.merge_products(uuid, uuid, bigint, bigint) IS
  'Validates staged product rows p_from..p_to of a job, reports the bad ones in ingestion_job_errors, upserts the good ones (unchanged rows skipped), records lineage and purges the batch from staging.';

CREATE OR REPLACE FUNCTION ingest.upsert_typed_products(p_job_id uuid, p_vendor_id uuid, p_row_no bigint)
RETURNS TABLE (inserted bigint, updated bigint)
LANGUAGE plpgsql
AS $$
BEGIN
    -- The valid rows of pg_temp.ingest_typed (or only row p_row_no) into catalog.products, plus a
    -- product_sources lineage row for each inserted or changed product.
    RETURN QUERY
    WITH w AS (
        INSERT INTO catalog.products AS p (id, vendor_id, external_id, barcode, gtin_type, name, brand, description,
               category_id, sub_category_id, cuisine_id, market_id, price, currency, status, ingredients,
               nutrition, serving_size, package_weight, dietary_tags, allergens, certifications,
               regulatory_codes, source_url)
        SELECT catalog.product_id(p_vendor_id, t.external_id), p_vendor_id, t.external_id, t.barcode,
               coalesce(t.gtin_type, CASE length(t.barcode) WHEN 8 THEN 'ean_8' WHEN 12 THEN 'upc_a'
                                                            WHEN 13 THEN 'ean_13' WHEN 14 THEN 'gtin_14' END)::catalog.gtin_type,
               t.name, t.brand, t.description, t.category_id, t.sub_category_id, t.cuisine_id, t.market_id,
               t.price_n, t.currency, t.status::catalog.product_status, t.ingredients,
               nullif(jsonb_strip_nulls(jsonb_build_object(
                   'energy_kcal', t.nut[1], 'protein_g', t.nut[2], 'fat_g', t.nut[3], 'saturated_fat_g', t.nut[4],
                   'trans_fat_g', t.nut[5], 'carbohydrates_g', t.nut[6], 'sugars_g', t.nut[7],
                   'added_sugars_g', t.nut[8], 'fiber_g', t.nut[9], 'sodium_mg', t.nut[10],
                   'cholesterol_mg', t.nut[11], 'potassium_mg', t.nut[12], 'calcium_mg', t.nut[13],
                   'iron_mg', t.nut[14])), '{}'),
               t.serving_size, t.package_weight, t.dietary_tags, t.allergens, t.certifications,
               t.regulatory_codes, t.source_url
          FROM pg_temp.ingest_typed t
         WHERE cardinality(t.errs) = 0 AND (p_row_no IS NULL OR t.row_no = p_row_no)
        ON CONFLICT (vendor_id, id) DO UPDATE
           SET barcode = EXCLUDED.barcode, gtin_type = EXCLUDED.gtin_type, name = EXCLUDED.name,
               brand = EXCLUDED.brand, description = EXCLUDED.description, category_id = EXCLUDED.category_id,
               sub_category_id = EXCLUDED.sub_category_id, cuisine_id = EXCLUDED.cuisine_id,
               market_id = EXCLUDED.market_id, price = EXCLUDED.price, currency = EXCLUDED.currency,
               status = EXCLUDED.status, ingredients = EXCLUDED.ingredients, nutrition = EXCLUDED.nutrition,
               serving_size = EXCLUDED.serving_size, package_weight = EXCLUDED.package_weight,
               dietary_tags = EXCLUDED.dietary_tags, allergens = EXCLUDED.allergens,
               certifications = EXCLUDED.certifications, regulatory_codes = EXCLUDED.regulatory_codes,
               source_url = EXCLUDED.source_url, soft_deleted_at = NULL
         WHERE p.soft_deleted_at IS NOT NULL
            OR (p.barcode, p.gtin_type, p.name, p.brand, p.description, p.category_id, p.sub_category_id,
                p.cuisine_id, p.market_id, p.price, p.currency, p.status, p.ingredients, p.nutrition,
                p.serving_size, p.package_weight, p.dietary_tags, p.allergens, p.certifications,
                p.regulatory_codes, p.source_url)
               IS DISTINCT FROM
               (EXCLUDED.barcode, EXCLUDED.gtin_type, EXCLUDED.name, EXCLUDED.brand, EXCLUDED.description,
                EXCLUDED.category_id, EXCLUDED.sub_category_id, EXCLUDED.cuisine_id, EXCLUDED.market_id,
                EXCLUDED.price, EXCLUDED.currency, EXCLUDED.status, EXCLUDED.ingredients, EXCLUDED.nutrition,
                EXCLUDED.serving_size, EXCLUDED.package_weight, EXCLUDED.dietary_tags, EXCLUDED.allergens,
                EXCLUDED.certifications, EXCLUDED.regulatory_codes, EXCLUDED.source_url)
        RETURNING p.id, (p.version = 1) AS is_new
    ), lineage AS (
        INSERT INTO catalog.product_sources (vendor_id, product_id, source, source_ref, ingestion_job_id)
        SELECT p_vendor_id, w.id, 'csv', 'job:' || p_job_id, p_job_id FROM w
    )
    SELECT count(*) FILTER (WHERE w.is_new), count(*) FILTER (WHERE NOT w.is_new) FROM w;
END
$$;
COMMENT ON FUNCTION ingest.upsert_typed_products(uuid, uuid, bigint) IS
  'Upsert of the valid typed rows of a merge batch (all, or one row for the row-by-row retry) keyed on external_id, unchanged rows skipped, with lineage.';

GRANT EXECUTE ON FUNCTION ingest.row_error_message(text, text), ingest.staged_raw(jsonb), ingest.taxonomy_id(regclass, text),
      ingest.merge_products(uuid, uuid, bigint, bigint), ingest.upsert_typed_products(uuid, uuid, bigint)
   TO odyssey_worker;

COMMIT;
