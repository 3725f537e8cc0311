-- Deploy odyssey:functions/api_admin to pg
-- requires: functions/api_gateway
-- requires: policies/core
-- requires: policies/ingestion
-- Platform administration (PRD §5.8 and the issue's admin endpoints): taxonomy CRUD and value
-- synonyms (every role reads, superadmins write), vendors (superadmins), memberships (a vendor_admin
-- within its vendor, or a superadmin; changes audited by the user_links trigger).
BEGIN;

CREATE OR REPLACE FUNCTION app.taxonomy_table(p_kind text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_table text := CASE p_kind
        WHEN 'categories' THEN 'tax_categories' WHEN 'tags' THEN 'tax_tags'
        WHEN 'allergens' THEN 'tax_allergens' WHEN 'cuisines' THEN 'tax_cuisines'
        WHEN 'certifications' THEN 'tax_certifications' WHEN 'markets' THEN 'markets' END;
BEGIN
    IF v_table IS NULL THEN
        PERFORM app.raise_problem('OD404', 'unknown taxonomy: ' || coalesce(p_kind, ''));
    END IF;
    RETURN v_table;
END
$$;
COMMENT ON FUNCTION app.taxonomy_table(text) IS 'The catalog table of a taxonomy kind (categories, tags, allergens, cuisines, certifications, markets); OD404 otherwise.';

CREATE OR REPLACE FUNCTION api.taxonomy_list(p_kind text, p_active boolean DEFAULT NULL,
                                             p_cursor text DEFAULT NULL, p_limit integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_table text := app.taxonomy_table(p_kind);
    v_limit integer := app.page_limit(p_limit);
    v_pos   jsonb := app.cursor_decode(p_cursor);
    v_items jsonb;
    v_count bigint;
    v_last  bigint;
BEGIN
    IF v_pos IS NOT NULL AND (v_pos ->> 's' IS DISTINCT FROM p_kind OR pg_catalog.jsonb_typeof(v_pos -> 'i') <> 'number') THEN
        PERFORM app.raise_problem('OD400', 'invalid cursor',
            '[{"field": "cursor", "code": "invalid", "message": "not a cursor of this list"}]');
    END IF;
    EXECUTE pg_catalog.format($q$
        SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(t) ORDER BY t.id) FILTER (WHERE t.n <= $3), '[]'),
               pg_catalog.count(*), pg_catalog.max(t.id) FILTER (WHERE t.n = $3)
          FROM (SELECT x.*, pg_catalog.row_number() OVER (ORDER BY x.id) AS n FROM catalog.%I x
                 WHERE ($1 IS NULL OR x.active = $1) AND ($2 IS NULL OR x.id > $2)
                 ORDER BY x.id LIMIT $3 + 1) t
    $q$, v_table) INTO v_items, v_count, v_last USING p_active, (v_pos ->> 'i')::bigint, v_limit;
    SELECT coalesce(pg_catalog.jsonb_agg(i - 'n'), '[]') INTO v_items FROM pg_catalog.jsonb_array_elements(v_items) AS i;
    RETURN pg_catalog.jsonb_build_object('items', v_items, 'limit', v_limit,
        'next_cursor', CASE WHEN v_count > v_limit THEN app.cursor_encode(pg_catalog.jsonb_build_object('s', p_kind, 'i', v_last)) END);
END
$$;
COMMENT ON FUNCTION api.taxonomy_list(text, boolean, text, integer) IS 'GET /api/v1/taxonomy/{kind}: entries by id, keyset-paginated.';

CREATE OR REPLACE FUNCTION api.taxonomy_get(p_kind text, p_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_body jsonb;
BEGIN
    EXECUTE pg_catalog.format('SELECT pg_catalog.to_jsonb(x) FROM catalog.%I x WHERE x.id = $1', app.taxonomy_table(p_kind))
       INTO v_body USING p_id;
    IF v_body IS NULL THEN
        PERFORM app.raise_problem('OD404', 'taxonomy entry not found');
    END IF;
    RETURN v_body;
END
$$;
COMMENT ON FUNCTION api.taxonomy_get(text, bigint) IS 'GET /api/v1/taxonomy/{kind}/{id}.';

CREATE OR REPLACE FUNCTION api.taxonomy_save(p_kind text, p_id bigint, p_body jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_table  text := app.taxonomy_table(p_kind);
    v_errors jsonb := app.field_errors_of_patch(p_body, ARRAY['code', 'label', 'parent_id', 'active']);
    v_body   jsonb;
BEGIN
    IF v_errors IS NULL AND p_id IS NULL THEN
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('field', f, 'code', 'required', 'message', 'is required'))
          INTO v_errors FROM pg_catalog.unnest(ARRAY['code', 'label']) AS f
         WHERE coalesce(pg_catalog.jsonb_typeof(p_body -> f), 'null') = 'null';
    END IF;
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the body has invalid fields', v_errors);
    END IF;
    IF p_id IS NULL THEN
        EXECUTE pg_catalog.format($q$
            INSERT INTO catalog.%I AS x (code, label, parent_id, active)
            SELECT r.code, r.label, r.parent_id, coalesce(r.active, true)
              FROM pg_catalog.jsonb_populate_record(NULL::catalog.%I, $1) r
            RETURNING pg_catalog.to_jsonb(x)$q$, v_table, v_table) INTO v_body USING p_body;
    ELSE
        EXECUTE pg_catalog.format($q$
            UPDATE catalog.%I AS x SET code = r.code, label = r.label, parent_id = r.parent_id, active = r.active
              FROM (SELECT (pg_catalog.jsonb_populate_record(o, $1)).* FROM catalog.%I o WHERE o.id = $2) r
             WHERE x.id = $2
            RETURNING pg_catalog.to_jsonb(x)$q$, v_table, v_table) INTO v_body USING p_body, p_id;
        IF v_body IS NULL THEN
            PERFORM app.raise_problem('OD404', 'taxonomy entry not found');
        END IF;
    END IF;
    RETURN v_body;
END
$$;
COMMENT ON FUNCTION api.taxonomy_save(text, bigint, jsonb) IS 'POST (p_id NULL) / PATCH /api/v1/taxonomy/{kind}[/{id}]: create or merge-update an entry (superadmin).';

CREATE OR REPLACE FUNCTION api.taxonomy_delete(p_kind text, p_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_found bigint;
BEGIN
    EXECUTE pg_catalog.format('DELETE FROM catalog.%I WHERE id = $1 RETURNING id', app.taxonomy_table(p_kind))
       INTO v_found USING p_id;
    IF v_found IS NULL THEN
        PERFORM app.raise_problem('OD404', 'taxonomy entry not found');
    END IF;
    RETURN pg_catalog.jsonb_build_object('id', p_id, 'deleted', true);
EXCEPTION WHEN foreign_key_violation THEN
    PERFORM app.raise_problem('OD409', 'the entry is still in use; deactivate it instead (active=false)');
END
$$;
COMMENT ON FUNCTION api.taxonomy_delete(text, bigint) IS 'DELETE /api/v1/taxonomy/{kind}/{id}: removes an unused entry (superadmin); OD409 when in use.';

CREATE OR REPLACE FUNCTION api.synonyms_list(p_domain text DEFAULT NULL, p_cursor text DEFAULT NULL,
                                             p_limit integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_limit integer := app.page_limit(p_limit);
    v_pos   jsonb := app.cursor_decode(p_cursor);
    v_items jsonb;
    v_count bigint;
    v_last  bigint;
BEGIN
    IF v_pos IS NOT NULL AND (v_pos ->> 's' IS DISTINCT FROM 'synonyms' OR pg_catalog.jsonb_typeof(v_pos -> 'i') <> 'number') THEN
        PERFORM app.raise_problem('OD400', 'invalid cursor',
            '[{"field": "cursor", "code": "invalid", "message": "not a cursor of this list"}]');
    END IF;
    IF p_domain IS NOT NULL AND p_domain <> ALL (pg_catalog.enum_range(NULL::ingest.value_domain)::text[]) THEN
        PERFORM app.raise_problem('OD422', 'unknown synonym domain',
            '[{"field": "domain", "code": "invalid", "message": "one of allergen, condition, unit, diet, gender, activity"}]');
    END IF;
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(t) - 'n' ORDER BY t.id) FILTER (WHERE t.n <= v_limit), '[]'),
           pg_catalog.count(*), pg_catalog.max(t.id) FILTER (WHERE t.n = v_limit)
      INTO v_items, v_count, v_last
      FROM (SELECT s.*, pg_catalog.row_number() OVER (ORDER BY s.id) AS n FROM ingest.synonyms_value s
             WHERE (p_domain IS NULL OR s.domain = p_domain::ingest.value_domain)
               AND (v_pos IS NULL OR s.id > (v_pos ->> 'i')::bigint)
             ORDER BY s.id LIMIT v_limit + 1) t;
    RETURN pg_catalog.jsonb_build_object('items', v_items, 'limit', v_limit,
        'next_cursor', CASE WHEN v_count > v_limit THEN app.cursor_encode(pg_catalog.jsonb_build_object('s', 'synonyms', 'i', v_last)) END);
END
$$;
COMMENT ON FUNCTION api.synonyms_list(text, text, integer) IS 'GET /api/v1/synonyms: value synonyms (label word -> canonical code per domain), keyset-paginated.';

CREATE OR REPLACE FUNCTION api.synonym_save(p_id bigint, p_body jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_errors jsonb := app.field_errors_of_patch(p_body, ARRAY['domain', 'canonical', 'synonyms']);
    v_row    ingest.synonyms_value;
BEGIN
    IF v_errors IS NULL AND p_id IS NULL THEN
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('field', f, 'code', 'required', 'message', 'is required'))
          INTO v_errors FROM pg_catalog.unnest(ARRAY['domain', 'canonical']) AS f
         WHERE coalesce(pg_catalog.jsonb_typeof(p_body -> f), 'null') = 'null';
    END IF;
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the body has invalid fields', v_errors);
    END IF;
    IF p_id IS NULL THEN
        INSERT INTO ingest.synonyms_value (domain, canonical, synonyms)
        SELECT r.domain, r.canonical,
               ARRAY(SELECT DISTINCT pg_catalog.lower(pg_catalog.btrim(w)) FROM pg_catalog.unnest(coalesce(r.synonyms, '{}')) AS w)
          FROM pg_catalog.jsonb_populate_record(NULL::ingest.synonyms_value, p_body) r
        RETURNING * INTO v_row;
    ELSE
        SELECT * INTO v_row FROM ingest.synonyms_value WHERE id = p_id FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM app.raise_problem('OD404', 'synonym not found');
        END IF;
        v_row := pg_catalog.jsonb_populate_record(v_row, p_body);
        UPDATE ingest.synonyms_value s
           SET domain = v_row.domain, canonical = v_row.canonical,
               synonyms = ARRAY(SELECT DISTINCT pg_catalog.lower(pg_catalog.btrim(w)) FROM pg_catalog.unnest(v_row.synonyms) AS w)
         WHERE s.id = p_id
        RETURNING s.* INTO v_row;
    END IF;
    RETURN pg_catalog.to_jsonb(v_row);
END
$$;
COMMENT ON FUNCTION api.synonym_save(bigint, jsonb) IS 'POST (p_id NULL) / PATCH /api/v1/synonyms[/{id}]: create or merge-update a value synonym entry (superadmin); words are stored lower case.';

CREATE OR REPLACE FUNCTION api.synonym_delete(p_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM ingest.synonyms_value WHERE id = p_id;
    IF NOT FOUND THEN
        PERFORM app.raise_problem('OD404', 'synonym not found');
    END IF;
    RETURN pg_catalog.jsonb_build_object('id', p_id, 'deleted', true);
END
$$;
COMMENT ON FUNCTION api.synonym_delete(bigint) IS 'DELETE /api/v1/synonyms/{id} (superadmin).';

CREATE OR REPLACE FUNCTION api.vendor_list(p_status text DEFAULT NULL, p_cursor text DEFAULT NULL,
                                           p_limit integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_limit integer := app.page_limit(p_limit);
    v_pos   jsonb := app.cursor_decode(p_cursor);
    v_items jsonb;
    v_count bigint;
    v_last  jsonb;
BEGIN
    IF NOT app.is_superadmin() THEN
        PERFORM app.raise_problem('OD403', 'only a platform superadmin lists vendors');
    END IF;
    IF v_pos IS NOT NULL AND v_pos ->> 's' IS DISTINCT FROM 'vendors' THEN
        PERFORM app.raise_problem('OD400', 'invalid cursor',
            '[{"field": "cursor", "code": "invalid", "message": "not a cursor of this list"}]');
    END IF;
    IF p_status IS NOT NULL AND p_status <> ALL (pg_catalog.enum_range(NULL::core.vendor_status)::text[]) THEN
        PERFORM app.raise_problem('OD422', 'unknown status',
            '[{"field": "status", "code": "invalid", "message": "one of active, suspended, offboarded"}]');
    END IF;
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(t) - 'n' ORDER BY t.n) FILTER (WHERE t.n <= v_limit), '[]'),
           pg_catalog.count(*),
           (pg_catalog.array_agg(pg_catalog.jsonb_build_object('s', 'vendors', 'c', t.created_at, 'i', t.id)) FILTER (WHERE t.n = v_limit))[1]
      INTO v_items, v_count, v_last
      FROM (SELECT v.*, pg_catalog.row_number() OVER (ORDER BY v.created_at, v.id) AS n FROM core.vendors v
             WHERE (p_status IS NULL OR v.status = p_status::core.vendor_status)
               AND (v_pos IS NULL OR (v.created_at, v.id) > ((v_pos ->> 'c')::timestamptz, (v_pos ->> 'i')::uuid))
             ORDER BY v.created_at, v.id LIMIT v_limit + 1) t;
    RETURN pg_catalog.jsonb_build_object('items', v_items, 'limit', v_limit,
        'next_cursor', CASE WHEN v_count > v_limit THEN app.cursor_encode(v_last) END);
END
$$;
COMMENT ON FUNCTION api.vendor_list(text, text, integer) IS 'GET /api/v1/admin/vendors (superadmin): vendors by creation, keyset-paginated.';

CREATE OR REPLACE FUNCTION api.vendor_get(p_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_body jsonb;
BEGIN
    SELECT pg_catalog.to_jsonb(v) INTO v_body FROM core.vendors v
     WHERE v.id = p_id AND (app.is_superadmin() OR v.id = app.current_vendor_id());
    IF v_body IS NULL THEN
        PERFORM app.raise_problem('OD404', 'vendor not found');
    END IF;
    RETURN v_body;
END
$$;
COMMENT ON FUNCTION api.vendor_get(uuid) IS 'GET /api/v1/admin/vendors/{id}: a vendor (superadmin, or the caller''s own vendor).';

CREATE OR REPLACE FUNCTION api.vendor_save(p_id uuid, p_body jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_errors jsonb := app.field_errors_of_patch(p_body, ARRAY['name', 'status', 'settings_json']);
    v_row    core.vendors;
BEGIN
    IF NOT app.is_superadmin() THEN
        PERFORM app.raise_problem('OD403', 'only a platform superadmin manages vendors');
    END IF;
    IF v_errors IS NULL AND p_id IS NULL AND coalesce(pg_catalog.jsonb_typeof(p_body -> 'name'), 'null') = 'null' THEN
        v_errors := '[{"field": "name", "code": "required", "message": "is required"}]';
    END IF;
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the body has invalid fields', v_errors);
    END IF;
    IF p_id IS NULL THEN
        -- Creating the vendor creates its partitions (trigger core.vendor_created).
        INSERT INTO core.vendors (name, status, settings_json)
        SELECT r.name, coalesce(r.status, 'active'), coalesce(r.settings_json, '{}')
          FROM pg_catalog.jsonb_populate_record(NULL::core.vendors, p_body) r
        RETURNING * INTO v_row;
    ELSE
        SELECT * INTO v_row FROM core.vendors WHERE id = p_id FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM app.raise_problem('OD404', 'vendor not found');
        END IF;
        v_row := pg_catalog.jsonb_populate_record(v_row, p_body);
        UPDATE core.vendors v SET name = v_row.name, status = v_row.status, settings_json = v_row.settings_json
         WHERE v.id = p_id RETURNING v.* INTO v_row;
    END IF;
    PERFORM audit.record(CASE WHEN p_id IS NULL THEN 'vendor_create' ELSE 'vendor_update' END,
                         'core.vendors', v_row.id::text, v_row.id, NULL, pg_catalog.to_jsonb(v_row));
    RETURN pg_catalog.to_jsonb(v_row);
END
$$;
COMMENT ON FUNCTION api.vendor_save(uuid, jsonb) IS 'POST (p_id NULL) / PATCH /api/v1/admin/vendors[/{id}] (superadmin): create (with partitions) or update a vendor; audited.';

-- Memberships. definer-rights: it may create the member's shadow user; it checks the caller itself.
CREATE OR REPLACE FUNCTION app.member_scope(p_vendor_id uuid)
RETURNS uuid
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor uuid := coalesce(p_vendor_id, app.current_vendor_id());
BEGIN
    IF app.is_superadmin() THEN
        IF v_vendor IS NULL THEN
            PERFORM app.raise_problem('OD400', 'which vendor? use /api/v1/admin/vendors/{vendor_id}/members');
        END IF;
        IF NOT EXISTS (SELECT FROM core.vendors v WHERE v.id = v_vendor) THEN
            PERFORM app.raise_problem('OD404', 'vendor not found');
        END IF;
        RETURN v_vendor;
    END IF;
    IF v_vendor IS DISTINCT FROM app.current_vendor_id() THEN
        PERFORM app.raise_problem('OD404', 'vendor not found');
    END IF;
    IF app.current_app_role() IS DISTINCT FROM 'vendor_admin' THEN
        PERFORM app.raise_problem('OD403', 'only a vendor_admin (or a superadmin) manages memberships');
    END IF;
    RETURN v_vendor;
END
$$;
COMMENT ON FUNCTION app.member_scope(uuid) IS 'The vendor whose memberships the caller may manage: its own as vendor_admin, any as superadmin; OD403/OD404 otherwise.';

CREATE OR REPLACE FUNCTION api.member_list(p_vendor_id uuid DEFAULT NULL, p_cursor text DEFAULT NULL,
                                           p_limit integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.member_scope(p_vendor_id);
    v_limit  integer := app.page_limit(p_limit);
    v_pos    jsonb := app.cursor_decode(p_cursor);
    v_items  jsonb;
    v_count  bigint;
    v_last   text;
BEGIN
    IF v_pos IS NOT NULL AND v_pos ->> 's' IS DISTINCT FROM 'members' THEN
        PERFORM app.raise_problem('OD400', 'invalid cursor',
            '[{"field": "cursor", "code": "invalid", "message": "not a cursor of this list"}]');
    END IF;
    PERFORM pg_catalog.set_config('odyssey.vendor_id', v_vendor::text, true);
    SELECT coalesce(pg_catalog.jsonb_agg(t.j ORDER BY t.user_id) FILTER (WHERE t.n <= v_limit), '[]'),
           pg_catalog.count(*), pg_catalog.max(t.user_id) FILTER (WHERE t.n = v_limit)
      INTO v_items, v_count, v_last
      FROM (SELECT l.user_id, pg_catalog.row_number() OVER (ORDER BY l.user_id) AS n,
                   pg_catalog.jsonb_build_object('user_id', l.user_id, 'vendor_id', l.vendor_id, 'role', l.role,
                                                 'status', l.status, 'email', u.email, 'display_name', u.display_name,
                                                 'created_at', l.created_at, 'updated_at', l.updated_at) AS j
              FROM core.user_links l JOIN core.users u ON u.id = l.user_id
             WHERE l.vendor_id = v_vendor AND (v_pos IS NULL OR l.user_id > v_pos ->> 'i')
             ORDER BY l.user_id LIMIT v_limit + 1) t;
    RETURN pg_catalog.jsonb_build_object('items', v_items, 'limit', v_limit,
        'next_cursor', CASE WHEN v_count > v_limit THEN app.cursor_encode(pg_catalog.jsonb_build_object('s', 'members', 'i', v_last)) END);
END
$$;
COMMENT ON FUNCTION api.member_list(uuid, text, integer) IS 'GET /api/v1/members (vendor_admin) or /api/v1/admin/vendors/{id}/members (superadmin).';

CREATE OR REPLACE FUNCTION api.member_put(p_vendor_id uuid, p_user_id text, p_body jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.member_scope(p_vendor_id);
    v_errors jsonb := app.field_errors_of_patch(p_body, ARRAY['role', 'status', 'email', 'display_name']);
    v_link   core.user_links;
BEGIN
    IF p_user_id = app.current_user_id() AND NOT app.is_superadmin() THEN
        PERFORM app.raise_problem('OD403', 'you cannot change or remove your own membership; ask another admin');
    END IF;
    IF v_errors IS NULL THEN
        SELECT pg_catalog.jsonb_agg(e) INTO v_errors FROM (
            SELECT '{"field": "role", "code": "invalid", "message": "one of vendor_admin, vendor_operator, vendor_viewer"}'::jsonb AS e
             WHERE coalesce(p_body ->> 'role', '') NOT IN ('vendor_admin', 'vendor_operator', 'vendor_viewer')
            UNION ALL
            SELECT '{"field": "status", "code": "invalid", "message": "one of active, invited, disabled"}'::jsonb
             WHERE p_body ? 'status' AND coalesce(p_body ->> 'status', '') NOT IN ('active', 'invited', 'disabled')
            UNION ALL
            SELECT '{"field": "email", "code": "required", "message": "is required for a user Odyssey does not know yet"}'::jsonb
             WHERE p_body ->> 'email' IS NULL AND NOT EXISTS (SELECT FROM core.users u WHERE u.id = p_user_id)) x;
    END IF;
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the body has invalid fields', v_errors);
    END IF;
    IF NOT EXISTS (SELECT FROM core.users u WHERE u.id = p_user_id) THEN
        INSERT INTO core.users (id, email, display_name) VALUES (p_user_id, p_body ->> 'email', p_body ->> 'display_name');
    END IF;
    PERFORM pg_catalog.set_config('odyssey.vendor_id', v_vendor::text, true);
    INSERT INTO core.user_links AS l (user_id, vendor_id, role, status)
    VALUES (p_user_id, v_vendor, (p_body ->> 'role')::core.app_role,
            coalesce(p_body ->> 'status', 'active')::core.link_status)
    ON CONFLICT (user_id, vendor_id) DO UPDATE
       SET role = EXCLUDED.role, status = CASE WHEN p_body ? 'status' THEN EXCLUDED.status ELSE l.status END
    RETURNING l.* INTO v_link;
    RETURN pg_catalog.jsonb_build_object('user_id', v_link.user_id, 'vendor_id', v_link.vendor_id,
        'role', v_link.role, 'status', v_link.status, 'created_at', v_link.created_at, 'updated_at', v_link.updated_at);
END
$$;
COMMENT ON FUNCTION api.member_put(uuid, text, jsonb) IS 'PUT /api/v1/members/{user_id}: add a member or change their role/status (vendor_admin in its vendor, or superadmin); audited by trigger.';

CREATE OR REPLACE FUNCTION api.member_remove(p_vendor_id uuid, p_user_id text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.member_scope(p_vendor_id);
BEGIN
    IF p_user_id = app.current_user_id() AND NOT app.is_superadmin() THEN
        PERFORM app.raise_problem('OD403', 'you cannot change or remove your own membership; ask another admin');
    END IF;
    PERFORM pg_catalog.set_config('odyssey.vendor_id', v_vendor::text, true);
    DELETE FROM core.user_links l WHERE l.vendor_id = v_vendor AND l.user_id = p_user_id;
    IF NOT FOUND THEN
        PERFORM app.raise_problem('OD404', 'membership not found');
    END IF;
    RETURN pg_catalog.jsonb_build_object('user_id', p_user_id, 'vendor_id', v_vendor, 'deleted', true);
END
$$;
COMMENT ON FUNCTION api.member_remove(uuid, text) IS 'DELETE /api/v1/members/{user_id}: remove a membership (vendor_admin in its vendor, or superadmin); audited by trigger.';

GRANT EXECUTE ON FUNCTION app.taxonomy_table(text), app.member_scope(uuid) TO PUBLIC;
GRANT EXECUTE ON FUNCTION api.taxonomy_list(text, boolean, text, integer), api.taxonomy_get(text, bigint),
      api.synonyms_list(text, text, integer), api.vendor_get(uuid)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
GRANT EXECUTE ON FUNCTION api.taxonomy_save(text, bigint, jsonb), api.taxonomy_delete(text, bigint),
      api.synonym_save(bigint, jsonb), api.synonym_delete(bigint),
      api.vendor_list(text, text, integer), api.vendor_save(uuid, jsonb)
   TO odyssey_superadmin;
GRANT EXECUTE ON FUNCTION api.member_list(uuid, text, integer), api.member_put(uuid, text, jsonb),
      api.member_remove(uuid, text)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;

COMMIT;
