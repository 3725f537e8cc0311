-- Deploy odyssey:functions/ingest_csv_format to pg
-- requires: schema/ingestion
-- Recognizing a vendor's CSV file from its first bytes (PRD §6.2; notes.md "Real product feeds"):
--   * encoding: UTF-8 with or without BOM, else Windows-1252; NUL bytes mean a binary file;
--   * delimiter: the one of , TAB ; | that occurs most often (outside quotes) in the header line;
--   * header: the first record, split with CSV quoting rules.
-- ingest.sniff_csv() returns what the worker needs to COPY the rest of the file: encoding,
-- delimiter, header cells and the byte offset where the data records start.
BEGIN;

CREATE OR REPLACE FUNCTION ingest.csv_split(p_line text, p_delimiter text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    v_cells  text[] := '{}';
    v_cell   text := '';
    v_quoted boolean := false;
    v_i      integer := 1;
    v_n      integer := length(p_line);
    v_ch     text;
BEGIN
    -- RFC 4180: a field may be quoted with "; inside it "" is one quote and delimiters are data.
    WHILE v_i <= v_n LOOP
        v_ch := substr(p_line, v_i, 1);
        IF v_quoted THEN
            IF v_ch = '"' THEN
                IF substr(p_line, v_i + 1, 1) = '"' THEN
                    v_cell := v_cell || '"';
                    v_i := v_i + 1;
                ELSE
                    v_quoted := false;
                END IF;
            ELSE
                v_cell := v_cell || v_ch;
            END IF;
        ELSIF v_ch = '"' THEN
            v_quoted := true;
        ELSIF v_ch = p_delimiter THEN
            v_cells := v_cells || v_cell;
            v_cell := '';
        ELSE
            v_cell := v_cell || v_ch;
        END IF;
        v_i := v_i + 1;
    END LOOP;
    RETURN v_cells || v_cell;
END
$$;
COMMENT ON FUNCTION ingest.csv_split(text, text) IS
  'Splits one CSV record (no line break outside quotes) into its fields with RFC 4180 quoting.';

CREATE OR REPLACE FUNCTION ingest.csv_count_outside_quotes(p_line text, p_char text)
RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    -- Quoted sections ("..." with "" inside) removed, then the character counted.
    SELECT length(p) - length(replace(p, p_char, ''))
      FROM (SELECT regexp_replace(p_line, '"([^"]|"")*("|$)', '', 'g') AS p) AS x
$$;
COMMENT ON FUNCTION ingest.csv_count_outside_quotes(text, text) IS 'How often a character occurs outside quoted fields of a CSV line.';

CREATE OR REPLACE FUNCTION ingest.sniff_csv(p_sample bytea)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    v_bom        boolean := substr(p_sample, 1, 3) = '\xefbbbf'::bytea;
    v_body       bytea;
    v_text       text;
    v_encoding   text := 'UTF8';
    v_line       text := '';
    v_end        integer;
    v_quotes     integer := 0;
    v_i          integer := 1;
    v_delim      text := ',';
    v_best       integer := 0;
    v_count      integer;
    v_d          text;
    v_header     text[];
    v_offset     bigint;
    v_lead    integer;
    v_cut        integer;
BEGIN
    v_body := CASE WHEN v_bom THEN substr(p_sample, 4) ELSE p_sample END;
    IF length(v_body) = 0 OR btrim(v_body, '\x0d0a20'::bytea) = ''::bytea THEN
        RAISE EXCEPTION 'the file is empty' USING ERRCODE = 'OD422', HINT = 'empty_file';
    END IF;
    IF position('\x00'::bytea IN v_body) > 0 THEN
        RAISE EXCEPTION 'the file is not text (it contains NUL bytes): upload a CSV file'
              USING ERRCODE = 'OD422', HINT = 'binary_file';
    END IF;
    -- UTF-8 unless the bytes are not. The sample may end inside a multi-byte character: an
    -- incomplete sequence at its very end (a lead byte and fewer continuation bytes than it
    -- announces) is left out. Nothing else is cut: the sample may be the whole file, whose last
    -- record need not end with a line break.
    v_lead := length(v_body);
    WHILE v_lead > 1 AND length(v_body) - v_lead < 3 AND get_byte(v_body, v_lead - 1) & 192 = 128 LOOP
        v_lead := v_lead - 1;            -- back over continuation bytes to the sequence's lead byte
    END LOOP;
    v_cut := CASE WHEN get_byte(v_body, v_lead - 1) >= 192
                   AND length(v_body) - v_lead + 1 < CASE WHEN get_byte(v_body, v_lead - 1) >= 240 THEN 4
                                                             WHEN get_byte(v_body, v_lead - 1) >= 224 THEN 3 ELSE 2 END
                  THEN length(v_body) - v_lead + 1 ELSE 0 END;
    BEGIN
        v_text := convert_from(substr(v_body, 1, length(v_body) - v_cut), 'UTF8');
    EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
        v_text := NULL;
    END;
    IF v_text IS NULL THEN
        BEGIN
            v_text := convert_from(v_body, 'WIN1252');
            v_encoding := 'WIN1252';
        EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
            RAISE EXCEPTION 'the file is neither UTF-8 nor Windows-1252 text' USING ERRCODE = 'OD422', HINT = 'bad_encoding';
        END;
    END IF;
    -- The header record ends at the first line break outside quotes.
    v_end := NULL;
    WHILE v_i <= length(v_text) LOOP
        CASE substr(v_text, v_i, 1)
            WHEN '"' THEN v_quotes := v_quotes + 1;
            WHEN E'\n' THEN
                IF v_quotes % 2 = 0 THEN v_end := v_i; EXIT; END IF;
            ELSE NULL;
        END CASE;
        v_i := v_i + 1;
    END LOOP;
    v_line := CASE WHEN v_end IS NULL THEN v_text ELSE substr(v_text, 1, v_end - 1) END;
    v_offset := (CASE WHEN v_bom THEN 3 ELSE 0 END)
                + octet_length(convert_to(CASE WHEN v_end IS NULL THEN v_text ELSE substr(v_text, 1, v_end) END, v_encoding));
    v_line := rtrim(v_line, E'\r');
    FOREACH v_d IN ARRAY ARRAY[',', E'\t', ';', '|'] LOOP
        v_count := ingest.csv_count_outside_quotes(v_line, v_d);
        IF v_count > v_best THEN
            v_best := v_count;
            v_delim := v_d;
        END IF;
    END LOOP;
    v_header := ARRAY(SELECT btrim(h, E' \t') FROM unnest(ingest.csv_split(v_line, v_delim)) AS h);
    RETURN jsonb_build_object('encoding', v_encoding, 'bom', v_bom, 'delimiter', v_delim,
                              'header', to_jsonb(v_header), 'data_offset', v_offset,
                              'has_data', v_end IS NOT NULL AND length(btrim(substr(v_text, v_end + 1), E' \r\n')) > 0);
END
$$;
COMMENT ON FUNCTION ingest.sniff_csv(bytea) IS
  'Encoding (UTF8 | WIN1252, BOM), delimiter (, TAB ; |), header cells and data byte offset of a CSV file from its first bytes; OD422 for empty or binary files.';

GRANT EXECUTE ON FUNCTION ingest.csv_split(text, text), ingest.csv_count_outside_quotes(text, text),
      ingest.sniff_csv(bytea) TO odyssey_worker;

COMMIT;
