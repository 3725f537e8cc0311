-- Deploy odyssey:functions/header_normalize to pg
-- requires: schema/ingestion
-- requires: policies/ingestion
-- Normalization used by ingestion and matching:
--   * ingest.normalize_header(text): the form every feed header is compared in, and the form the
--     header dictionary (ingest.synonyms_header.synonyms) is stored in.
--   * ingest.known_transform_ops(): the vocabulary of synonyms_header.transform_ops.
--   * ingest.value_key(text): the form value synonyms are stored and compared in.
--   * ingest.normalize_value(domain, text) / ingest.normalize_values(domain, text[]): label words
--     to canonical codes through ingest.synonyms_value ("Dairy" -> milk, "HTN" -> hypertension).
BEGIN;

CREATE OR REPLACE FUNCTION ingest.normalize_header(p_header text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    -- BOM removed, lower case, every run of anything but letters and digits (spaces, '-', '.',
    -- '(', '%', '/', '_', ...) becomes one '_', leading/trailing '_' trimmed; '' becomes NULL.
    SELECT nullif(pg_catalog.btrim(
               pg_catalog.regexp_replace(
                   pg_catalog.lower(pg_catalog.replace(p_header, U&'\FEFF', '')),
                   '[^[:alnum:]]+', '_', 'g'),
               '_'), '')
$$;
COMMENT ON FUNCTION ingest.normalize_header(text) IS
  'Canonical form of a feed header: "Energy-kcal_100g" -> energy_kcal_100g, " Product Name" -> product_name (BOM stripped; NULL when nothing is left).';

CREATE OR REPLACE FUNCTION ingest.known_transform_ops()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY[
        'kj_to_kcal',           -- kcal = kJ / 4.184
        'g_to_mg',              -- mg = g * 1000
        'mg_to_g',              -- g = mg / 1000
        'salt_g_to_sodium_mg',  -- sodium mg = salt g * 1000 / 2.5
        'lb_to_kg',             -- kg = lb * 0.45359237
        'oz_to_g',              -- g = oz * 28.349523125
        'ft_in_to_cm',          -- "5'10""", "5 ft 10 in", "5-10" -> (ft * 12 + in) * 2.54
        'in_to_cm',             -- cm = in * 2.54
        'm_to_cm',              -- cm = m * 100
        'per_100g',             -- the value is per 100 g (or ml): the pipeline scales it to the serving
        'split_list'            -- the value is a list separated by ';' ',' or '|'
    ]::text[]
$$;
COMMENT ON FUNCTION ingest.known_transform_ops() IS
  'Vocabulary of ingest.synonyms_header.transform_ops (applied in array order): kj_to_kcal (/4.184), g_to_mg, mg_to_g, '
  'salt_g_to_sodium_mg (salt g * 1000 / 2.5), lb_to_kg (*0.45359237), oz_to_g (*28.349523125), ft_in_to_cm, in_to_cm (*2.54), '
  'm_to_cm, per_100g (value per 100 g, scaled to the serving by the pipeline), split_list (; , | separated list).';

CREATE OR REPLACE FUNCTION ingest.value_key(p_value text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    -- lower case, an Open-Food-Facts language prefix ("en:") dropped, runs of whitespace, '_' and
    -- '-' become one space, trimmed; '' becomes NULL. "Tree_Nuts" and "en:tree-nuts" -> "tree nuts".
    SELECT nullif(pg_catalog.btrim(
               pg_catalog.regexp_replace(
                   pg_catalog.regexp_replace(pg_catalog.lower(pg_catalog.btrim(p_value)), '^[a-z]{2}:', ''),
                   '[[:space:]_-]+', ' ', 'g')), '')
$$;
COMMENT ON FUNCTION ingest.value_key(text) IS
  'Comparison form of a value label word: lower case, "en:" prefix dropped, whitespace/_/- runs to one space, trimmed.';

CREATE OR REPLACE FUNCTION ingest.normalize_value(p_domain ingest.value_domain, p_value text)
RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT s.canonical
      FROM ingest.synonyms_value AS s
     WHERE s.domain = p_domain
       AND (s.synonyms @> ARRAY[ingest.value_key(p_value)]
            OR ingest.value_key(s.canonical) = ingest.value_key(p_value))
     ORDER BY ingest.value_key(s.canonical) = ingest.value_key(p_value) DESC, s.canonical
     LIMIT 1
$$;
COMMENT ON FUNCTION ingest.normalize_value(ingest.value_domain, text) IS
  'The canonical code of a label word in a domain (equal to the canonical or one of its synonyms after ingest.value_key), NULL when unknown.';

CREATE OR REPLACE FUNCTION ingest.normalize_values(p_domain ingest.value_domain, p_values text[])
RETURNS text[]
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    -- Distinct canonical codes in order of first appearance; unknown values are dropped.
    SELECT coalesce(pg_catalog.array_agg(c.code ORDER BY c.first_pos), '{}')
      FROM (SELECT n.code, min(v.pos) AS first_pos
              FROM unnest(p_values) WITH ORDINALITY AS v(value, pos)
             CROSS JOIN LATERAL (SELECT ingest.normalize_value(p_domain, v.value) AS code) AS n
             WHERE n.code IS NOT NULL
             GROUP BY n.code) AS c
$$;
COMMENT ON FUNCTION ingest.normalize_values(ingest.value_domain, text[]) IS
  'Canonical codes of label words (distinct, in order of first appearance); unknown values dropped: {Dairy,whey,buckwheat} -> {milk}.';

GRANT EXECUTE ON FUNCTION ingest.normalize_header(text), ingest.known_transform_ops(), ingest.value_key(text),
      ingest.normalize_value(ingest.value_domain, text), ingest.normalize_values(ingest.value_domain, text[])
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer,
      odyssey_worker, odyssey_analyst;

COMMIT;
