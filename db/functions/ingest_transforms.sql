-- Deploy odyssey:functions/ingest_transforms to pg
-- requires: functions/header_normalize
-- Value-level rules of CSV ingestion: how a text cell becomes a number, a list or a per-serving
-- quantity, and the unit transform ops of ingest.known_transform_ops() (PRD §11.4, notes.md):
--   kj_to_kcal (/4.184), g_to_mg, mg_to_g, salt_g_to_sodium_mg (salt g * 1000 / 2.5 = sodium mg),
--   lb_to_kg, oz_to_g, ft_in_to_cm (5'10", 5 ft 10 in, 5-10), in_to_cm, m_to_cm, and per_100g
--   (scaled to the product's serving when its size is known in grams or millilitres).
BEGIN;

-- The one-argument try_numeric of @v0.2.0 read "1,234" as 1.234 whatever the file: a decimal
-- separator is now given (the file's, see ingest.decimal_evidence), '.' when not.
DROP FUNCTION IF EXISTS ingest.try_numeric(text);
DROP FUNCTION IF EXISTS ingest.quantity_grams(text);
DROP FUNCTION IF EXISTS ingest.apply_ops(text, jsonb, text);

CREATE OR REPLACE FUNCTION ingest.try_numeric(p_text text, p_decimal text DEFAULT '.')
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- "12", "12.5", "12,5", ".5", "+3"; "1,234.5" and "1.234,5" (thousands separators); else NULL.
    -- One group of three digits after a single separator ("1,234", "1.234") can be read two ways:
    -- it is read with p_decimal, the file's decimal separator ('.' or ','). A number never starts
    -- a thousands group with 0, so "0,125" is a decimal comma in any file.
    -- One expression without FROM, so that the planner inlines it (it runs for every cell).
    SELECT CASE
        WHEN p_text ~ '^\s*[+-]?[0-9]+\s*$' THEN p_text::numeric
        WHEN p_text ~ '^\s*[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}\s*$' THEN
            CASE WHEN p_decimal = ',' THEN replace(replace(btrim(p_text), '.', ''), ',', '.')::numeric
                 ELSE replace(btrim(p_text), ',', '')::numeric END
        WHEN p_text ~ '^\s*[+-]?[0-9]*\.[0-9]+\s*$' THEN p_text::numeric
        WHEN p_text ~ '^\s*[+-]?[0-9]*,[0-9]+\s*$' THEN replace(btrim(p_text), ',', '.')::numeric
        WHEN p_text ~ '^\s*[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]+)?\s*$' THEN replace(p_text, ',', '')::numeric
        WHEN p_text ~ '^\s*[+-]?[1-9][0-9]{0,2}(\.[0-9]{3})+(,[0-9]+)?\s*$' THEN replace(replace(p_text, '.', ''), ',', '.')::numeric
    END
$$;
COMMENT ON FUNCTION ingest.try_numeric(text, text) IS
  'A cell as a number ("12,5", "1,234.5" and "1.234,5" understood; "1,234" read with the decimal separator p_decimal, default ''.''), NULL when it is not one.';

CREATE OR REPLACE FUNCTION ingest.decimal_evidence(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- The decimal separator a number cell proves, if any: "12,5", "0,125", "1.234,5", "1.234.567"
    -- prove ','; "12.5", "0.125", "1,234.5", "1,234,567" prove '.'; integers and the two-way
    -- "1,234" / "1.234" prove nothing. A leading currency sign is allowed (prices).
    SELECT CASE
        WHEN x ~ '^[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}$' THEN NULL
        WHEN x ~ '^[+-]?[0-9]*,[0-9]+$' OR x ~ '^[+-]?[1-9][0-9]{0,2}(\.[0-9]{3})+(,[0-9]+|\.[0-9]{3})$' THEN ','
        WHEN x ~ '^[+-]?[0-9]*\.[0-9]+$' OR x ~ '^[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]+|,[0-9]{3})$' THEN '.'
    END
      FROM (SELECT regexp_replace(btrim(p_text), '^[$€£]\s*', '') AS x) AS c
$$;
COMMENT ON FUNCTION ingest.decimal_evidence(text) IS
  'The decimal separator (''.'' or '','') that a number cell proves, NULL when it proves none ("12", "1,234").';

CREATE OR REPLACE FUNCTION ingest.number_text(p_text text, p_decimal text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- Staging keeps numbers in one notation ('.' decimals, no grouping) so that typing needs no
    -- file context; a cell that is not a number stays as written, for validation to report.
    -- Only cells with a ',' (or a '.' in a decimal-comma file) need the rule; in a decimal-comma
    -- file the usual "12,5" (digits, one comma, digits) is the same number with a point.
    SELECT CASE
        WHEN p_text IS NULL OR (strpos(p_text, ',') = 0 AND (p_decimal <> ',' OR strpos(p_text, '.') = 0)) THEN p_text
        WHEN p_decimal = ',' AND p_text ~ '^-?[0-9]+,[0-9]+$' THEN replace(p_text, ',', '.')
        ELSE coalesce(ingest.try_numeric(regexp_replace(p_text, '^\s*[$€£]\s*', ''), p_decimal)::text, p_text)
    END
$$;
COMMENT ON FUNCTION ingest.number_text(text, text) IS
  'A number cell in staging notation (''.'' decimals, no thousands separators) read with the file''s decimal separator; anything else unchanged.';

CREATE OR REPLACE FUNCTION ingest.split_list(p_text text)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(btrim(x) ORDER BY i), '{}')
      FROM regexp_split_to_table(p_text, '[;,|]') WITH ORDINALITY AS s(x, i)
     WHERE btrim(x) <> ''
$$;
COMMENT ON FUNCTION ingest.split_list(text) IS 'A list cell ("milk; soy", "vegan,organic", "a|b") as a trimmed array without empty items.';

CREATE OR REPLACE FUNCTION ingest.quantity_grams(p_text text, p_decimal text DEFAULT '.')
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- The first "<number> <unit>" of a serving size in grams (ml counted as g); NULL for pieces, cups...
    SELECT ingest.try_numeric(m[1], p_decimal) * CASE lower(m[2])
               WHEN 'g' THEN 1 WHEN 'mg' THEN 0.001 WHEN 'mcg' THEN 0.000001 WHEN 'kg' THEN 1000
               WHEN 'ml' THEN 1 WHEN 'cl' THEN 10 WHEN 'dl' THEN 100 WHEN 'l' THEN 1000
               WHEN 'oz' THEN 28.349523125 WHEN 'lb' THEN 453.59237 WHEN 'lbs' THEN 453.59237 END
      FROM (SELECT regexp_match(p_text, '^\s*([0-9]+(?:[.,][0-9]+)*)\s*(mcg|mg|g|kg|ml|cl|dl|l|oz|lbs?)\M', 'i') AS m) AS x
$$;
COMMENT ON FUNCTION ingest.quantity_grams(text, text) IS 'Grams (ml as g) of a quantity such as "30 g", "250 ml", "1.5 oz"; NULL when not a mass or volume.';

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

CREATE OR REPLACE FUNCTION ingest.apply_ops(p_value text, p_ops jsonb, p_serving text DEFAULT NULL, p_decimal text DEFAULT '.')
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
            v_num := coalesce(v_num, ingest.try_numeric(p_value, p_decimal));
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
                WHEN 'per_100g' THEN v_num * coalesce(ingest.quantity_grams(p_serving, p_decimal), 100) / 100
            END;
        END IF;
        IF v_num IS NULL THEN
            RETURN p_value;
        END IF;
    END LOOP;
    RETURN CASE WHEN v_num IS NULL THEN p_value ELSE round(v_num, 3)::text END;
END
$$;
COMMENT ON FUNCTION ingest.apply_ops(text, jsonb, text, text) IS
  'Applies a column''s transform ops (in order) to a cell, numbers read with the file''s decimal separator p_decimal; per_100g scales to p_serving (grams/ml), or keeps per 100 g when the serving is not a mass. Unreadable values come back unchanged for validation to report.';

GRANT EXECUTE ON FUNCTION ingest.try_numeric(text, text), ingest.decimal_evidence(text), ingest.number_text(text, text),
      ingest.split_list(text), ingest.quantity_grams(text, text), ingest.ft_in_to_cm(text), ingest.apply_ops(text, jsonb, text, text)
   TO odyssey_worker, odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;

COMMIT;
