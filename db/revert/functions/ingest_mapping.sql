-- Revert odyssey:functions/ingest_mapping to pg
-- requires: schema/ref_header_synonyms
-- requires: schema/ingest_pipeline
-- Header auto-map of a CSV file (PRD §4.2 synonyms_header / vendor_mappings, §11.4):
--   1. the vendor's own mapping (highest version of (vendor, mode)) wins: {"Height": {"field":
--      "height_cm", "ops": ["ft_in_to_cm"]}}, {"Internal code": {"field": null}} ignores a column;
--   2. else the header dictionary (ingest.match_header) with its transform ops;
--   3. two columns for one field: the vendor's mapping, then a header that is the field's own
--      name, then the higher confidence, then the leftmost column wins; the others are ignored;
--   4. a products file without an external_id column is keyed on its barcode column.
-- A file without a mode's required columns is rejected as a whole (nothing is staged).
-- Numbers are read with the file's decimal separator ("1,234" is 1234 in a '.' file, 1.234 in a
-- ',' file), found from its first chunk by ingest.decimal_sql, and staged in '.' notation.
BEGIN;

-- The reworked change's functions: stage_sql with a source, plan_missing.
DROP FUNCTION IF EXISTS ingest.stage_sql(ingest.mapping_mode, jsonb, text, text);
DROP FUNCTION IF EXISTS ingest.plan_missing(ingest.mapping_mode, jsonb);

CREATE OR REPLACE FUNCTION ingest.required_columns(p_mode ingest.mapping_mode)
RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE p_mode WHEN 'products' THEN ARRAY['external_id', 'name', 'category', 'price']
                       ELSE ARRAY['external_id', 'full_name', 'email'] END
$$;
COMMENT ON FUNCTION ingest.required_columns(ingest.mapping_mode) IS
  'Columns a file of a mode must have (customers also need dob or age per row); brand and description default to empty.';

CREATE OR REPLACE FUNCTION ingest.plan_columns(p_mode ingest.mapping_mode, p_vendor_id uuid, p_headers text[])
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    v_map     jsonb;
    v_plan    jsonb;
    v_missing text[];
BEGIN
    SELECT m.map INTO v_map FROM ingest.vendor_mappings m
     WHERE m.vendor_id = p_vendor_id AND m.mode = p_mode
     ORDER BY m.version DESC LIMIT 1;
    WITH h AS (
        SELECT i, header, ingest.normalize_header(header) AS norm
          FROM unnest(p_headers) WITH ORDINALITY AS u(header, i)
    ), vm AS (
        -- vendor mapping entries by normalized header
        SELECT ingest.normalize_header(e.key) AS norm, e.value AS entry
          FROM jsonb_each(coalesce(v_map, '{}')) AS e
    ), cand AS (
        SELECT h.i, h.header, h.norm,
               CASE WHEN vm.entry IS NOT NULL THEN vm.entry ->> 'field' ELSE d.canonical END AS field,
               CASE WHEN vm.entry IS NOT NULL THEN coalesce(vm.entry -> 'ops', '[]') ELSE coalesce(d.transform_ops, '[]') END AS ops,
               CASE WHEN vm.entry IS NOT NULL THEN 'vendor_mapping' WHEN d.canonical IS NOT NULL THEN 'dictionary' END AS via,
               coalesce(d.confidence, 1) AS confidence
          FROM h
          LEFT JOIN vm ON vm.norm = h.norm
          LEFT JOIN LATERAL (SELECT * FROM ingest.match_header(p_mode, h.header) LIMIT 1) d ON vm.entry IS NULL
    ), ranked AS (
        SELECT c.*, CASE WHEN c.field IS NULL OR c.field <> ALL (ingest.mode_fields(p_mode)) THEN NULL
                         ELSE row_number() OVER (PARTITION BY c.field
                              ORDER BY (c.via = 'vendor_mapping') DESC, (c.norm = c.field) DESC, c.confidence DESC, c.i) END AS rk
          FROM cand c
    )
    SELECT jsonb_agg(jsonb_build_object(
               'i', r.i, 'header', r.header,
               'field', CASE WHEN r.rk = 1 THEN r.field END,
               'ops', CASE WHEN r.rk = 1 THEN r.ops ELSE '[]' END,
               'via', CASE WHEN r.rk = 1 THEN r.via END,
               'ignored', CASE WHEN r.rk > 1 THEN 'another column maps to ' || r.field
                               WHEN r.field IS NOT NULL AND r.rk IS NULL THEN 'unknown field ' || r.field
                               WHEN r.field IS NULL THEN 'no mapping for this header' END)
               ORDER BY r.i)
      INTO v_plan FROM ranked r;
    -- A products file without an external id column (an Open Food Facts export, say) is keyed
    -- on its barcode column.
    IF p_mode = 'products' AND NOT coalesce(v_plan @> '[{"field": "external_id"}]', false) THEN
        v_plan := v_plan || coalesce((SELECT jsonb_agg(c || '{"field": "external_id", "ops": [], "via": "barcode"}')
                                        FROM jsonb_array_elements(v_plan) c WHERE c ->> 'field' = 'barcode'), '[]');
    END IF;
    v_missing := ARRAY(SELECT f FROM unnest(ingest.required_columns(p_mode)) AS f
                        WHERE NOT coalesce(v_plan @> jsonb_build_array(jsonb_build_object('field', f)), false));
    RETURN jsonb_build_object('mode', p_mode, 'columns', coalesce(v_plan, '[]'), 'missing', to_jsonb(v_missing),
                              'ops', coalesce((SELECT jsonb_object_agg(c ->> 'field', c -> 'ops')
                                                 FROM jsonb_array_elements(v_plan) c
                                                WHERE c ->> 'field' IS NOT NULL AND jsonb_array_length(c -> 'ops') > 0), '{}'));
