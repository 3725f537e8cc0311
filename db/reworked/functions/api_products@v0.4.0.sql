-- Deploy odyssey:functions/api_products to pg
-- requires: functions/api_gateway
-- requires: policies/catalog
-- requires: functions/search
-- Products endpoints (PRD §5.2). SECURITY INVOKER: they run as the request's role, so grants and
-- the tenant RLS policies decide what is seen and written; each returns the response body.
BEGIN;

-- (EXECUTE on the helpers that row checks and triggers call: policies/function_grants.)

CREATE OR REPLACE FUNCTION app.field_errors_of_items(p_items jsonb, p_required text[], p_allowed text[],
                                                     p_max integer)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
      WHEN p_items IS NULL OR pg_catalog.jsonb_typeof(p_items) <> 'array' THEN
        '[{"field": "items", "code": "type", "message": "must be an array of objects"}]'::jsonb
      WHEN pg_catalog.jsonb_array_length(p_items) NOT BETWEEN 1 AND p_max THEN
        pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('field', 'items', 'code', 'size',
            'message', pg_catalog.format('between 1 and %s items per call', p_max)))
      ELSE (
        SELECT pg_catalog.jsonb_agg(e ORDER BY e ->> 'field') FROM (
            SELECT pg_catalog.jsonb_build_object('field', pg_catalog.format('items[%s]', i - 1), 'code', 'type',
                                                 'message', 'must be an object') AS e
              FROM pg_catalog.jsonb_array_elements(p_items) WITH ORDINALITY AS t (v, i)
             WHERE pg_catalog.jsonb_typeof(v) <> 'object'
            UNION ALL
            SELECT pg_catalog.jsonb_build_object('field', pg_catalog.format('items[%s].%s', i - 1, r), 'code', 'required',
                                                 'message', 'is required')
              FROM pg_catalog.jsonb_array_elements(p_items) WITH ORDINALITY AS t (v, i), pg_catalog.unnest(p_required) AS r
             WHERE pg_catalog.jsonb_typeof(v) = 'object' AND coalesce(pg_catalog.jsonb_typeof(v -> r), 'null') = 'null'
            UNION ALL
            SELECT pg_catalog.jsonb_build_object('field', pg_catalog.format('items[%s].%s', i - 1, k), 'code', 'unknown_field',
                                                 'message', 'is not a writable field')
              FROM pg_catalog.jsonb_array_elements(p_items) WITH ORDINALITY AS t (v, i),
                   LATERAL pg_catalog.jsonb_object_keys(CASE WHEN pg_catalog.jsonb_typeof(v) = 'object' THEN v ELSE '{}' END) AS k
             WHERE k <> ALL (p_allowed)
            UNION ALL
            SELECT pg_catalog.jsonb_build_object('field', pg_catalog.format('items[%s].external_id', d.i - 1), 'code', 'duplicate',
                                                 'message', 'external_id appears more than once in this batch')
              FROM (SELECT i, pg_catalog.count(*) OVER (PARTITION BY v ->> 'external_id') AS n
                      FROM pg_catalog.jsonb_array_elements(p_items) WITH ORDINALITY AS t (v, i)
                     WHERE pg_catalog.jsonb_typeof(v) = 'object' AND v ? 'external_id') d
             WHERE d.n > 1
            LIMIT 200) x)
    END
$$;
COMMENT ON FUNCTION app.field_errors_of_items(jsonb, text[], text[], integer) IS
  'Field errors of a batch (array of objects): size, required and unknown fields, duplicate external_id; NULL when none.';

CREATE OR REPLACE FUNCTION app.field_errors_of_patch(p_patch jsonb, p_allowed text[])
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
      WHEN p_patch IS NULL OR pg_catalog.jsonb_typeof(p_patch) <> 'object' THEN
        '[{"field": "", "code": "type", "message": "the body must be a JSON object"}]'::jsonb
      ELSE (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('field', k, 'code', 'not_writable',
                                                                      'message', 'is not a writable field') ORDER BY k)
              FROM pg_catalog.jsonb_object_keys(p_patch) AS k WHERE k <> ALL (p_allowed))
    END
$$;
COMMENT ON FUNCTION app.field_errors_of_patch(jsonb, text[]) IS 'Field errors of a PATCH body: not an object, or keys that are not writable; NULL when none.';

CREATE OR REPLACE FUNCTION app.product_json(p catalog.products)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$ SELECT pg_catalog.to_jsonb(p) - 'search_tsv' - 'name_tsv' $$;
COMMENT ON FUNCTION app.product_json(catalog.products) IS 'The API representation of a product row.';

