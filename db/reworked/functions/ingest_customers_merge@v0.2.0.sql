-- Deploy odyssey:functions/ingest_customers_merge to pg
-- requires: functions/ingest_products_merge
-- requires: functions/health_derivations
-- Customers mode of CSV ingestion: type and validate one batch of staged rows, report the bad
-- rows, and merge the good ones into customers and their health profiles (derivations by the
-- profile trigger, as for the API). A row is applied whole or not at all: when its health profile
-- is refused, its customer change is undone with it. The row rules:
--   external_id required, <= 255    full_name required, <= 300    email required, an address
--   dob         YYYY-MM-DD, 1900-01-01..today; age 0..130; one of the two is required
--   gender      value-synonym normalized (m, woman, nb, ...), default unspecified
--   location    a JSON object, or text kept as {"text": ...}; phone +digits ( ) . - space
--   custom_tags a ; , | list
--   health      when any of height_cm, weight_kg, activity_level, conditions, diet_goals,
--               avoid_allergens, macro_targets is given: height_cm, weight_kg (numbers, unit ops
--               applied at staging: ft/in, lb) and activity_level (synonym normalized) are required;
--               ranges and codes are the profile's own (health.profile_before_write).
BEGIN;

-- try_date and try_json_object catch a failed cast in an exception block. Checking a date by hand
-- instead (month lengths, leap years) measured 3x slower per cell than entering the block, and
-- PostgreSQL 15 has no non-raising JSON input test (pg_input_is_valid is 16). But a block is a
-- subtransaction, which no process may start while a parallel query runs, so both are PARALLEL
-- UNSAFE: a batch's typing query is never planned parallel around them (a 100k-row batch was, and
-- failed). STRICT: empty cells never enter the block.
CREATE OR REPLACE FUNCTION ingest.try_date(p_text text)
RETURNS date
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL UNSAFE
AS $$
BEGIN
    IF btrim(p_text) !~ '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$' THEN
        RETURN NULL;
    END IF;
    RETURN to_date(btrim(p_text), 'YYYY-MM-DD');
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ingest.try_date(text) IS 'An ISO date cell (YYYY-MM-DD) as a date; NULL when it is not a valid one.';

