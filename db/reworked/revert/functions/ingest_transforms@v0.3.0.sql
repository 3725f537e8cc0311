-- Revert odyssey:functions/ingest_transforms from pg: back to the @v0.2.0 cell rules (try_numeric
-- without a decimal separator). Its deploy script follows, after the new signatures are dropped.
-- requires: functions/header_normalize
-- Value-level rules of CSV ingestion: how a text cell becomes a number, a list or a per-serving
-- quantity, and the unit transform ops of ingest.known_transform_ops() (PRD §11.4, notes.md):
--   kj_to_kcal (/4.184), g_to_mg, mg_to_g, salt_g_to_sodium_mg (salt g * 1000 / 2.5 = sodium mg),
--   lb_to_kg, oz_to_g, ft_in_to_cm (5'10", 5 ft 10 in, 5-10), in_to_cm, m_to_cm, and per_100g
--   (scaled to the product's serving when its size is known in grams or millilitres).
BEGIN;

DROP FUNCTION IF EXISTS ingest.number_text(text, text);
DROP FUNCTION IF EXISTS ingest.decimal_evidence(text);
DROP FUNCTION IF EXISTS ingest.apply_ops(text, jsonb, text, text);
DROP FUNCTION IF EXISTS ingest.quantity_grams(text, text);
DROP FUNCTION IF EXISTS ingest.try_numeric(text, text);

CREATE OR REPLACE FUNCTION ingest.try_numeric(p_text text)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- "12", "12.5", "12,5" (decimal comma), "1,234.5" (thousands separators), "+3", ".5"; else NULL.
    -- One expression without FROM, so that the planner inlines it (it runs for every cell).
    SELECT CASE
        WHEN p_text ~ '^\s*[+-]?[0-9]+(\.[0-9]+)?\s*$' THEN p_text::numeric
        WHEN p_text ~ '^\s*[+-]?([0-9]+,[0-9]+|[.,][0-9]+)\s*$' THEN replace(btrim(p_text), ',', '.')::numeric
        WHEN p_text ~ '^\s*[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?\s*$' THEN replace(p_text, ',', '')::numeric
        WHEN p_text ~ '^\s*[+-]?[0-9]{1,3}(\.[0-9]{3})+,[0-9]+\s*$' THEN replace(replace(p_text, '.', ''), ',', '.')::numeric
    END
$$;
COMMENT ON FUNCTION ingest.try_numeric(text) IS
  'A cell as a number ("12,5" and "1,234.5" understood), NULL when it is not one.';

CREATE OR REPLACE FUNCTION ingest.split_list(p_text text)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(btrim(x) ORDER BY i), '{}')
      FROM regexp_split_to_table(p_text, '[;,|]') WITH ORDINALITY AS s(x, i)
     WHERE btrim(x) <> ''
$$;
COMMENT ON FUNCTION ingest.split_list(text) IS 'A list cell ("milk; soy", "vegan,organic", "a|b") as a trimmed array without empty items.';

CREATE OR REPLACE FUNCTION ingest.quantity_grams(p_text text)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- The first "<number> <unit>" of a serving size in grams (ml counted as g); NULL for pieces, cups...
    SELECT ingest.try_numeric(m[1]) * CASE lower(m[2])
               WHEN 'g' THEN 1 WHEN 'mg' THEN 0.001 WHEN 'mcg' THEN 0.000001 WHEN 'kg' THEN 1000
               WHEN 'ml' THEN 1 WHEN 'cl' THEN 10 WHEN 'dl' THEN 100 WHEN 'l' THEN 1000
               WHEN 'oz' THEN 28.349523125 WHEN 'lb' THEN 453.59237 WHEN 'lbs' THEN 453.59237 END
      FROM (SELECT regexp_match(p_text, '^\s*([0-9]+(?:[.,][0-9]+)?)\s*(mcg|mg|g|kg|ml|cl|dl|l|oz|lbs?)\M', 'i') AS m) AS x
$$;
COMMENT ON FUNCTION ingest.quantity_grams(text) IS 'Grams (ml as g) of a quantity such as "30 g", "250 ml", "1.5 oz"; NULL when not a mass or volume.';

CREATE OR REPLACE FUNCTION ingest.ft_in_to_cm(p_text text)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- 5'10", 5' 10'', 5 ft 10 in, 5ft10, 5-10, 5 10, or feet alone (5, 5.5).
    SELECT CASE
        WHEN m IS NOT NULL THEN (m[1]::numeric * 12 + coalesce(m[2]::numeric, 0)) * 2.54
        WHEN ingest.try_numeric(p_text) IS NOT NULL THEN ingest.try_numeric(p_text) * 12 * 2.54
    END
      FROM (SELECT regexp_match(btrim(p_text),
              '^([0-9]+)\s*(?:''|ft\.?|feet|foot|-|\s)\s*(?:([0-9]+(?:\.[0-9]+)?)\s*(?:"|''''|in\.?|inch(?:es)?)?)?$', 'i') AS m) AS x
$$;
COMMENT ON FUNCTION ingest.ft_in_to_cm(text) IS 'Centimetres of a height in feet and inches ("5''10\"", "5 ft 10 in", "5-10"); NULL when unreadable.';

CREATE OR REPLACE FUNCTION ingest.apply_ops(p_value text, p_ops jsonb, p_serving text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    v_op   text;
    v_num  numeric;
    v_g    numeric;
BEGIN
    IF p_value IS NULL OR p_ops IS NULL OR jsonb_array_length(p_ops) = 0 THEN
        RETURN p_value;
    END IF;
    FOR v_op IN SELECT jsonb_array_elements_text(p_ops) LOOP
        IF v_op = 'split_list' THEN
            CONTINUE;                              -- lists are split where the field is typed
        END IF;
        IF v_op IN ('ft_in_to_cm', 'ftin_to_cm') THEN
            v_num := ingest.ft_in_to_cm(coalesce(v_num::text, p_value));
        ELSE
            v_num := coalesce(v_num, ingest.try_numeric(p_value));
            IF v_num IS NULL THEN
                RETURN p_value;                    -- not a number: left for the field's validation to report
            END IF;
            v_num := CASE v_op
                WHEN 'kj_to_kcal' THEN v_num / 4.184
                WHEN 'g_to_mg' THEN v_num * 1000
                WHEN 'mg_to_g' THEN v_num / 1000
                WHEN 'salt_g_to_sodium_mg' THEN v_num * 1000 / 2.5
                WHEN 'lb_to_kg' THEN v_num * 0.45359237
                WHEN 'oz_to_g' THEN v_num * 28.349523125
                WHEN 'in_to_cm' THEN v_num * 2.54
                WHEN 'm_to_cm' THEN v_num * 100
                WHEN 'per_100g' THEN v_num * coalesce(ingest.quantity_grams(p_serving), 100) / 100
            END;
        END IF;
        IF v_num IS NULL THEN
            RETURN p_value;
        END IF;
    END LOOP;
    RETURN CASE WHEN v_num IS NULL THEN p_value ELSE round(v_num, 3)::text END;
END
$$;
COMMENT ON FUNCTION ingest.apply_ops(text, jsonb, text) IS
  'Applies a column''s transform ops (in order) to a cell; per_100g scales to p_serving (grams/ml), or keeps per 100 g when the serving is not a mass. Unreadable values come back unchanged for validation to report.';

GRANT EXECUTE ON FUNCTION ingest.try_numeric(text), ingest.split_list(text), ingest.quantity_grams(text),
      ingest.ft_in_to_cm(text), ingest.apply_ops(text, jsonb, text)
   TO odyssey_worker, odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;

COMMIT;