CREATE OR REPLACE FUNCTION api.list_products(p_q text DEFAULT NULL, p_brand text DEFAULT NULL,
                                             p_category_id bigint DEFAULT NULL, p_tags_any text[] DEFAULT NULL,
                                             p_allergens_none text[] DEFAULT NULL,
                                             p_updated_after timestamptz DEFAULT NULL,
                                             p_sort text DEFAULT NULL, p_cursor text DEFAULT NULL,
                                             p_limit integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor  uuid := app.require_vendor();
    v_limit   integer := app.page_limit(p_limit);
    v_sort    text := coalesce(p_sort, '-updated_at');
    v_filters jsonb;
    v_page    jsonb;
BEGIN
    IF v_sort NOT IN ('-updated_at', 'relevance') THEN
        PERFORM app.raise_problem('OD422', 'unknown sort',
            '[{"field": "sort", "code": "invalid", "message": "one of -updated_at, relevance"}]');
    END IF;
    IF v_sort = 'relevance' AND nullif(pg_catalog.btrim(p_q), '') IS NULL THEN
        PERFORM app.raise_problem('OD422', 'sort=relevance needs q',
            '[{"field": "sort", "code": "invalid", "message": "relevance needs a q"}]');
    END IF;
    -- The search path decides which rows and in what order (api.search_products: the vendor's own
    -- partition, tiered relevance, allergens normalized through the value synonyms, indexed keyset
    -- scans); every status but soft-deleted rows, as a catalog list should show.
    v_filters := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'brand', p_brand, 'category_id', p_category_id, 'tags.any', pg_catalog.to_jsonb(p_tags_any),
        'allergens.none', pg_catalog.to_jsonb(p_allergens_none), 'updated_after', p_updated_after, 'status', 'any'));
    v_page := api.search_products(p_q, v_filters, v_sort, p_cursor, v_limit);
    -- ... and the page's items are the full products, in the search's order.
    RETURN pg_catalog.jsonb_build_object(
        'items', (SELECT coalesce(pg_catalog.jsonb_agg(app.product_json(p) ORDER BY e.n), '[]')
                    FROM pg_catalog.jsonb_array_elements(v_page -> 'items') WITH ORDINALITY AS e(item, n)
                    JOIN catalog.products p ON p.vendor_id = v_vendor AND p.id = (e.item ->> 'id')::uuid),
        'limit', v_limit,
        'next_cursor', v_page -> 'next_cursor');
END
$$;
COMMENT ON FUNCTION api.list_products(text, text, bigint, text[], text[], timestamptz, text, text, integer) IS
  'GET /api/v1/products: live products of the vendor (any status), filtered (q, brand, category_id, tags.any, allergens.none, updated_after), sorted (-updated_at | relevance), keyset-paginated -- rows and order by the search path (api.search_products), items as full products.';

