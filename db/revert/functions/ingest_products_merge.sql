-- Revert odyssey:functions/ingest_products_merge from pg: the @v0.4.0 deploy again, and the image_url helper dropped.
-- requires: functions/ingest_transforms
-- requires: functions/catalog_triggers
-- requires: schema/ingest_pipeline
-- Products mode of CSV ingestion: type and validate one batch of staged rows, report every bad
-- row in ingestion_job_errors (row number, field, code, message, raw values) and merge the good
-- ones into the vendor's live partitions keyed on external_id, skipping rows that did not change
-- (PRD §6.2, §9). The row rules, field by field:
--   external_id  required, <= 255 chars          name         required, <= 500 chars
--   brand        <= 200 (empty when absent)      description  <= 20,000 (empty when absent)
--   category     required: a category code or label; sub_category/cuisine/market: known when given
--   price        required number >= 0 ("$3.99", "3,99" understood); currency ISO 4217 (default USD)
--   status       active | inactive (default active)
--   barcode      8-14 digits (spaces and '-' ignored), not another product's; gtin_type known or
--                inferred from the length (8 ean_8, 12 upc_a, 13 ean_13, 14 gtin_14)
--   nutrients    numbers >= 0, at most 20,000 kcal, 1,000,000 mg, 5,000 g (catalog.nutrition_is_valid's bounds)
--   serving_size, package_weight  "<number> <unit>" (catalog.is_quantity); source_url http(s)
--   allergens    value-synonym normalized ("whey" -> milk); dietary_tags diet-normalized; lists split on ; , |
-- Duplicates inside a file are found before the merge (ingest.job_validate): the first row wins.
-- v0.1.0 -> this: the typing step has no per-row subqueries on valid rows; rows whose product
-- already holds exactly their values are dropped before the upsert, so that an unchanged
-- re-ingest runs no row trigger (search vectors) and writes nothing.
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
               -- a plain column, so that joins on it can be index conditions under RLS (a join on
               -- the non-leakproof product_id() call is evaluated only above the policy's filter)
               catalog.product_id(p_vendor_id, nullif(btrim(s.external_id), '')) AS id,
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
               ARRAY[ingest.try_numeric(s.energy_kcal), ingest.try_numeric(s.protein_g), ingest.try_numeric(s.fat_g),
                     ingest.try_numeric(s.saturated_fat_g), ingest.try_numeric(s.trans_fat_g),
                     ingest.try_numeric(s.carbohydrates_g), ingest.try_numeric(s.sugars_g),
                     ingest.try_numeric(s.added_sugars_g), ingest.try_numeric(s.fiber_g), ingest.try_numeric(s.sodium_mg),
                     ingest.try_numeric(s.cholesterol_mg), ingest.try_numeric(s.potassium_mg),
                     ingest.try_numeric(s.calcium_mg), ingest.try_numeric(s.iron_mg)] AS nut,
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
        SELECT t.* FROM t OFFSET 0  -- a fence: each row's values computed once, not once per reference below
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
             || CASE WHEN -- the common case, cheaply: every given nutrient a number within its bounds
                          cardinality(array_remove(n.nut, NULL)) = cardinality(array_remove(array_remove(n.nut_raw, NULL), ''))
                          AND 0 <= ALL (array_remove(n.nut, NULL)) AND coalesce(n.nut[1], 0) <= 20000
                          AND coalesce(greatest(n.nut[2], n.nut[3], n.nut[4], n.nut[5], n.nut[6], n.nut[7], n.nut[8], n.nut[9]), 0) <= 5000
                          AND coalesce(greatest(n.nut[10], n.nut[11], n.nut[12], n.nut[13], n.nut[14]), 0) <= 1000000
                     THEN '{}'::text[]
                     ELSE ARRAY(SELECT k || CASE WHEN n.nut[i] IS NULL THEN ':bad_number' ELSE ':out_of_range' END
                                  FROM unnest(catalog.nutrient_keys()) WITH ORDINALITY AS u(k, i)
                                 WHERE nullif(btrim(n.nut_raw[i]), '') IS NOT NULL
                                   AND (n.nut[i] IS NULL OR n.nut[i] < 0
                                        OR n.nut[i] > CASE WHEN k = 'energy_kcal' THEN 20000 WHEN k LIKE '%\_mg' THEN 1000000 ELSE 5000 END)) END,
             NULL) AS errs
      FROM n;
    ANALYZE pg_temp.ingest_typed;  -- a fresh temp table has no statistics: plans below need them

    -- A barcode that already belongs to another of the vendor's products.
    UPDATE pg_temp.ingest_typed t SET errs = t.errs || 'barcode:duplicate_barcode'::text
      FROM catalog.product_barcodes b
     WHERE t.barcode IS NOT NULL AND t.errs = '{}'
       AND b.vendor_id = p_vendor_id AND b.barcode = t.barcode
       AND b.product_id <> t.id;

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
DECLARE
    v_hashjoin  text := current_setting('enable_hashjoin');
    v_mergejoin text := current_setting('enable_mergejoin');
    v_seqscan   text := current_setting('enable_seqscan');
BEGIN
    -- The valid rows of pg_temp.ingest_typed (or only row p_row_no) into catalog.products, plus a
    -- product_sources lineage row for each inserted or changed product. Two statements:
    --
    -- 1. The rows to write, in their final column types, into pg_temp.ingest_upsert: every valid row
    --    but those whose live product already holds exactly these values. That probe must be one
    --    primary-key lookup per row, and statistics cannot tell the planner so (a catalog growing
    --    while it is merged, a fresh vendor's empty leaves): as a hash join it read the vendor's
    --    whole catalog for every batch; as a nested loop over a "small" leaf's seq scan it read,
    --    for every row, every page the merge itself had filled. So hash and merge joins and seq
    --    scans are off for this one statement, and restored before the next (the rollback of the
    --    caller's subtransaction restores them should it raise).
    --    (The valid rows are `errs = '{}'`, not `cardinality(errs) = 0`: the planner estimates an
    --    equality from ingest_typed's statistics, a function call at 0.5 % of the rows, and at 15
    --    rows of 3,000 it chose to materialize the vendor's whole catalog as the inner side.)
    -- 2. The upsert from that table, planned normally: the statement triggers it fires (barcodes,
    --    matching features) join their transition tables, which need hash joins.
    IF to_regclass('pg_temp.ingest_upsert') IS NULL THEN
        CREATE TEMP TABLE ingest_upsert ON COMMIT DROP AS
        SELECT id, external_id, barcode, gtin_type, name, brand, description, category_id, sub_category_id,
               cuisine_id, market_id, price, currency, status, ingredients, nutrition, serving_size,
               package_weight, dietary_tags, allergens, certifications, regulatory_codes, source_url
          FROM catalog.products WITH NO DATA;
    ELSE
        DELETE FROM pg_temp.ingest_upsert;
    END IF;

    PERFORM set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
            set_config('enable_seqscan', 'off', true);
    INSERT INTO pg_temp.ingest_upsert
    WITH c AS (
        SELECT t.id, t.external_id, t.barcode,
               coalesce(t.gtin_type, CASE length(t.barcode) WHEN 8 THEN 'ean_8' WHEN 12 THEN 'upc_a'
                                                            WHEN 13 THEN 'ean_13' WHEN 14 THEN 'gtin_14' END)::catalog.gtin_type AS gtin_type,
               t.name, t.brand, t.description, t.category_id, t.sub_category_id, t.cuisine_id, t.market_id,
               t.price_n::numeric(12,2) AS price, t.currency, t.status::catalog.product_status AS status, t.ingredients,
               nullif(jsonb_strip_nulls(jsonb_build_object(
                   'energy_kcal', t.nut[1], 'protein_g', t.nut[2], 'fat_g', t.nut[3], 'saturated_fat_g', t.nut[4],
                   'trans_fat_g', t.nut[5], 'carbohydrates_g', t.nut[6], 'sugars_g', t.nut[7],
                   'added_sugars_g', t.nut[8], 'fiber_g', t.nut[9], 'sodium_mg', t.nut[10],
                   'cholesterol_mg', t.nut[11], 'potassium_mg', t.nut[12], 'calcium_mg', t.nut[13],
                   'iron_mg', t.nut[14])), '{}') AS nutrition,
               t.serving_size, t.package_weight, t.dietary_tags, t.allergens, t.certifications,
               t.regulatory_codes, t.source_url
          FROM pg_temp.ingest_typed t
         WHERE t.errs = '{}' AND (p_row_no IS NULL OR t.row_no = p_row_no)
    )
    -- Rows whose live product already holds exactly these values are left alone: no row trigger,
    -- no new version, no lineage.
    SELECT c.* FROM c
    WHERE NOT EXISTS (
          SELECT FROM catalog.products p
           WHERE p.vendor_id = p_vendor_id AND p.id = c.id AND p.soft_deleted_at IS NULL
             AND (p.barcode, p.gtin_type, p.name, p.brand, p.description, p.category_id, p.sub_category_id,
                  p.cuisine_id, p.market_id, p.price, p.currency, p.status, p.ingredients, p.nutrition,
                  p.serving_size, p.package_weight, p.dietary_tags, p.allergens, p.certifications,
                  p.regulatory_codes, p.source_url)
                 IS NOT DISTINCT FROM
                 (c.barcode, c.gtin_type, c.name, c.brand, c.description, c.category_id, c.sub_category_id,
                  c.cuisine_id, c.market_id, c.price, c.currency, c.status, c.ingredients, c.nutrition,
                  c.serving_size, c.package_weight, c.dietary_tags, c.allergens, c.certifications,
                  c.regulatory_codes, c.source_url));
    PERFORM set_config('enable_hashjoin', v_hashjoin, true), set_config('enable_mergejoin', v_mergejoin, true),
            set_config('enable_seqscan', v_seqscan, true);

    RETURN QUERY
    WITH w AS (
        INSERT INTO catalog.products AS p (id, vendor_id, external_id, barcode, gtin_type, name, brand, description,
               category_id, sub_category_id, cuisine_id, market_id, price, currency, status, ingredients,
               nutrition, serving_size, package_weight, dietary_tags, allergens, certifications,
               regulatory_codes, source_url)
        SELECT ch.id, p_vendor_id, ch.external_id, ch.barcode, ch.gtin_type, ch.name, ch.brand, ch.description,
               ch.category_id, ch.sub_category_id, ch.cuisine_id, ch.market_id, ch.price, ch.currency, ch.status,
               ch.ingredients, ch.nutrition, ch.serving_size, ch.package_weight, ch.dietary_tags, ch.allergens,
               ch.certifications, ch.regulatory_codes, ch.source_url
          FROM pg_temp.ingest_upsert ch
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

DROP FUNCTION IF EXISTS ingest.image_urls(text);

COMMIT;
