-- Deploy odyssey:functions/api_customers to pg
-- requires: functions/api_products
-- requires: policies/customers
-- Customers endpoints (PRD §5.3, without health: see the domain's health functions). SECURITY
-- INVOKER: grants and tenant RLS decide; each returns the response body.
BEGIN;

CREATE OR REPLACE FUNCTION app.customer_json(c crm.customers)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$ SELECT pg_catalog.to_jsonb(c) - 'search_tsv' $$;
COMMENT ON FUNCTION app.customer_json(crm.customers) IS 'The API representation of a customer row.';

CREATE OR REPLACE FUNCTION api.list_customers(p_q text DEFAULT NULL, p_email text DEFAULT NULL,
                                              p_tags_any text[] DEFAULT NULL,
                                              p_updated_after timestamptz DEFAULT NULL,
                                              p_cursor text DEFAULT NULL, p_limit integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_limit  integer := app.page_limit(p_limit);
    v_pos    jsonb := app.cursor_decode(p_cursor);
    v_q      text := nullif(pg_catalog.btrim(p_q), '');
    v_where  text := 'c.vendor_id = $1 AND c.soft_deleted_at IS NULL';
    v_items  jsonb;
    v_count  bigint;
    v_last   jsonb;
BEGIN
    IF v_pos IS NOT NULL AND v_pos ->> 's' IS DISTINCT FROM 'customers' THEN
        PERFORM app.raise_problem('OD400', 'invalid cursor',
            '[{"field": "cursor", "code": "invalid", "message": "not a cursor of this list"}]');
    END IF;
    IF v_q IS NOT NULL THEN v_where := v_where || ' AND c.search_tsv @@ websearch_to_tsquery(''simple'', $2)'; END IF;
    IF p_email IS NOT NULL THEN v_where := v_where || ' AND lower(c.email) = lower($3)'; END IF;
    IF p_tags_any IS NOT NULL THEN v_where := v_where || ' AND c.custom_tags && $4'; END IF;
    IF p_updated_after IS NOT NULL THEN v_where := v_where || ' AND c.updated_at > $5'; END IF;
    IF v_pos IS NOT NULL THEN v_where := v_where || ' AND (c.updated_at, c.id) < ($6, $7)'; END IF;
    BEGIN
        EXECUTE pg_catalog.format($q$
            SELECT coalesce(pg_catalog.jsonb_agg(x.j ORDER BY x.n) FILTER (WHERE x.n <= $8), '[]'),
                   pg_catalog.count(*),
                   (pg_catalog.array_agg(pg_catalog.jsonb_build_object('s', 'customers', 'u', x.u, 'i', x.i))
                        FILTER (WHERE x.n = $8))[1]
              FROM (SELECT app.customer_json(c) AS j, c.updated_at AS u, c.id AS i,
                           pg_catalog.row_number() OVER (ORDER BY c.updated_at DESC, c.id DESC) AS n
                      FROM crm.customers c
                     WHERE %s
                     ORDER BY c.updated_at DESC, c.id DESC
                     LIMIT $8 + 1) x
        $q$, v_where)
        INTO v_items, v_count, v_last
        USING v_vendor, v_q, p_email, p_tags_any, p_updated_after,
              (v_pos ->> 'u')::timestamptz, (v_pos ->> 'i')::uuid, v_limit;
    EXCEPTION WHEN invalid_text_representation OR datetime_field_overflow OR invalid_datetime_format THEN
        PERFORM app.raise_problem('OD400', 'invalid cursor',
            '[{"field": "cursor", "code": "invalid", "message": "not a cursor returned by this API"}]');
    END;
    RETURN pg_catalog.jsonb_build_object('items', v_items, 'limit', v_limit,
        'next_cursor', CASE WHEN v_count > v_limit THEN app.cursor_encode(v_last) END);
END
$$;
COMMENT ON FUNCTION api.list_customers(text, text, text[], timestamptz, text, integer) IS
  'GET /api/v1/customers: live customers of the vendor, filtered (q, email, tags.any, updated_after), newest first, keyset-paginated.';

CREATE OR REPLACE FUNCTION api.upsert_customers(p_items jsonb)
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
        ARRAY['external_id', 'full_name', 'email', 'location'],
        ARRAY['external_id', 'full_name', 'email', 'dob', 'age', 'gender', 'location', 'phone', 'custom_tags'],
        10000);
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the batch has invalid items', v_errors);
    END IF;
    WITH w AS (
        INSERT INTO crm.customers AS c (id, vendor_id, external_id, full_name, email, dob, age, gender,
                                        location, phone, custom_tags)
        SELECT crm.customer_id(v_vendor, r.external_id), v_vendor, r.external_id, r.full_name, r.email,
               r.dob, r.age, coalesce(r.gender, 'unspecified'), r.location, r.phone, coalesce(r.custom_tags, '{}')
          FROM pg_catalog.jsonb_populate_recordset(NULL::crm.customers, p_items) AS r
        ON CONFLICT (vendor_id, id) DO UPDATE
           SET full_name = EXCLUDED.full_name, email = EXCLUDED.email, dob = EXCLUDED.dob, age = EXCLUDED.age,
               gender = EXCLUDED.gender, location = EXCLUDED.location, phone = EXCLUDED.phone,
               custom_tags = EXCLUDED.custom_tags, soft_deleted_at = NULL
         WHERE c.soft_deleted_at IS NOT NULL
            OR (c.full_name, c.email, c.dob, c.age, c.gender, c.location, c.phone, c.custom_tags)
               IS DISTINCT FROM
               (EXCLUDED.full_name, EXCLUDED.email, EXCLUDED.dob, EXCLUDED.age, EXCLUDED.gender,
                EXCLUDED.location, EXCLUDED.phone, EXCLUDED.custom_tags)
        RETURNING (c.version = 1) AS inserted)
    SELECT pg_catalog.count(*) FILTER (WHERE inserted), pg_catalog.count(*) FILTER (WHERE NOT inserted)
      INTO v_inserted, v_updated FROM w;
    RETURN pg_catalog.jsonb_build_object('received', pg_catalog.jsonb_array_length(p_items),
        'inserted', v_inserted, 'updated', v_updated,
        'unchanged', pg_catalog.jsonb_array_length(p_items) - v_inserted - v_updated);
END
$$;
COMMENT ON FUNCTION api.upsert_customers(jsonb) IS
  'POST /api/v1/customers: batch upsert (1..10,000 items) keyed on external_id (id = crm.customer_id).';

CREATE OR REPLACE FUNCTION api.get_customer(p_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_body   jsonb;
BEGIN
    SELECT app.customer_json(c) INTO v_body FROM crm.customers c
     WHERE c.vendor_id = v_vendor AND c.id = p_id AND c.soft_deleted_at IS NULL;
    IF v_body IS NULL THEN
        PERFORM app.raise_problem('OD404', 'customer not found');
    END IF;
    RETURN v_body;
END
$$;
COMMENT ON FUNCTION api.get_customer(uuid) IS 'GET /api/v1/customers/{id}: one live customer of the vendor (version = ETag).';

CREATE OR REPLACE FUNCTION api.update_customer(p_id uuid, p_body jsonb, p_expected_version integer DEFAULT NULL,
                                               p_replace boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_row    crm.customers;
    v_new    crm.customers;
    v_errors jsonb;
    v_fields text[] := ARRAY['full_name', 'email', 'dob', 'age', 'gender', 'location', 'phone', 'custom_tags'];
BEGIN
    SELECT * INTO v_row FROM crm.customers c
     WHERE c.vendor_id = v_vendor AND c.id = p_id AND c.soft_deleted_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM app.raise_problem('OD404', 'customer not found');
    END IF;
    IF p_expected_version IS NOT NULL AND v_row.version <> p_expected_version THEN
        PERFORM app.raise_problem('OD412', pg_catalog.format(
            'the customer was changed: version %s, If-Match expected %s', v_row.version, p_expected_version));
    END IF;
    v_errors := app.field_errors_of_patch(p_body, v_fields);
    IF v_errors IS NULL AND p_replace THEN
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('field', f, 'code', 'required', 'message', 'is required'))
          INTO v_errors FROM pg_catalog.unnest(ARRAY['full_name', 'email', 'location']) AS f
         WHERE coalesce(pg_catalog.jsonb_typeof(p_body -> f), 'null') = 'null';
    END IF;
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the body has invalid fields', v_errors);
    END IF;
    IF p_replace THEN
        -- PUT: every writable field takes the body's value; absent optional fields are cleared.
        p_body := '{"dob": null, "age": null, "gender": "unspecified", "phone": null, "custom_tags": []}'::jsonb || p_body;
    END IF;
    v_new := pg_catalog.jsonb_populate_record(v_row, p_body);
    UPDATE crm.customers c
       SET full_name = v_new.full_name, email = v_new.email, dob = v_new.dob, age = v_new.age,
           gender = v_new.gender, location = v_new.location, phone = v_new.phone, custom_tags = v_new.custom_tags
     WHERE c.vendor_id = v_vendor AND c.id = p_id
    RETURNING c.* INTO v_row;
    RETURN app.customer_json(v_row);
END
$$;
COMMENT ON FUNCTION api.update_customer(uuid, jsonb, integer, boolean) IS
  'PATCH (merge) or PUT (p_replace: full replace) /api/v1/customers/{id}; OD412 (nothing changed) when the If-Match version is stale.';

CREATE OR REPLACE FUNCTION api.delete_customer(p_id uuid, p_expected_version integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_vendor  uuid := app.require_vendor();
    v_version integer;
    v_at      timestamptz;
BEGIN
    SELECT c.version INTO v_version FROM crm.customers c
     WHERE c.vendor_id = v_vendor AND c.id = p_id AND c.soft_deleted_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM app.raise_problem('OD404', 'customer not found');
    END IF;
    IF p_expected_version IS NOT NULL AND v_version <> p_expected_version THEN
        PERFORM app.raise_problem('OD412', pg_catalog.format(
            'the customer was changed: version %s, If-Match expected %s', v_version, p_expected_version));
    END IF;
    UPDATE crm.customers c SET soft_deleted_at = pg_catalog.now()
     WHERE c.vendor_id = v_vendor AND c.id = p_id
    RETURNING c.soft_deleted_at, c.version INTO v_at, v_version;
    RETURN pg_catalog.jsonb_build_object('id', p_id, 'deleted', true, 'soft_deleted_at', v_at, 'version', v_version);
END
$$;
COMMENT ON FUNCTION api.delete_customer(uuid, integer) IS 'DELETE /api/v1/customers/{id}: soft delete (audited by trigger).';

GRANT EXECUTE ON FUNCTION app.customer_json(crm.customers) TO PUBLIC;
GRANT EXECUTE ON FUNCTION api.list_customers(text, text, text[], timestamptz, text, integer), api.get_customer(uuid)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
GRANT EXECUTE ON FUNCTION api.upsert_customers(jsonb), api.update_customer(uuid, jsonb, integer, boolean),
      api.delete_customer(uuid, integer)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;

GRANT EXECUTE ON FUNCTION crm.customer_id(uuid, text)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;

COMMIT;
