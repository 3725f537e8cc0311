-- Deploy odyssey:functions/header_normalize to pg
-- requires: schema/ingestion
-- requires: policies/ingestion
-- Normalization used by ingestion and matching:
--   * ingest.normalize_header(text): the form every feed header is compared in, and the form the
--     header dictionary (ingest.synonyms_header.synonyms) is stored in.
--   * ingest.known_transform_ops(): the vocabulary of synonyms_header.transform_ops.
--   * ingest.value_key(text): the form value synonyms are stored and compared in.
--   * ingest.normalize_value(domain, text) / ingest.normalize_values(domain, text[]): label words
--     to canonical codes through ingest.synonyms_value ("Dairy" -> milk, "HTN" -> hypertension),
--     looked up in ingest.synonyms_value_keys, its trigger-maintained (domain, key) index.
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

-- Not declared STRICT (NULL still gives NULL): a STRICT SQL function whose body uses nullif()
-- cannot be inlined, and value_key runs once per ingested value.
CREATE OR REPLACE FUNCTION ingest.value_key(p_value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- lower case, an Open-Food-Facts language prefix ("en:") dropped, runs of whitespace (no-break
    -- space included), '_' and '-' become one space, trimmed; '' becomes NULL. "Tree_Nuts" and "en:tree-nuts" -> "tree nuts".
    SELECT nullif(pg_catalog.btrim(
               pg_catalog.regexp_replace(
                   pg_catalog.regexp_replace(pg_catalog.lower(pg_catalog.btrim(p_value)), '^[a-z]{2}:', ''),
                   '[[:space:]_' || U&'\00A0' || '-]+', ' ', 'g')), '')
$$;
COMMENT ON FUNCTION ingest.value_key(text) IS
  'Comparison form of a value label word: lower case, "en:" prefix dropped, whitespace/_/- runs to one space, trimmed.';

-- The lookup index of the value dictionary: one row per (domain, key) with its canonical code,
-- kept in step with ingest.synonyms_value by a trigger. Its primary key is the rule that a label
-- word maps to one canonical per domain, and it turns a lookup into one index probe (ingestion
-- normalizes every row).
CREATE TABLE ingest.synonyms_value_keys (
    domain     ingest.value_domain NOT NULL,
    key        text        NOT NULL,
    canonical  text        NOT NULL,
    CONSTRAINT synonyms_value_keys_pkey PRIMARY KEY (domain, key)
);
COMMENT ON TABLE ingest.synonyms_value_keys IS
  'Derived from ingest.synonyms_value (trigger-maintained): value_key of every synonym and canonical -> canonical code.';
GRANT SELECT ON ingest.synonyms_value_keys
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer,
      odyssey_worker, odyssey_analyst;

CREATE OR REPLACE FUNCTION ingest.sync_synonyms_value_keys()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM ingest.synonyms_value_keys WHERE domain = OLD.domain AND canonical = OLD.canonical;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        -- A duplicate (domain, key) raises unique_violation on synonyms_value_keys_pkey.
        INSERT INTO ingest.synonyms_value_keys (domain, key, canonical)
        SELECT DISTINCT NEW.domain, k, NEW.canonical
          FROM unnest(NEW.synonyms || pg_catalog.translate(NEW.canonical, '_-', '  ')) AS w,
               ingest.value_key(w) AS k
         WHERE k IS NOT NULL;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ingest.sync_synonyms_value_keys() IS
  'AFTER row trigger of ingest.synonyms_value: rewrites the row''s keys in ingest.synonyms_value_keys.';

CREATE TRIGGER synonyms_value_sync_keys AFTER INSERT OR UPDATE OR DELETE ON ingest.synonyms_value
    FOR EACH ROW EXECUTE FUNCTION ingest.sync_synonyms_value_keys();
INSERT INTO ingest.synonyms_value_keys (domain, key, canonical)
SELECT DISTINCT s.domain, k, s.canonical
  FROM ingest.synonyms_value AS s,
       unnest(s.synonyms || pg_catalog.translate(s.canonical, '_-', '  ')) AS w, ingest.value_key(w) AS k
 WHERE k IS NOT NULL;

-- PL/pgSQL for the cached plan: a non-inlinable SQL function is planned on every call.
CREATE OR REPLACE FUNCTION ingest.normalize_value(p_domain ingest.value_domain, p_value text)
RETURNS text
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    v_code text;
BEGIN
    SELECT k.canonical INTO v_code
      FROM ingest.synonyms_value_keys AS k
     WHERE k.domain = p_domain AND k.key = ingest.value_key(p_value);
    RETURN v_code;
END
$$;
COMMENT ON FUNCTION ingest.normalize_value(ingest.value_domain, text) IS
  'The canonical code of a label word in a domain (equal to the canonical or one of its synonyms after ingest.value_key), NULL when unknown.';

CREATE OR REPLACE FUNCTION ingest.normalize_values(p_domain ingest.value_domain, p_values text[])
RETURNS text[]
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    v_value  text;
    v_code   text;
    v_codes  text[] := '{}';
BEGIN
    -- Distinct canonical codes in order of first appearance; unknown values are dropped. One
    -- index probe per element (a set-based join gets a generic plan that hashes the whole domain).
    FOREACH v_value IN ARRAY p_values LOOP
        SELECT k.canonical INTO v_code
          FROM ingest.synonyms_value_keys AS k
         WHERE k.domain = p_domain AND k.key = ingest.value_key(v_value);
        IF v_code IS NOT NULL AND v_code <> ALL (v_codes) THEN
            v_codes := v_codes || v_code;
        END IF;
    END LOOP;
    RETURN v_codes;
END
$$;
COMMENT ON FUNCTION ingest.normalize_values(ingest.value_domain, text[]) IS
  'Canonical codes of label words (distinct, in order of first appearance); unknown values dropped: {Dairy,whey,buckwheat} -> {milk}.';

GRANT EXECUTE ON FUNCTION ingest.normalize_header(text), ingest.known_transform_ops(), ingest.value_key(text),
      ingest.normalize_value(ingest.value_domain, text), ingest.normalize_values(ingest.value_domain, text[])
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer,
      odyssey_worker, odyssey_analyst;

COMMIT;
