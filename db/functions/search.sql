-- Deploy odyssey:functions/search to pg
-- requires: schema/product_search_docs
-- requires: functions/health_derivations
-- Product search (PRD §5.6), customer search for operators (PRD §5.3) and the health profile
-- endpoints (GET/PUT /customers/:id/health).
--   api.search_products(q, filters, sort, cursor, limit): websearch syntax on search_tsv; filters
--   brand, category_id, tags.any, allergens.none (normalized + synonyms), updated_after, status;
--   sort 'relevance' (tiered: name match, then other text; newest first) or '-updated_at'; opaque keyset cursor bound
--   to the query; limit <= 200; ties broken by id so paging returns every row exactly once.
-- Products are searched in catalog.product_search (schema/product_search_docs): one partition per
-- vendor, so each tier is planned and run over one table, not 16 hash leaves.
-- Plan shapes: search_tsv is tested as a filter, not ANDed in as a GIN bitmap, where a narrower
-- index already finds the candidates -- in the name tier (name_tsv) and with a brand filter: a
-- search_tsv bitmap of common words (tens of thousands of products) cost 10-30 ms and removed
-- almost nothing. pg_catalog.ts_match_vq is the function behind @@: the same result, but no index
-- condition. (With a category filter, ~4% of products, the bitmap AND stays: as a filter, P99 was
-- worse.) The search rows have no tag index: a tag (~8% of products) is a filter, which a
-- newest-first walk meets within a few hundred rows; its GIN bitmap cost ~13 ms.
BEGIN;

