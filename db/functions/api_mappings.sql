-- Deploy odyssey:functions/api_mappings to pg
-- requires: schema/vendor_mapping_options
-- requires: functions/ingest_mapping
-- requires: functions/header_normalize
-- requires: functions/ingest_csv_format
-- requires: functions/api_gateway
-- requires: functions/api_products
-- requires: functions/audit_trail
-- A vendor's own header mapping (PRD §4.2 vendor_mappings: "a vendor override wins"), per mode:
--   GET /api/v1/mappings/{mode}           the version in force (version 0, an empty map: none yet)
--   PUT /api/v1/mappings/{mode}           a new version: {"map": {"<header>": {"field": <canonical> | null,
--                                         "ops": [<transform op>, ...]}}, "options": {"decimal": "." | ","}};
--                                         field null ignores the column; audited
--   GET /api/v1/mappings/{mode}/preview?header_line=...  how a header line would map now (ingest.plan_columns:
--                                         field, ops, via vendor_mapping | dictionary, or why ignored;
--                                         required fields missing)
-- Versions are kept (the highest applies, as ingest.plan_columns reads them); a job keeps the plan
-- it was made with.
BEGIN;

CREATE OR REPLACE FUNCTION ingest.mapping_json(p_mode ingest.mapping_mode, p_mapping ingest.vendor_mappings)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.jsonb_build_object(
        'mode', p_mode, 'version', coalesce(p_mapping.version, 0), 'map', coalesce(p_mapping.map, '{}'),
        'options', coalesce(p_mapping.options, '{}'), 'created_by', p_mapping.created_by,
        'updated_at', p_mapping.updated_at)
$$;
COMMENT ON FUNCTION ingest.mapping_json(ingest.mapping_mode, ingest.vendor_mappings) IS
  'The API form of a vendor''s mapping version (version 0 and an empty map when there is none).';

CREATE OR REPLACE FUNCTION ingest.mapping_mode_of(p_mode text)
RETURNS ingest.mapping_mode
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_mode IS NULL OR p_mode NOT IN ('products', 'customers') THEN
        PERFORM app.raise_problem('OD404', 'no mapping mode ' || coalesce(p_mode, '') || ' (products or customers)');
    END IF;
    RETURN p_mode::ingest.mapping_mode;
END
$$;
COMMENT ON FUNCTION ingest.mapping_mode_of(text) IS 'The mapping mode of a path segment; OD404 for anything but products or customers.';