CREATE OR REPLACE FUNCTION ingest.try_json_object(p_text text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL UNSAFE
AS $$
DECLARE
    v_json jsonb;
BEGIN
    v_json := p_text::jsonb;
    RETURN CASE WHEN jsonb_typeof(v_json) = 'object' THEN v_json END;
EXCEPTION WHEN invalid_text_representation THEN
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ingest.try_json_object(text) IS 'A cell holding a JSON object, as jsonb; NULL when it is not one.';

CREATE OR REPLACE FUNCTION ingest.apply_typed_batch(p_job_id uuid, p_vendor_id uuid, p_mode ingest.job_mode,
                                                    p_from bigint, p_to bigint)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_stg       text := CASE p_mode WHEN 'products' THEN 'ingest.stg_products' ELSE 'ingest.stg_customers' END;
    v_rows      bigint;
    v_bad       bigint[];
    v_rejected  bigint;
    v_inserted  bigint := 0;
    v_updated   bigint := 0;
    v_fallback  boolean := false;
    r           record;
BEGIN
    -- The second half of a merge batch, for either mode, once ingest.merge_products/_customers
    -- have typed and checked the batch into pg_temp.ingest_typed (errs: 'field:code' items):
    -- 1. every bad row reported, field by field, with the row's staged values;
    SELECT count(*), coalesce(array_agg(t.row_no) FILTER (WHERE cardinality(t.errs) > 0), '{}')
      INTO v_rows, v_bad FROM pg_temp.ingest_typed t;
    v_rejected := cardinality(v_bad);
    EXECUTE format('INSERT INTO ingest.ingestion_job_errors (vendor_id, job_id, row_no, field, code, message, raw)
                    SELECT $1, $2, t.row_no, split_part(e, '':'', 1), split_part(e, '':'', 2),
                           ingest.row_error_message(split_part(e, '':'', 1), split_part(e, '':'', 2)),
                           ingest.staged_raw(to_jsonb(st))
                      FROM %s st JOIN pg_temp.ingest_typed t ON t.row_no = st.row_no, unnest(t.errs) AS e
                     WHERE st.vendor_id = $1 AND st.job_id = $2 AND st.row_no = ANY ($3)', v_stg)
       USING p_vendor_id, p_job_id, v_bad;
    -- 2. the good rows upserted in one statement; should the database still refuse one (a
    --    constraint no check anticipates, a health profile the profile trigger refuses), the batch
    --    is redone row by row so that only that row is rejected, whole;
    BEGIN
        SELECT * INTO v_inserted, v_updated FROM ingest.upsert_typed(p_mode, p_job_id, p_vendor_id, NULL);
    EXCEPTION WHEN integrity_constraint_violation OR data_exception OR check_violation OR unique_violation THEN
        v_fallback := true;
    END;
    IF v_fallback THEN
        v_inserted := 0;
        v_updated := 0;
        FOR r IN SELECT row_no FROM pg_temp.ingest_typed WHERE cardinality(errs) = 0 ORDER BY row_no LOOP
            DECLARE
                v_i bigint; v_u bigint; v_msg text; v_detail text;
            BEGIN
                SELECT * INTO v_i, v_u FROM ingest.upsert_typed(p_mode, p_job_id, p_vendor_id, r.row_no);
                v_inserted := v_inserted + v_i;
                v_updated := v_updated + v_u;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception OR check_violation OR unique_violation THEN
                GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
                EXECUTE format('INSERT INTO ingest.ingestion_job_errors (vendor_id, job_id, row_no, field, code, message, raw)
                                SELECT $1, $2, st.row_no, NULL, ''rejected'', $4, ingest.staged_raw(to_jsonb(st))
                                  FROM %s st WHERE st.vendor_id = $1 AND st.job_id = $2 AND st.row_no = $3', v_stg)
                   USING p_vendor_id, p_job_id, r.row_no, v_msg || coalesce(': ' || nullif(v_detail, ''), '');
                v_rejected := v_rejected + 1;
            END;
        END LOOP;
    END IF;
    -- 3. the batch leaves staging.
    EXECUTE format('DELETE FROM %s st WHERE st.vendor_id = $1 AND st.job_id = $2 AND st.row_no BETWEEN $3 AND $4', v_stg)
       USING p_vendor_id, p_job_id, p_from, p_to;
    DROP TABLE pg_temp.ingest_typed;
    RETURN jsonb_build_object('read', v_rows, 'inserted', v_inserted, 'updated', v_updated,
                              'unchanged', v_rows - v_rejected - v_inserted - v_updated, 'rejected', v_rejected,
                              'row_by_row', v_fallback);
END
$$;
COMMENT ON FUNCTION ingest.apply_typed_batch(uuid, uuid, ingest.job_mode, bigint, bigint) IS
  'Reports the bad rows of a typed merge batch (pg_temp.ingest_typed), upserts the good ones (row by row when the database refuses one), purges the batch from staging; returns its counts.';

CREATE OR REPLACE FUNCTION ingest.upsert_typed(p_mode ingest.job_mode, p_job_id uuid, p_vendor_id uuid, p_row_no bigint)
RETURNS TABLE (inserted bigint, updated bigint)
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_mode = 'products' THEN
        RETURN QUERY SELECT * FROM ingest.upsert_typed_products(p_job_id, p_vendor_id, p_row_no);
    ELSE
        RETURN QUERY SELECT * FROM ingest.upsert_typed_customers(p_vendor_id, p_row_no);
    END IF;
END
$$;
COMMENT ON FUNCTION ingest.upsert_typed(ingest.job_mode, uuid, uuid, bigint) IS
  'The mode''s upsert of the valid typed rows of a merge batch (all, or one row).';

CREATE OR REPLACE FUNCTION ingest.merge_customers(p_job_id uuid, p_vendor_id uuid, p_from bigint, p_to bigint)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp.ingest_typed;
    CREATE TEMP TABLE ingest_typed ON COMMIT DROP AS
    WITH s AS (
        SELECT * FROM ingest.stg_customers st
         WHERE st.vendor_id = p_vendor_id AND st.job_id = p_job_id AND st.row_no BETWEEN p_from AND p_to
    ), t AS (
        SELECT s.row_no,
               nullif(btrim(s.external_id), '') AS external_id, nullif(btrim(s.full_name), '') AS full_name,
               nullif(btrim(s.email), '') AS email,
               nullif(btrim(s.dob), '') AS dob_raw, ingest.try_date(s.dob) AS dob,
               nullif(btrim(s.age), '') AS age_raw, ingest.try_numeric(s.age) AS age_n,
               nullif(btrim(s.gender), '') AS gender_raw, ingest.normalize_value('gender', s.gender) AS gender,
               nullif(btrim(s.location), '') AS location_raw,
               CASE WHEN btrim(s.location) LIKE '{%' THEN ingest.try_json_object(s.location)
                    WHEN nullif(btrim(s.location), '') IS NOT NULL THEN jsonb_build_object('text', btrim(s.location))
                    ELSE '{}'::jsonb END AS location,
               nullif(btrim(s.phone), '') AS phone,
               ingest.split_list(s.custom_tags) AS custom_tags,
               coalesce(nullif(btrim(s.height_cm), ''), nullif(btrim(s.weight_kg), ''), nullif(btrim(s.activity_level), ''),
                        nullif(btrim(s.conditions), ''), nullif(btrim(s.diet_goals), ''),
                        nullif(btrim(s.avoid_allergens), ''), nullif(btrim(s.macro_targets), '')) IS NOT NULL AS has_health,
               nullif(btrim(s.height_cm), '') AS height_raw, ingest.try_numeric(s.height_cm) AS height_cm,
               nullif(btrim(s.weight_kg), '') AS weight_raw, ingest.try_numeric(s.weight_kg) AS weight_kg,
               nullif(btrim(s.activity_level), '') AS activity_raw, ingest.normalize_value('activity', s.activity_level) AS activity_level,
               ingest.split_list(s.conditions) AS conditions, ingest.split_list(s.diet_goals) AS diet_goals,
               ingest.split_list(s.avoid_allergens) AS avoid_allergens,
               nullif(btrim(s.macro_targets), '') AS macro_raw,
               coalesce(ingest.try_json_object(nullif(btrim(s.macro_targets), '')), '{}') AS macro_targets
          FROM s
    )
    SELECT t.*,
           array_remove(ARRAY[
               CASE WHEN t.external_id IS NULL THEN 'external_id:required'
                    WHEN length(t.external_id) > 255 THEN 'external_id:too_long' END,
               CASE WHEN t.full_name IS NULL THEN 'full_name:required' WHEN length(t.full_name) > 300 THEN 'full_name:too_long' END,
               CASE WHEN t.email IS NULL THEN 'email:required'
                    WHEN t.email !~* '^[^@\s]+@[^@\s]+\.[^@\s]+$' OR length(t.email) > 320 THEN 'email:bad_value' END,
               CASE WHEN t.dob_raw IS NOT NULL AND t.dob IS NULL THEN 'dob:bad_date'
                    WHEN t.dob < DATE '1900-01-01' OR t.dob > current_date THEN 'dob:out_of_range' END,
               CASE WHEN t.age_raw IS NOT NULL AND (t.age_n IS NULL OR t.age_n <> trunc(t.age_n)) THEN 'age:bad_number'
                    WHEN t.age_n < 0 OR t.age_n > 130 THEN 'age:out_of_range' END,
               CASE WHEN t.dob_raw IS NULL AND t.age_raw IS NULL THEN 'dob:dob_or_age' END,
               CASE WHEN t.gender_raw IS NOT NULL AND t.gender IS NULL THEN 'gender:bad_value' END,
               CASE WHEN t.location_raw IS NOT NULL AND t.location IS NULL THEN 'location:bad_json' END,
               CASE WHEN t.phone !~ '^\+?[0-9][0-9 ().-]{5,24}$' THEN 'phone:bad_value' END,
               CASE WHEN t.has_health AND t.height_raw IS NULL THEN 'height_cm:required'
                    WHEN t.height_raw IS NOT NULL AND t.height_cm IS NULL THEN 'height_cm:bad_number' END,
               CASE WHEN t.has_health AND t.weight_raw IS NULL THEN 'weight_kg:required'
                    WHEN t.weight_raw IS NOT NULL AND t.weight_kg IS NULL THEN 'weight_kg:bad_number' END,
               CASE WHEN t.has_health AND t.activity_raw IS NULL THEN 'activity_level:required'
                    WHEN t.activity_raw IS NOT NULL AND t.activity_level IS NULL THEN 'activity_level:bad_value' END,
               CASE WHEN t.macro_raw IS NOT NULL AND ingest.try_json_object(t.macro_raw) IS NULL THEN 'macro_targets:bad_json' END],
             NULL) AS errs
      FROM t;
    ANALYZE pg_temp.ingest_typed;  -- a fresh temp table has no statistics: plans below need them

    RETURN ingest.apply_typed_batch(p_job_id, p_vendor_id, 'customers', p_from, p_to);
END
$$;
COMMENT ON FUNCTION ingest.merge_customers(uuid, uuid, bigint, bigint) IS
  'Validates staged customer rows p_from..p_to of a job, reports the bad ones, upserts customers and health profiles (a row whole or not at all) and purges the batch from staging.';

CREATE OR REPLACE FUNCTION ingest.upsert_typed_customers(p_vendor_id uuid, p_row_no bigint)
RETURNS TABLE (inserted bigint, updated bigint)
LANGUAGE plpgsql
AS $$
DECLARE
    v_new     uuid[];
    v_changed uuid[];
    v_health  uuid[];
BEGIN
    -- Customers first, then the health profiles of the rows that carry one (validated, normalized
    -- and derived by the profile's trigger, which also runs for EXCLUDED, so the unchanged test
    -- compares normalized values). A customer whose profile alone changed counts as updated.
    WITH w AS (
        INSERT INTO crm.customers AS c (id, vendor_id, external_id, full_name, email, dob, age, gender,
                                        location, phone, custom_tags)
        SELECT crm.customer_id(p_vendor_id, t.external_id), p_vendor_id, t.external_id, t.full_name, t.email,
               t.dob, t.age_n::integer, coalesce(t.gender, 'unspecified')::crm.gender, t.location, t.phone, t.custom_tags
          FROM pg_temp.ingest_typed t
         WHERE cardinality(t.errs) = 0 AND (p_row_no IS NULL OR t.row_no = p_row_no)
        ON CONFLICT (vendor_id, id) DO UPDATE
           SET full_name = EXCLUDED.full_name, email = EXCLUDED.email, dob = EXCLUDED.dob, age = EXCLUDED.age,
               gender = EXCLUDED.gender, location = EXCLUDED.location, phone = EXCLUDED.phone,
               custom_tags = EXCLUDED.custom_tags, soft_deleted_at = NULL
         WHERE c.soft_deleted_at IS NOT NULL
            OR (c.full_name, c.email, c.dob, c.age, c.gender, c.location, c.phone, c.custom_tags)
               IS DISTINCT FROM
               (EXCLUDED.full_name, EXCLUDED.email, EXCLUDED.dob, EXCLUDED.age, EXCLUDED.gender,
                EXCLUDED.location, EXCLUDED.phone, EXCLUDED.custom_tags)
        RETURNING c.id, (c.version = 1) AS is_new
    )
    SELECT coalesce(array_agg(w.id) FILTER (WHERE w.is_new), '{}'), coalesce(array_agg(w.id) FILTER (WHERE NOT w.is_new), '{}')
      INTO v_new, v_changed FROM w;

    WITH h AS (
        INSERT INTO health.customer_health_profiles AS p (vendor_id, customer_id, height_cm, weight_kg, age, gender,
               activity_level, conditions, diet_goals, macro_targets, avoid_allergens, updated_by)
        SELECT p_vendor_id, crm.customer_id(p_vendor_id, t.external_id), t.height_cm, t.weight_kg,
               coalesce(t.age_n::integer, extract(year FROM age(current_date, t.dob))::integer),
               coalesce(t.gender, 'unspecified')::crm.gender, t.activity_level::health.activity_level,
               t.conditions, t.diet_goals, t.macro_targets, t.avoid_allergens, app.current_user_id()
          FROM pg_temp.ingest_typed t
         WHERE cardinality(t.errs) = 0 AND t.has_health AND (p_row_no IS NULL OR t.row_no = p_row_no)
        ON CONFLICT (vendor_id, customer_id) DO UPDATE
           SET height_cm = EXCLUDED.height_cm, weight_kg = EXCLUDED.weight_kg, age = EXCLUDED.age,
               gender = EXCLUDED.gender, activity_level = EXCLUDED.activity_level, conditions = EXCLUDED.conditions,
               diet_goals = EXCLUDED.diet_goals, macro_targets = EXCLUDED.macro_targets,
               avoid_allergens = EXCLUDED.avoid_allergens, updated_by = EXCLUDED.updated_by
         WHERE (p.height_cm, p.weight_kg, p.age, p.gender, p.activity_level, p.conditions, p.diet_goals,
                p.macro_targets, p.avoid_allergens)
               IS DISTINCT FROM
               (EXCLUDED.height_cm, EXCLUDED.weight_kg, EXCLUDED.age, EXCLUDED.gender, EXCLUDED.activity_level,
                EXCLUDED.conditions, EXCLUDED.diet_goals, EXCLUDED.macro_targets, EXCLUDED.avoid_allergens)
        RETURNING p.customer_id
    )
    SELECT coalesce(array_agg(h.customer_id), '{}') INTO v_health FROM h;

    -- Updated: customers changed or whose profile changed, less the new ones. A set difference
    -- (hashed); "x <> ALL (v_new)" compared each id with the new ones one by one: 27 s for a
    -- batch of 100,000 new customers.
    RETURN QUERY
    SELECT cardinality(v_new)::bigint,
           (SELECT count(*) FROM (SELECT unnest(v_changed) UNION SELECT unnest(v_health)
                                  EXCEPT SELECT unnest(v_new)) AS d);
END
$$;
COMMENT ON FUNCTION ingest.upsert_typed_customers(uuid, bigint) IS
  'Upsert of the valid typed rows of a customers merge batch (all, or one row) into customers and health profiles, unchanged rows skipped.';

GRANT EXECUTE ON FUNCTION ingest.try_date(text), ingest.try_json_object(text),
      ingest.apply_typed_batch(uuid, uuid, ingest.job_mode, bigint, bigint), ingest.upsert_typed(ingest.job_mode, uuid, uuid, bigint),
      ingest.merge_customers(uuid, uuid, bigint, bigint), ingest.upsert_typed_customers(uuid, bigint)
   TO odyssey_worker;

COMMIT;