CREATE OR REPLACE FUNCTION api.encode_cursor(p_payload jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT pg_catalog.translate(pg_catalog.encode(pg_catalog.convert_to(p_payload::text, 'UTF8'), 'base64'), E'+/=\n', '-_') $$;
COMMENT ON FUNCTION api.encode_cursor(jsonb) IS 'Opaque cursor: URL-safe base64 of a JSON keyset position.';

CREATE OR REPLACE FUNCTION api.decode_cursor(p_cursor text)
RETURNS jsonb
-- PARALLEL UNSAFE: its exception block starts a subtransaction, which a parallel query cannot.
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL UNSAFE
AS $$
DECLARE
    v_b64 text := pg_catalog.translate(p_cursor, '-_', '+/');
BEGIN
    v_b64 := v_b64 || pg_catalog.repeat('=', (4 - pg_catalog.length(v_b64) % 4) % 4);
    RETURN pg_catalog.convert_from(pg_catalog.decode(v_b64, 'base64'), 'UTF8')::jsonb;
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'malformed cursor' USING ERRCODE = 'OD400',
          DETAIL = '[{"field": "cursor", "code": "invalid", "message": "cursor is not one this API issued"}]';
END
$$;
COMMENT ON FUNCTION api.decode_cursor(text) IS 'Decodes an opaque cursor (OD400 when malformed).';

CREATE OR REPLACE FUNCTION api.search_products(p_q text DEFAULT NULL, p_filters jsonb DEFAULT '{}',
                                               p_sort text DEFAULT NULL, p_cursor text DEFAULT NULL,
                                               p_limit integer DEFAULT 20)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor   uuid := app.current_vendor_id();
    v_filters  jsonb := coalesce(p_filters, '{}');
    v_tsq      tsquery;
    v_sort     text;
    v_where    text := 'p.vendor_id = $1';           -- soft-deleted products have no search row
    v_keyset   text;
    v_pred     text;
    v_need     integer;
    v_fence    boolean;
    v_tier     integer;
    v_page     jsonb;
    v_got      integer;
    v_errors   jsonb := '[]';
    v_cur      jsonb;
    v_fp       text;
    v_brands   text[];
    v_cats     bigint[];
    v_tags     text[];
    v_allerg   text[];
    v_after    timestamptz;
    v_status   text;
    v_rows     jsonb;
    v_n        integer;
    v_last     jsonb;
    v_sql      text;
    v_part     regclass;
BEGIN
    IF coalesce(app.current_app_role(), '') NOT IN ('superadmin', 'vendor_admin', 'vendor_operator', 'vendor_viewer') THEN
        RAISE EXCEPTION 'product search needs a vendor role' USING ERRCODE = 'OD403';
    END IF;
    v_vendor := app.require_vendor();
    -- The tenant's own search partition, read directly: through the RLS-protected parent the planner may
    -- not use the full-text indexes (@@ is not leakproof, so it cannot run before the policy).
    -- Isolation holds by construction: only the current tenant's partition is ever named.
    v_part := app.vendor_partition('catalog.product_search'::regclass, v_vendor);
    IF v_part IS NULL THEN
        RAISE EXCEPTION 'unknown tenant' USING ERRCODE = 'OD404';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 200 THEN
        v_errors := v_errors || '[{"field": "limit", "code": "out_of_range", "message": "limit must be between 1 and 200"}]';
    END IF;
    IF jsonb_typeof(v_filters) <> 'object' THEN
        RAISE EXCEPTION 'filters must be an object' USING ERRCODE = 'OD422',
              DETAIL = '[{"field": "filters", "code": "invalid_type", "message": "filters must be a JSON object"}]';
    END IF;
    v_errors := v_errors || coalesce((SELECT jsonb_agg(jsonb_build_object('field', 'filters.' || k, 'code', 'unknown_filter',
                     'message', 'filters are brand, category_id, tags.any, allergens.none, updated_after, status'))
                  FROM jsonb_object_keys(v_filters) k
                 WHERE k NOT IN ('brand', 'category_id', 'tags.any', 'allergens.none', 'updated_after', 'status')), '[]');
    IF nullif(btrim(coalesce(p_q, '')), '') IS NOT NULL THEN
        v_tsq := pg_catalog.websearch_to_tsquery('english'::regconfig, p_q);
        IF v_tsq::text = '' THEN v_tsq := NULL; END IF;   -- only stop words
    END IF;
    v_sort := coalesce(p_sort, CASE WHEN p_q IS NOT NULL AND btrim(p_q) <> '' THEN 'relevance' ELSE '-updated_at' END);
    IF v_sort NOT IN ('relevance', '-updated_at') THEN
        v_errors := v_errors || '[{"field": "sort", "code": "invalid", "message": "sort is relevance or -updated_at"}]';
    END IF;

    BEGIN
        IF v_filters ? 'brand' THEN
            v_brands := CASE jsonb_typeof(v_filters -> 'brand') WHEN 'array' THEN ARRAY(SELECT jsonb_array_elements_text(v_filters -> 'brand'))
                                                                ELSE ARRAY[v_filters ->> 'brand'] END;
            v_where := v_where || ' AND p.brand = ANY ($3)';
        END IF;
        IF v_filters ? 'category_id' THEN
            v_cats := CASE jsonb_typeof(v_filters -> 'category_id') WHEN 'array' THEN ARRAY(SELECT jsonb_array_elements_text(v_filters -> 'category_id'))::bigint[]
                                                                    ELSE ARRAY[(v_filters ->> 'category_id')::bigint] END;
            v_where := v_where || ' AND p.category_id = ANY ($4)';
        END IF;
        IF v_filters ? 'tags.any' THEN
            v_tags := health.normalize_codes('diet', ARRAY(SELECT jsonb_array_elements_text(v_filters -> 'tags.any')));
            v_where := v_where || ' AND p.dietary_tags && $5';
        END IF;
        IF v_filters ? 'allergens.none' THEN
            -- Canonical codes and every label word that maps to them ("milk" also excludes "whey").
            v_allerg := health.normalize_codes('allergen', ARRAY(SELECT jsonb_array_elements_text(v_filters -> 'allergens.none')));
            v_allerg := v_allerg || ARRAY(SELECT DISTINCT s FROM ingest.synonyms_value sv, unnest(sv.synonyms) s
                                           WHERE sv.domain = 'allergen' AND sv.canonical = ANY (v_allerg));
            v_where := v_where || ' AND NOT (p.allergens && $6)';
        END IF;
        IF v_filters ? 'updated_after' THEN
            v_after := (v_filters ->> 'updated_after')::timestamptz;
            v_where := v_where || ' AND p.updated_at > $7';
        END IF;
        v_status := coalesce(v_filters ->> 'status', 'active');
        IF v_status NOT IN ('active', 'inactive', 'any') THEN
            v_errors := v_errors || '[{"field": "filters.status", "code": "invalid", "message": "status is active, inactive or any"}]';
        ELSIF v_status <> 'any' THEN
            v_where := v_where || pg_catalog.format(' AND p.status = %L', v_status);
        END IF;
    EXCEPTION WHEN data_exception OR invalid_text_representation THEN
        v_errors := v_errors || '[{"field": "filters", "code": "invalid_value", "message": "a filter value has the wrong type (brand text, category_id integer, tags.any and allergens.none arrays of text, updated_after timestamp)"}]';
    END;
    IF jsonb_array_length(v_errors) > 0 THEN
        RAISE EXCEPTION 'invalid search request' USING ERRCODE = 'OD422', DETAIL = v_errors::text;
    END IF;

    IF v_sort = 'relevance' AND v_tsq IS NULL THEN
        v_sort := '-updated_at';                          -- nothing to rank by
    END IF;

    -- The cursor is bound to the query it came from: {fp, t (tier), k (updated_at), id}.
    v_fp := pg_catalog.md5(coalesce(v_tsq::text, '') || '|' || v_filters::text || '|' || v_sort);
    v_tier := 0;
    IF p_cursor IS NOT NULL AND p_cursor <> '' THEN
        v_cur := api.decode_cursor(p_cursor);
        IF v_cur ->> 'fp' IS DISTINCT FROM v_fp OR (v_cur ->> 't') NOT IN ('0', '1') THEN
            RAISE EXCEPTION 'cursor does not belong to this query' USING ERRCODE = 'OD400',
                  DETAIL = '[{"field": "cursor", "code": "mismatch", "message": "repeat the query the cursor came from"}]';
        END IF;
        v_tier := (v_cur ->> 't')::integer;
    END IF;

    -- Relevance: tier 0 = the name alone matches the query, tier 1 = the rest; each tier newest
    -- first, then id. '-updated_at' is one tier. Every stage is a keyset scan; a page may span tiers.
    v_rows := '[]';
    v_n := 0;
    WHILE v_tier <= CASE WHEN v_sort = 'relevance' THEN 1 ELSE 0 END AND v_n <= p_limit LOOP
        v_need := p_limit + 1 - v_n;
        v_keyset := CASE WHEN v_cur IS NOT NULL AND (v_cur ->> 't')::integer = v_tier
                         THEN ' AND (p.updated_at, p.id) < (($8 ->> ''k'')::timestamptz, ($8 ->> ''id'')::uuid)' ELSE '' END;
        v_pred := CASE WHEN v_tsq IS NULL THEN ''
                      WHEN (v_sort = 'relevance' AND v_tier = 0) OR v_brands IS NOT NULL
                      THEN ' AND pg_catalog.ts_match_vq(p.search_tsv, $2)'   -- a filter (see the header)
                      ELSE ' AND p.search_tsv @@ $2' END
              || CASE WHEN v_sort = 'relevance' AND v_tier = 0 THEN ' AND p.name_tsv @@ $2'
                      WHEN v_sort = 'relevance' THEN ' AND NOT (p.name_tsv @@ $2)' ELSE '' END;
        v_sql := 'SELECT coalesce(jsonb_agg(r ORDER BY n), ''[]''), count(*) FROM (SELECT row_number() OVER () AS n, '
              || 'jsonb_build_object(''id'', p.id, ''external_id'', p.external_id, ''name'', p.name, ''brand'', p.brand, '
              || '''category_id'', p.category_id, ''price'', p.price, ''currency'', p.currency, ''status'', p.status, '
              || '''dietary_tags'', p.dietary_tags, ''allergens'', p.allergens, ''updated_at'', p.updated_at, '
              || '''_t'', ' || v_tier || ') AS r FROM (SELECT * FROM ';
        -- The name tier, when fewer names than a page hold the words at all (whatever the other
        -- filters): all of them from the name_tsv index, sorted -- left to itself the planner walked
        -- the partition newest first for them (search_tsv tested as a filter hides its
        -- selectivity) and read all 500,000 rows for a word no name holds (~0.8-1 s). Counting up to
        -- a page of name matches costs one GIN scan of short posting lists.
        v_fence := false;
        IF v_tsq IS NOT NULL AND v_sort = 'relevance' AND v_tier = 0 THEN
            EXECUTE 'SELECT count(*) FROM (SELECT FROM ' || v_part::text || ' p WHERE p.name_tsv @@ $1 LIMIT $2) s'
               INTO v_got USING v_tsq, v_need;
            v_fence := v_got < v_need;
        END IF;
        EXECUTE v_sql || CASE WHEN v_fence THEN '(SELECT * FROM ' ELSE '' END
                      || v_part::text || ' p WHERE ' || v_where || v_keyset || v_pred
                      || CASE WHEN v_fence THEN ' OFFSET 0) p' ELSE '' END
                      || ' ORDER BY p.updated_at DESC, p.id DESC LIMIT $9) p) s'
           INTO v_page, v_got
          USING v_vendor, v_tsq, v_brands, v_cats, v_tags, v_allerg, v_after, v_cur, v_need;
        v_rows := v_rows || v_page;
        v_n := v_n + v_got;
        v_tier := v_tier + 1;
    END LOOP;

    IF v_n > p_limit THEN
        v_rows := v_rows - p_limit;                       -- drop the look-ahead row
        v_last := v_rows -> (p_limit - 1);
    END IF;
    RETURN jsonb_build_object(
        'items', (SELECT coalesce(jsonb_agg((e - '_t') || CASE WHEN v_sort = 'relevance'
                                                              THEN jsonb_build_object('match', CASE WHEN e ->> '_t' = '0' THEN 'name' ELSE 'text' END)
                                                              ELSE '{}' END ORDER BY i), '[]')
                    FROM jsonb_array_elements(v_rows) WITH ORDINALITY a(e, i)),
        'next_cursor', CASE WHEN v_last IS NOT NULL
                            THEN api.encode_cursor(jsonb_build_object('fp', v_fp, 't', (v_last ->> '_t')::integer,
                                                                      'k', v_last -> 'updated_at', 'id', v_last -> 'id')) END,
        'limit', p_limit,
        'sort', v_sort,
        'query', v_tsq::text);
END
$$;
COMMENT ON FUNCTION api.search_products(text, jsonb, text, text, integer) IS
  'GET /search/products: websearch query on search_tsv, filters, relevance or -updated_at, opaque keyset cursor, limit <= 200. Reads only the current tenant''s partition.';

CREATE OR REPLACE FUNCTION api.search_customers(p_q text DEFAULT NULL, p_cursor text DEFAULT NULL, p_limit integer DEFAULT 20)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.current_vendor_id();
    v_q      text := nullif(btrim(coalesce(p_q, '')), '');
    v_tsq    tsquery;
    v_cur    jsonb;
    v_fp     text;
    v_rows   jsonb;
    v_n      integer;
    v_last   jsonb;
BEGIN
    IF coalesce(app.current_app_role(), '') NOT IN ('superadmin', 'vendor_admin', 'vendor_operator') THEN
        RAISE EXCEPTION 'customer search is for operators' USING ERRCODE = 'OD403';
    END IF;
    v_vendor := app.require_vendor();
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 200 THEN
        RAISE EXCEPTION 'limit must be between 1 and 200' USING ERRCODE = 'OD422',
              DETAIL = '[{"field": "limit", "code": "out_of_range", "message": "limit must be between 1 and 200"}]';
    END IF;
    IF v_q IS NOT NULL THEN
        v_tsq := pg_catalog.websearch_to_tsquery('simple'::regconfig, v_q);
    END IF;
    v_fp := pg_catalog.md5(coalesce(v_q, ''));
    IF p_cursor IS NOT NULL AND p_cursor <> '' THEN
        v_cur := api.decode_cursor(p_cursor);
        IF v_cur ->> 'fp' IS DISTINCT FROM v_fp THEN
            RAISE EXCEPTION 'cursor does not belong to this query' USING ERRCODE = 'OD400';
        END IF;
    END IF;
    SELECT coalesce(jsonb_agg(r ORDER BY n), '[]'), count(*) INTO v_rows, v_n
      FROM (SELECT row_number() OVER (ORDER BY c.updated_at DESC, c.id DESC) AS n,
                   jsonb_build_object('id', c.id, 'external_id', c.external_id, 'full_name', c.full_name,
                                      'email', c.email, 'updated_at', c.updated_at) AS r
              FROM crm.customers c
             WHERE c.vendor_id = v_vendor AND c.soft_deleted_at IS NULL
               AND (v_q IS NULL OR c.search_tsv @@ v_tsq OR lower(c.email) = lower(v_q) OR c.external_id = v_q)
               AND (v_cur IS NULL OR (c.updated_at, c.id) < ((v_cur ->> 'k')::timestamptz, (v_cur ->> 'id')::uuid))
             ORDER BY c.updated_at DESC, c.id DESC
             LIMIT p_limit + 1) s;
    IF v_n > p_limit THEN
        v_rows := v_rows - p_limit;
        v_last := v_rows -> (p_limit - 1);
    END IF;
    RETURN jsonb_build_object(
        'items', v_rows,
        'next_cursor', CASE WHEN v_last IS NOT NULL
                            THEN api.encode_cursor(jsonb_build_object('fp', v_fp, 'k', v_last -> 'updated_at', 'id', v_last -> 'id')) END,
        'limit', p_limit);
END
$$;
COMMENT ON FUNCTION api.search_customers(text, text, integer) IS
  'GET /customers?q= : operators'' customer search by name, email or external_id; keyset cursor, limit <= 200.';

CREATE OR REPLACE FUNCTION api.get_customer_health(p_customer_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.current_vendor_id();
    v_row    jsonb;
BEGIN
    IF coalesce(app.current_app_role(), '') NOT IN ('superadmin', 'vendor_admin', 'vendor_operator') THEN
        RAISE EXCEPTION 'health data needs an admin or operator role' USING ERRCODE = 'OD403';
    END IF;
    SELECT to_jsonb(p) - 'vendor_id' INTO v_row FROM health.customer_health_profiles p
     WHERE p.vendor_id = v_vendor AND p.customer_id = p_customer_id;
    IF v_row IS NULL THEN
        RAISE EXCEPTION 'no health profile for customer %', p_customer_id USING ERRCODE = 'OD404';
    END IF;
    PERFORM audit.record('health_read', 'health.customer_health_profiles', p_customer_id::text, v_vendor,
                         NULL, jsonb_build_object('purpose', 'api_get'));
    RETURN v_row;
END
$$;
COMMENT ON FUNCTION api.get_customer_health(uuid) IS 'GET /customers/:id/health (admin/operator); the read is audited.';

CREATE OR REPLACE FUNCTION api.put_customer_health(p_customer_id uuid, p_body jsonb, p_if_match integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor  uuid := app.current_vendor_id();
    v_errors  jsonb := '[]';
    v_height  numeric;
    v_weight  numeric;
    v_age     integer;
    v_gender  crm.gender;
    v_level   health.activity_level;
    v_version integer;
    v_row     jsonb;
    v_unit    text;
BEGIN
    IF coalesce(app.current_app_role(), '') NOT IN ('superadmin', 'vendor_admin', 'vendor_operator') THEN
        RAISE EXCEPTION 'health data needs an admin or operator role' USING ERRCODE = 'OD403';
    END IF;
    IF p_body IS NULL OR jsonb_typeof(p_body) <> 'object' THEN
        RAISE EXCEPTION 'the body must be a JSON object' USING ERRCODE = 'OD400';
    END IF;
    IF NOT EXISTS (SELECT FROM crm.customers c WHERE c.vendor_id = v_vendor AND c.id = p_customer_id AND c.soft_deleted_at IS NULL) THEN
        RAISE EXCEPTION 'customer % not found', p_customer_id USING ERRCODE = 'OD404';
    END IF;
    -- Height: height_cm, or height {value, unit: cm|m|in}. Weight: weight_kg, or weight {value, unit: kg|lb}.
    BEGIN
        IF p_body ? 'height' THEN
            v_unit := coalesce(p_body #>> '{height,unit}', 'cm');
            v_height := (p_body #>> '{height,value}')::numeric
                        * CASE v_unit WHEN 'cm' THEN 1 WHEN 'm' THEN 100 WHEN 'in' THEN 2.54 END;
            IF v_height IS NULL THEN
                v_errors := v_errors || '[{"field": "height", "code": "invalid_unit", "message": "height is {value, unit} with unit cm, m or in"}]';
            END IF;
        ELSE
            v_height := (p_body ->> 'height_cm')::numeric;
        END IF;
    EXCEPTION WHEN data_exception OR invalid_text_representation THEN
        v_errors := v_errors || '[{"field": "height_cm", "code": "invalid_number", "message": "height must be a number"}]';
    END;
    BEGIN
        IF p_body ? 'weight' THEN
            v_unit := coalesce(p_body #>> '{weight,unit}', 'kg');
            v_weight := (p_body #>> '{weight,value}')::numeric
                        * CASE v_unit WHEN 'kg' THEN 1 WHEN 'lb' THEN 0.45359237 END;
            IF v_weight IS NULL THEN
                v_errors := v_errors || '[{"field": "weight", "code": "invalid_unit", "message": "weight is {value, unit} with unit kg or lb"}]';
            END IF;
        ELSE
            v_weight := (p_body ->> 'weight_kg')::numeric;
        END IF;
    EXCEPTION WHEN data_exception OR invalid_text_representation THEN
        v_errors := v_errors || '[{"field": "weight_kg", "code": "invalid_number", "message": "weight must be a number"}]';
    END;
    BEGIN
        v_age := coalesce((p_body ->> 'age')::integer,
                          (SELECT c.age FROM crm.customers c WHERE c.vendor_id = v_vendor AND c.id = p_customer_id));
    EXCEPTION WHEN data_exception OR invalid_text_representation THEN
        v_errors := v_errors || '[{"field": "age", "code": "invalid_number", "message": "age must be an integer"}]';
    END;
    BEGIN
        v_gender := coalesce((p_body ->> 'gender')::crm.gender,
                             (SELECT c.gender FROM crm.customers c WHERE c.vendor_id = v_vendor AND c.id = p_customer_id));
    EXCEPTION WHEN invalid_text_representation THEN
        v_errors := v_errors || '[{"field": "gender", "code": "unknown_code", "message": "gender is male, female, other or unspecified"}]';
    END;
    BEGIN
        v_level := (p_body ->> 'activity_level')::health.activity_level;
    EXCEPTION WHEN invalid_text_representation THEN
        v_errors := v_errors || '[{"field": "activity_level", "code": "unknown_code", "message": "activity_level is sedentary, light, moderate, very or extra"}]';
    END;
    v_errors := v_errors || coalesce((SELECT jsonb_agg(jsonb_build_object('field', f, 'code', 'invalid_type', 'message', f || ' must be an array of strings'))
                  FROM unnest(ARRAY['conditions', 'diet_goals', 'avoid_allergens']) f
                 WHERE p_body ? f AND jsonb_typeof(p_body -> f) <> 'array'), '[]');
    IF p_body ? 'macro_targets' AND jsonb_typeof(p_body -> 'macro_targets') <> 'object' THEN
        v_errors := v_errors || '[{"field": "macro_targets", "code": "invalid_type", "message": "macro_targets must be an object"}]';
    END IF;
    IF jsonb_array_length(v_errors) > 0 THEN
        RAISE EXCEPTION 'invalid health profile' USING ERRCODE = 'OD422', DETAIL = v_errors::text;
    END IF;

    SELECT p.version INTO v_version FROM health.customer_health_profiles p
     WHERE p.vendor_id = v_vendor AND p.customer_id = p_customer_id FOR UPDATE;
    IF p_if_match IS NOT NULL AND v_version IS DISTINCT FROM p_if_match THEN
        RAISE EXCEPTION 'the health profile changed (version %, If-Match %)', v_version, p_if_match USING ERRCODE = 'OD412';
    END IF;
    INSERT INTO health.customer_health_profiles AS p
           (vendor_id, customer_id, height_cm, weight_kg, age, gender, activity_level, conditions,
            diet_goals, macro_targets, avoid_allergens)
    VALUES (v_vendor, p_customer_id, round(v_height, 2), round(v_weight, 2), v_age, v_gender, v_level,
            ARRAY(SELECT jsonb_array_elements_text(coalesce(p_body -> 'conditions', '[]'))),
            ARRAY(SELECT jsonb_array_elements_text(coalesce(p_body -> 'diet_goals', '[]'))),
            coalesce(p_body -> 'macro_targets', '{}'),
            ARRAY(SELECT jsonb_array_elements_text(coalesce(p_body -> 'avoid_allergens', '[]'))))
    ON CONFLICT (vendor_id, customer_id) DO UPDATE
       SET height_cm = EXCLUDED.height_cm, weight_kg = EXCLUDED.weight_kg, age = EXCLUDED.age,
           gender = EXCLUDED.gender, activity_level = EXCLUDED.activity_level, conditions = EXCLUDED.conditions,
           diet_goals = EXCLUDED.diet_goals, macro_targets = EXCLUDED.macro_targets,
           avoid_allergens = EXCLUDED.avoid_allergens
    RETURNING to_jsonb(p) - 'vendor_id' INTO v_row;
    RETURN v_row;
END
$$;
COMMENT ON FUNCTION api.put_customer_health(uuid, jsonb, integer) IS
  'PUT /customers/:id/health (admin/operator): validates units and values, derives BMI/BMR/TDEE/derived_limits (trigger); If-Match = version.';

GRANT EXECUTE ON FUNCTION api.search_products(text, jsonb, text, text, integer)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
GRANT EXECUTE ON FUNCTION api.search_customers(text, text, integer),
      api.get_customer_health(uuid), api.put_customer_health(uuid, jsonb, integer)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;
GRANT EXECUTE ON FUNCTION api.encode_cursor(jsonb), api.decode_cursor(text)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;

COMMIT;