END
$$;
COMMENT ON FUNCTION ingest.plan_columns(ingest.mapping_mode, uuid, text[]) IS
  'The column plan of a file: per header its field (or why it is ignored), transform ops and source (vendor_mapping | dictionary); missing required fields; ops by field.';

CREATE OR REPLACE FUNCTION ingest.numeric_fields(p_mode ingest.mapping_mode)
RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE p_mode
        WHEN 'products' THEN ARRAY['price', 'energy_kcal', 'protein_g', 'fat_g', 'saturated_fat_g', 'trans_fat_g',
                                   'carbohydrates_g', 'sugars_g', 'added_sugars_g', 'fiber_g', 'sodium_mg',
                                   'cholesterol_mg', 'potassium_mg', 'calcium_mg', 'iron_mg']
        ELSE ARRAY['age', 'height_cm', 'weight_kg'] END
$$;
COMMENT ON FUNCTION ingest.numeric_fields(ingest.mapping_mode) IS
  'The staging fields of a mode that hold numbers (read with the file''s decimal separator when staged).';

-- stage_sql of @v0.2.0 had no decimal separator.
DROP FUNCTION IF EXISTS ingest.stage_sql(ingest.mapping_mode, jsonb);

CREATE OR REPLACE FUNCTION ingest.stage_sql(p_mode ingest.mapping_mode, p_plan jsonb, p_decimal text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    -- INSERT of one COPY chunk (pg_temp.ingest_raw: n, c1..cN as in the file) into the mode's
    -- staging table: mapped columns only, transform ops applied (per_100g against the row's
    -- serving_size column when the file has one), numbers read with the file's decimal separator
    -- and staged in one notation (ingest.number_text). $1 job, $2 vendor, $3 row base.
    WITH c AS (
        SELECT (e ->> 'i')::int AS i, e ->> 'field' AS field, e -> 'ops' AS ops
          FROM jsonb_array_elements(p_plan -> 'columns') AS e
         WHERE e ->> 'field' IS NOT NULL
    ), serving AS (
        SELECT coalesce((SELECT 'r.c' || i FROM c WHERE field = 'serving_size'), 'NULL') AS expr
    )
    SELECT format('INSERT INTO ingest.%I (vendor_id, job_id, row_no%s) SELECT $2, $1, $3 + r.n%s FROM pg_temp.ingest_raw r',
                  CASE p_mode WHEN 'products' THEN 'stg_products' ELSE 'stg_customers' END,
                  string_agg(', ' || quote_ident(c.field), '' ORDER BY c.i),
                  string_agg(CASE WHEN jsonb_array_length(c.ops) > 0
                                  THEN format(', ingest.apply_ops(r.c%s, %L, %s, %L)', c.i, c.ops, serving.expr, p_decimal)
                                  WHEN c.field = ANY (ingest.numeric_fields(p_mode))
                                  THEN format(', ingest.number_text(r.c%s, %L)', c.i, p_decimal)
                                  ELSE ', r.c' || c.i END,
                             '' ORDER BY c.i))
      FROM c, serving
$$;
COMMENT ON FUNCTION ingest.stage_sql(ingest.mapping_mode, jsonb, text) IS
  'The INSERT that moves a COPY chunk from pg_temp.ingest_raw into stg_products/stg_customers by the column plan, applying transform ops and reading numbers with the decimal separator p_decimal.';

CREATE OR REPLACE FUNCTION ingest.decimal_sql(p_mode ingest.mapping_mode, p_plan jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    -- The query that reads a file's decimal separator from a COPY chunk (pg_temp.ingest_raw):
    -- the separator that most of the number cells of its first 10,000 records prove
    -- (ingest.decimal_evidence), NULL when none proves one.
    SELECT format('SELECT e FROM (SELECT ingest.decimal_evidence(v.x) AS e FROM pg_temp.ingest_raw r, '
                  'LATERAL (VALUES %s) AS v(x) WHERE r.n <= 10000) AS d '
                  'WHERE e IS NOT NULL GROUP BY e ORDER BY count(*) DESC, e LIMIT 1',
                  coalesce(string_agg(format('(r.c%s)', (e ->> 'i')::int), ', ' ORDER BY (e ->> 'i')::int), '(NULL::text)'))
      FROM jsonb_array_elements(p_plan -> 'columns') AS e
     WHERE e ->> 'field' = ANY (ingest.numeric_fields(p_mode))
$$;
COMMENT ON FUNCTION ingest.decimal_sql(ingest.mapping_mode, jsonb) IS
  'The query that finds the decimal separator a COPY chunk''s number columns prove (most votes of ingest.decimal_evidence over its first 10,000 records), NULL when none does.';

GRANT EXECUTE ON FUNCTION ingest.required_columns(ingest.mapping_mode),
      ingest.plan_columns(ingest.mapping_mode, uuid, text[]), ingest.numeric_fields(ingest.mapping_mode),
      ingest.stage_sql(ingest.mapping_mode, jsonb, text), ingest.decimal_sql(ingest.mapping_mode, jsonb)
   TO odyssey_worker, odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;

COMMIT;