CREATE OR REPLACE FUNCTION ingest.mapping_errors(p_mode ingest.mapping_mode, p_body jsonb)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN p_body IS NULL OR pg_catalog.jsonb_typeof(p_body) <> 'object' THEN app.field_errors_of_patch(p_body, '{}')
      ELSE nullif(coalesce(app.field_errors_of_patch(p_body, ARRAY['map', 'options', 'mode', 'version', 'created_by', 'updated_at']), '[]')
               || coalesce((SELECT pg_catalog.jsonb_agg(e) FROM (
        SELECT '{"field": "map", "code": "required", "message": "an object of header -> {field, ops}"}'::jsonb AS e
         WHERE pg_catalog.jsonb_typeof(p_body -> 'map') IS DISTINCT FROM 'object'
        UNION ALL
        SELECT '{"field": "map", "code": "too_long", "message": "at most 500 headers"}'
         WHERE pg_catalog.jsonb_typeof(p_body -> 'map') = 'object'
           AND (SELECT count(*) FROM pg_catalog.jsonb_object_keys(p_body -> 'map')) > 500
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('field', 'map.' || m.key, 'code', 'invalid', 'message', x.msg)
          FROM pg_catalog.jsonb_each(CASE WHEN pg_catalog.jsonb_typeof(p_body -> 'map') = 'object' THEN p_body -> 'map' ELSE '{}' END) m
         CROSS JOIN LATERAL (
               SELECT 'a header of 1 to 200 characters' AS msg WHERE length(btrim(m.key)) NOT BETWEEN 1 AND 200
               UNION ALL
               SELECT 'an object {"field": <canonical field or null>, "ops": [...]}, without other keys'
                WHERE pg_catalog.jsonb_typeof(m.value) <> 'object' OR NOT (m.value ? 'field')
                   OR EXISTS (SELECT FROM pg_catalog.jsonb_object_keys(CASE WHEN pg_catalog.jsonb_typeof(m.value) = 'object'
                                                                         THEN m.value ELSE '{}' END) k WHERE k NOT IN ('field', 'ops'))
               UNION ALL
               SELECT 'field ' || (m.value ->> 'field') || ' is not a ' || p_mode::text || ' field (' ||
                      pg_catalog.array_to_string(ingest.mode_fields(p_mode), ', ') || ')'
                WHERE pg_catalog.jsonb_typeof(m.value -> 'field') = 'string'
                  AND NOT (m.value ->> 'field') = ANY (ingest.mode_fields(p_mode))
               UNION ALL
               SELECT 'field must be a string or null'
                WHERE pg_catalog.jsonb_typeof(m.value -> 'field') NOT IN ('string', 'null')
               UNION ALL
               SELECT 'ops must be a list of ' || pg_catalog.array_to_string(ingest.known_transform_ops(), ', ')
                WHERE m.value ? 'ops' AND NOT (pg_catalog.jsonb_typeof(m.value -> 'ops') = 'array'
                      AND NOT EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(m.value -> 'ops') o
                                       WHERE pg_catalog.jsonb_typeof(o) <> 'string' OR NOT (o #>> '{}') = ANY (ingest.known_transform_ops())))) x
        UNION ALL
        SELECT '{"field": "options", "code": "invalid", "message": "an object: {\"decimal\": \".\" or \",\" or null}"}'
         WHERE p_body ? 'options' AND NOT (pg_catalog.jsonb_typeof(p_body -> 'options') = 'object'
               AND NOT EXISTS (SELECT FROM pg_catalog.jsonb_object_keys(p_body -> 'options') k WHERE k <> 'decimal')
               AND coalesce(p_body -> 'options' -> 'decimal', 'null') IN ('"."', '","', 'null'))) y), '[]'),
             '[]') END
$$;
COMMENT ON FUNCTION ingest.mapping_errors(ingest.mapping_mode, jsonb) IS 'Field errors of a mapping PUT body; NULL when none.';

CREATE OR REPLACE FUNCTION api.mapping_get(p_mode text)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT ingest.mapping_json(ingest.mapping_mode_of(p_mode),
                               (SELECT m FROM ingest.vendor_mappings m
                                 WHERE m.vendor_id = app.require_vendor() AND m.mode = ingest.mapping_mode_of(p_mode)
                                 ORDER BY m.version DESC LIMIT 1))
$$;
COMMENT ON FUNCTION api.mapping_get(text) IS 'GET /api/v1/mappings/{mode}: the vendor''s header mapping in force for files of that mode.';

CREATE OR REPLACE FUNCTION api.mapping_put(p_mode text, p_body jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_mode   ingest.mapping_mode := ingest.mapping_mode_of(p_mode);
    v_errors jsonb := ingest.mapping_errors(v_mode, p_body);
    v_before ingest.vendor_mappings;
    v_after  ingest.vendor_mappings;
BEGIN
    IF v_errors IS NOT NULL THEN
        PERFORM app.raise_problem('OD422', 'the body has invalid fields', v_errors);
    END IF;
    -- Versions of one (vendor, mode) are numbered in turn: two PUTs at once take turns here.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('ingest.mapping_put'), pg_catalog.hashtext(v_vendor::text || v_mode::text));
    SELECT m.* INTO v_before FROM ingest.vendor_mappings m
     WHERE m.vendor_id = v_vendor AND m.mode = v_mode ORDER BY m.version DESC LIMIT 1;
    INSERT INTO ingest.vendor_mappings AS m (vendor_id, mode, map, options, version, created_by)
    VALUES (v_vendor, v_mode,
            (SELECT coalesce(pg_catalog.jsonb_object_agg(e.key, pg_catalog.jsonb_build_object('field', e.value -> 'field',
                                                                                               'ops', coalesce(e.value -> 'ops', '[]'))), '{}')
               FROM pg_catalog.jsonb_each(p_body -> 'map') e),
            pg_catalog.jsonb_strip_nulls(coalesce(p_body -> 'options', '{}')), coalesce(v_before.version, 0) + 1, app.current_user_id())
    RETURNING m.* INTO v_after;
    PERFORM audit.record('mapping_put', 'ingest.vendor_mappings', v_mode::text, v_vendor,
                         CASE WHEN v_before.id IS NOT NULL THEN ingest.mapping_json(v_mode, v_before) END, ingest.mapping_json(v_mode, v_after));
    RETURN ingest.mapping_json(v_mode, v_after);
END
$$;
COMMENT ON FUNCTION api.mapping_put(text, jsonb) IS
  'PUT /api/v1/mappings/{mode}: a new version of the vendor''s header mapping (map: header -> {field, ops}; options.decimal), in force for files planned from now on; audited. OD422 with field errors.';

CREATE OR REPLACE FUNCTION api.mapping_preview(p_mode text, p_header_line text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_mode    ingest.mapping_mode := ingest.mapping_mode_of(p_mode);
    v_format  jsonb;
    v_plan    jsonb;
BEGIN
    -- The header line as a file would have it: its delimiter is sniffed and quoted headers may hold
    -- the delimiter ("Price, EUR").
    IF coalesce(btrim(p_header_line), '') = '' OR length(p_header_line) > 20000 THEN
        PERFORM app.raise_problem('OD422', 'give the file''s header line',
                                  '[{"field": "header_line", "code": "required", "message": "the first line of a file, at most 20,000 characters"}]');
    END IF;
    v_format := ingest.sniff_csv(pg_catalog.convert_to(p_header_line || E'\n', 'UTF8'));
    v_plan := ingest.plan_columns(v_mode, app.require_vendor(), ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_format -> 'header')));
    RETURN pg_catalog.jsonb_build_object('mode', v_mode, 'delimiter', v_format -> 'delimiter', 'columns', v_plan -> 'columns',
                                         'missing', v_plan -> 'missing');
END
$$;
COMMENT ON FUNCTION api.mapping_preview(text, text) IS
  'GET /api/v1/mappings/{mode}/preview?header_line=...: how a file with this header line would be mapped now (per header: field, ops, via vendor_mapping | dictionary | barcode, or why it is ignored; required fields missing).';

GRANT EXECUTE ON FUNCTION ingest.mapping_json(ingest.mapping_mode, ingest.vendor_mappings),
      ingest.mapping_mode_of(text), api.mapping_get(text), api.mapping_preview(text, text)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
-- The preview reads a header line as the worker reads a file's first bytes, and plans it as a job does.
GRANT EXECUTE ON FUNCTION ingest.sniff_csv(bytea), ingest.csv_split(text, text), ingest.csv_count_outside_quotes(text, text)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;
GRANT EXECUTE ON FUNCTION ingest.plan_columns(ingest.mapping_mode, uuid, text[]), ingest.required_columns(ingest.mapping_mode),
      ingest.plan_missing(ingest.mapping_mode, jsonb)
   TO odyssey_vendor_viewer;
GRANT EXECUTE ON FUNCTION ingest.mapping_errors(ingest.mapping_mode, jsonb), api.mapping_put(text, jsonb)
   TO odyssey_superadmin, odyssey_vendor_admin;

COMMIT;