CREATE OR REPLACE FUNCTION api.upsert_products(p_items jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_vendor   uuid := app.require_vendor();
    v_errors   jsonb;
    v_inserted bigint;
    v_updated  bigint;
BEGIN
    v_errors := app.field_errors_of_items(p_items,
        ARRAY['external_id', 'name', 'brand', 'description', 'category_id', 'price'],
        ARRAY['external_id', 'barcode', 'gtin_type', 'name', 'brand', 'description', 'category_id',
              'sub_category_id', 'cuisine_id', 'market_id', 'price', 'currency', 'status', 'ingredients',
              'nutrition', 'serving_size', 'package_weight', 'dietary_tags', 'allergens', 'certifications',
              'regulatory_codes', 'source_url'], 10000);
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the batch has invalid items', v_errors);
    END IF;
    WITH w AS (
        INSERT INTO catalog.products AS p (id, vendor_id, external_id, barcode, gtin_type, name, brand, description,
               category_id, sub_category_id, cuisine_id, market_id, price, currency, status, ingredients,
               nutrition, serving_size, package_weight, dietary_tags, allergens, certifications,
               regulatory_codes, source_url)
        SELECT catalog.product_id(v_vendor, r.external_id), v_vendor, r.external_id, r.barcode, r.gtin_type,
               r.name, r.brand, r.description, r.category_id, r.sub_category_id, r.cuisine_id, r.market_id,
               r.price, coalesce(r.currency, 'USD'), coalesce(r.status, 'active'), r.ingredients, r.nutrition,
               r.serving_size, r.package_weight, coalesce(r.dietary_tags, '{}'), coalesce(r.allergens, '{}'),
               coalesce(r.certifications, '{}'), coalesce(r.regulatory_codes, '{}'), r.source_url
          FROM pg_catalog.jsonb_populate_recordset(NULL::catalog.products, p_items) AS r
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
        RETURNING (p.version = 1) AS inserted)
    SELECT pg_catalog.count(*) FILTER (WHERE inserted), pg_catalog.count(*) FILTER (WHERE NOT inserted)
      INTO v_inserted, v_updated FROM w;
    RETURN pg_catalog.jsonb_build_object('received', pg_catalog.jsonb_array_length(p_items),
        'inserted', v_inserted, 'updated', v_updated,
        'unchanged', pg_catalog.jsonb_array_length(p_items) - v_inserted - v_updated);
END
$$;
COMMENT ON FUNCTION api.upsert_products(jsonb) IS
  'POST /api/v1/products: batch upsert (1..10,000 items) keyed on external_id (id = catalog.product_id); a soft-deleted product upserted again is restored.';

CREATE OR REPLACE FUNCTION api.get_product(p_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_body   jsonb;
BEGIN
    SELECT app.product_json(p) INTO v_body FROM catalog.products p
     WHERE p.vendor_id = v_vendor AND p.id = p_id AND p.soft_deleted_at IS NULL;
    IF v_body IS NULL THEN
        PERFORM app.raise_problem('OD404', 'product not found');
    END IF;
    RETURN v_body;
END
$$;
COMMENT ON FUNCTION api.get_product(uuid) IS 'GET /api/v1/products/{id}: one live product of the vendor (version = ETag).';

CREATE OR REPLACE FUNCTION api.patch_product(p_id uuid, p_patch jsonb, p_expected_version integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_row    catalog.products;
    v_new    catalog.products;
    v_errors jsonb;
BEGIN
    SELECT * INTO v_row FROM catalog.products p
     WHERE p.vendor_id = v_vendor AND p.id = p_id AND p.soft_deleted_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM app.raise_problem('OD404', 'product not found');
    END IF;
    IF p_expected_version IS NOT NULL AND v_row.version <> p_expected_version THEN
        PERFORM app.raise_problem('OD412', pg_catalog.format(
            'the product was changed: version %s, If-Match expected %s', v_row.version, p_expected_version));
    END IF;
    v_errors := app.field_errors_of_patch(p_patch,
        ARRAY['barcode', 'gtin_type', 'name', 'brand', 'description', 'category_id', 'sub_category_id',
              'cuisine_id', 'market_id', 'price', 'currency', 'status', 'ingredients', 'nutrition',
              'serving_size', 'package_weight', 'dietary_tags', 'allergens', 'certifications',
              'regulatory_codes', 'source_url']);
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the patch has invalid fields', v_errors);
    END IF;
    v_new := pg_catalog.jsonb_populate_record(v_row, p_patch);
    UPDATE catalog.products p
       SET barcode = v_new.barcode, gtin_type = v_new.gtin_type, name = v_new.name, brand = v_new.brand,
           description = v_new.description, category_id = v_new.category_id,
           sub_category_id = v_new.sub_category_id, cuisine_id = v_new.cuisine_id, market_id = v_new.market_id,
           price = v_new.price, currency = v_new.currency, status = v_new.status, ingredients = v_new.ingredients,
           nutrition = v_new.nutrition, serving_size = v_new.serving_size, package_weight = v_new.package_weight,
           dietary_tags = v_new.dietary_tags, allergens = v_new.allergens, certifications = v_new.certifications,
           regulatory_codes = v_new.regulatory_codes, source_url = v_new.source_url
     WHERE p.vendor_id = v_vendor AND p.id = p_id
    RETURNING p.* INTO v_row;
    RETURN app.product_json(v_row);
END
$$;
COMMENT ON FUNCTION api.patch_product(uuid, jsonb, integer) IS
  'PATCH /api/v1/products/{id}: merge-patch of writable fields; OD412 (nothing changed) when p_expected_version (If-Match) is stale.';

CREATE OR REPLACE FUNCTION api.delete_product(p_id uuid, p_expected_version integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_vendor  uuid := app.require_vendor();
    v_version integer;
    v_at      timestamptz;
BEGIN
    SELECT p.version INTO v_version FROM catalog.products p
     WHERE p.vendor_id = v_vendor AND p.id = p_id AND p.soft_deleted_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM app.raise_problem('OD404', 'product not found');
    END IF;
    IF p_expected_version IS NOT NULL AND v_version <> p_expected_version THEN
        PERFORM app.raise_problem('OD412', pg_catalog.format(
            'the product was changed: version %s, If-Match expected %s', v_version, p_expected_version));
    END IF;
    UPDATE catalog.products p SET soft_deleted_at = pg_catalog.now()
     WHERE p.vendor_id = v_vendor AND p.id = p_id
    RETURNING p.soft_deleted_at, p.version INTO v_at, v_version;
    RETURN pg_catalog.jsonb_build_object('id', p_id, 'deleted', true, 'soft_deleted_at', v_at, 'version', v_version);
END
$$;
COMMENT ON FUNCTION api.delete_product(uuid, integer) IS 'DELETE /api/v1/products/{id}: soft delete (audited by trigger).';

GRANT EXECUTE ON FUNCTION app.field_errors_of_items(jsonb, text[], text[], integer),
      app.field_errors_of_patch(jsonb, text[]), app.product_json(catalog.products) TO PUBLIC;
GRANT EXECUTE ON FUNCTION api.list_products(text, text, bigint, text[], text[], timestamptz, text, text, integer),
      api.get_product(uuid)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
GRANT EXECUTE ON FUNCTION api.upsert_products(jsonb), api.patch_product(uuid, jsonb, integer),
      api.delete_product(uuid, integer)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;


COMMIT;
