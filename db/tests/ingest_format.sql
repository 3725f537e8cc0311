-- CSV ingestion, value level: recognizing a file from its first bytes (ingest.sniff_csv), reading
-- numbers, lists and quantities, and the unit transform ops (ingest.apply_ops) of notes.md.
BEGIN;
SELECT plan(76);

-- The hint of the OD422 a sniff raises (NULL when it raises nothing).
CREATE FUNCTION pg_temp.sniff_refusal(p_sample bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_hint text;
BEGIN
    PERFORM ingest.sniff_csv(p_sample);
    RETURN NULL;
EXCEPTION WHEN SQLSTATE 'OD422' THEN
    GET STACKED DIAGNOSTICS v_hint = PG_EXCEPTION_HINT;
    RETURN v_hint;
END $$;
CREATE FUNCTION pg_temp.sniff(p_text text, p_encoding text DEFAULT 'UTF8') RETURNS jsonb LANGUAGE sql AS $$
    SELECT ingest.sniff_csv(convert_to(p_text, p_encoding))
$$;
GRANT EXECUTE ON FUNCTION pg_temp.sniff_refusal(bytea), pg_temp.sniff(text, text) TO odyssey_worker;
SET LOCAL ROLE odyssey_worker;

-- ---------------------------------------------------------------- sniff_csv: delimiters
SELECT is(pg_temp.sniff(E'sku,name,price\n1,Oats,2\n') ->> 'delimiter', ',', 'comma');
SELECT is(pg_temp.sniff(E'sku\tname\tprice\n1\tOats\t2\n') ->> 'delimiter', E'\t', 'tab');
SELECT is(pg_temp.sniff(E'sku;name;price\n1;Oats;2,5\n') ->> 'delimiter', ';', 'semicolon');
SELECT is(pg_temp.sniff(E'sku|name|price\n1|Oats|2\n') ->> 'delimiter', '|', 'pipe');
SELECT is(pg_temp.sniff(E'sku\tname;x\tprice\n1\t2\t3\n') ->> 'delimiter', E'\t',
          'the delimiter is the most frequent of , TAB ; | in the header');
SELECT is(pg_temp.sniff(E'"a,b";"c,d,e";f\n1;2;3\n'),
          '{"bom": false, "encoding": "UTF8", "delimiter": ";", "header": ["a,b", "c,d,e", "f"], "has_data": true, "data_offset": 16}',
          'delimiters inside quoted header cells are data: not counted, not split on');
SELECT is(pg_temp.sniff(E'"Name ""short""",price\n1,2\n') -> 'header', '["Name \"short\"", "price"]',
          'a doubled quote inside a quoted header cell is one quote');
SELECT is(pg_temp.sniff(E'"multi\nline",price\n1,2\n') -> 'header', '["multi\nline", "price"]',
          'a line break inside a quoted header cell does not end the header');
SELECT is(pg_temp.sniff(E'"multi\nline",price\n1,2\n') ->> 'data_offset', '19', 'and the data starts after the whole header record');
SELECT is(pg_temp.sniff(E' sku , name\t,price\n1,2,3\n') -> 'header', '["sku", "name", "price"]', 'header cells are trimmed');

-- ---------------------------------------------------------------- sniff_csv: encodings, line ends, offsets
SELECT is(ingest.sniff_csv('\xefbbbf'::bytea || convert_to(E'sku,name\n1,2\n', 'UTF8')),
          '{"bom": true, "encoding": "UTF8", "delimiter": ",", "header": ["sku", "name"], "has_data": true, "data_offset": 12}',
          'UTF-8 with BOM: the BOM is not part of the first header, and counts in the data offset');
SELECT is(pg_temp.sniff(E'sku,name\r\n1,Crème brûlée\r\n'),
          '{"bom": false, "encoding": "UTF8", "delimiter": ",", "header": ["sku", "name"], "has_data": true, "data_offset": 10}',
          'UTF-8 without BOM, CRLF: the CR is not part of the last header');
SELECT is(pg_temp.sniff(E'sku,name\n1,Crème brûlée\n', 'WIN1252') ->> 'encoding', 'WIN1252',
          'bytes that are not UTF-8 but are Windows-1252 (Crème brûlée) make a WIN1252 file');
SELECT is(pg_temp.sniff(E'sku;Désignation;Prix\n1;Crème;2\n', 'WIN1252'),
          '{"bom": false, "encoding": "WIN1252", "delimiter": ";", "header": ["sku", "Désignation", "Prix"], "has_data": true, "data_offset": 21}',
          'a Windows-1252 header is decoded, its data offset counted in bytes of the file');
SELECT is(pg_temp.sniff(E'sku,name\n1,Crème brûlée\n') ->> 'encoding', 'UTF8', 'the same text in UTF-8 stays UTF8');
SELECT is(pg_temp.sniff_refusal('\x736b750a810a'::bytea), 'bad_encoding',
          'bytes that are neither UTF-8 nor Windows-1252 (0x81): OD422 bad_encoding');
SELECT is(ingest.sniff_csv(convert_to(E'sku,name\n1,é\n', 'UTF8') || '\xc3'::bytea) ->> 'encoding', 'UTF8',
          'a sample cut inside a multi-byte character is still UTF-8');
SELECT is(ingest.sniff_csv(convert_to(E'sku,name\n1,€', 'UTF8') || '\xe282'::bytea) ->> 'encoding', 'UTF8',
          'also when the cut leaves two bytes of a three-byte character');

-- ---------------------------------------------------------------- sniff_csv: files that cannot be ingested
SELECT is(pg_temp.sniff_refusal(''::bytea), 'empty_file', 'an empty file: OD422 empty_file');
SELECT is(pg_temp.sniff_refusal('\xefbbbf'::bytea), 'empty_file', 'a BOM alone is empty');
SELECT is(pg_temp.sniff_refusal(convert_to(E' \r\n\n ', 'UTF8')), 'empty_file', 'blank lines alone are empty');
SELECT is(pg_temp.sniff_refusal('\x504b030414000000080000002100'::bytea), 'binary_file', 'NUL bytes (a zip file): OD422 binary_file');
SELECT is(pg_temp.sniff_refusal(convert_to(E'sku,name\n1,a', 'UTF8') || '\x00'::bytea), 'binary_file', 'a NUL byte anywhere in the sample');
SELECT throws_ok($$ SELECT ingest.sniff_csv(''::bytea) $$, 'OD422', 'the file is empty', 'the refusal is an OD422 with a message');
SELECT is(pg_temp.sniff(E'sku,name,price\n') ->> 'has_data', 'false', 'header only: no data');
SELECT is(pg_temp.sniff(E'sku,name,price\n\r\n  \n') ->> 'has_data', 'false', 'header and blank lines: no data');
SELECT is(pg_temp.sniff(E'sku,name,price') -> 'header', '["sku", "name", "price"]', 'a header without a line break is still a header');
SELECT is(pg_temp.sniff(E'sku,name,price\n1,Oats,2') ->> 'has_data', 'true',
          'a last data row without a final line break is data');
SELECT is(pg_temp.sniff(E'sku,name,price\n1,Oats,2') ->> 'data_offset', '15', 'and the data starts after the header');

-- ---------------------------------------------------------------- numbers, lists, quantities
SELECT is(ingest.try_numeric('12'), 12::numeric, 'try_numeric: integer');
SELECT is(ingest.try_numeric(' 12.5 '), 12.5, 'decimal point, blanks trimmed');
SELECT is(ingest.try_numeric('12,5'), 12.5, 'decimal comma');
SELECT is(ingest.try_numeric('1,234.5'), 1234.5, 'thousands commas with a decimal point');
SELECT is(ingest.try_numeric('1,234,567'), 1234567::numeric, 'several thousands groups');
SELECT is(ingest.try_numeric('1.234,5'), 1234.5, 'thousands points with a decimal comma');
SELECT is(ARRAY[ingest.try_numeric('+3'), ingest.try_numeric('-3'), ingest.try_numeric('.5')], ARRAY[3, -3, 0.5]::numeric[], 'signs, leading point');
SELECT is(ingest.try_numeric('1.234.567'), 1234567::numeric, 'several thousands groups with points');
SELECT is(ARRAY[ingest.try_numeric('abc'), ingest.try_numeric(''), ingest.try_numeric(NULL), ingest.try_numeric('12 g'),
                ingest.try_numeric('1e3'), ingest.try_numeric('1.23.4'), ingest.try_numeric('$3'), ingest.try_numeric('01,234.5')],
          ARRAY[NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL]::numeric[], 'anything else is not a number (NULL)');
-- One group of three digits after one separator reads two ways: by the file's decimal separator.
SELECT is(ARRAY[ingest.try_numeric('1,234'), ingest.try_numeric('1.234'), ingest.try_numeric('12.500', '.')],
          ARRAY[1234, 1.234, 12.5]::numeric[], '"1,234" is 1234 and "1.234" is 1.234 in a decimal-point file (the default)');
SELECT is(ARRAY[ingest.try_numeric('1,234', ','), ingest.try_numeric('1.234', ','), ingest.try_numeric('-12.500', ',')],
          ARRAY[1.234, 1234, -12500]::numeric[], 'and the other way round in a decimal-comma file');
SELECT is(ARRAY[ingest.try_numeric('0,125', '.'), ingest.try_numeric('1234,567', '.'), ingest.try_numeric('12.5', ','),
                ingest.try_numeric('1,234.5', ',')],
          ARRAY[0.125, 1234.567, 12.5, 1234.5]::numeric[], 'forms that read one way only ignore the file''s separator');
SELECT is(ARRAY[ingest.decimal_evidence('12,5'), ingest.decimal_evidence('0,125'), ingest.decimal_evidence('1.234,5'),
                ingest.decimal_evidence('1.234.567'), ingest.decimal_evidence(' €3,99 ')],
          ARRAY[',', ',', ',', ',', ','], 'decimal_evidence: cells that prove a decimal comma');
SELECT is(ARRAY[ingest.decimal_evidence('12.5'), ingest.decimal_evidence('0.125'), ingest.decimal_evidence('1,234.5'),
                ingest.decimal_evidence('1,234,567'), ingest.decimal_evidence('$3.99')],
          ARRAY['.', '.', '.', '.', '.'], 'decimal_evidence: cells that prove a decimal point');
SELECT is(ARRAY[ingest.decimal_evidence('12'), ingest.decimal_evidence('1,234'), ingest.decimal_evidence('1.234'),
                ingest.decimal_evidence('abc'), ingest.decimal_evidence(NULL)],
          ARRAY[NULL, NULL, NULL, NULL, NULL]::text[], 'decimal_evidence: integers, two-way groups and words prove nothing');
SELECT is(ARRAY[ingest.number_text('1,234', '.'), ingest.number_text('1,234', ','), ingest.number_text('1.234', ','),
                ingest.number_text('$1,234.50', '.'), ingest.number_text('12', ','), ingest.number_text('n/a, sorry', '.')],
          ARRAY['1234', '1.234', '1234', '1234.50', '12', 'n/a, sorry'],
          'number_text: staged in decimal-point notation; a cell that is not a number stays as written');
-- The decimal-comma shortcut ("12,5" -> "12.5") gives the value the full two-way rule gives.
SELECT is_empty($$ SELECT c FROM unnest(ARRAY['12,5', '0,125', '-3,75', '007,5', '1234,0', '1,234', '12,50', '1,2,3', '1.234,5', ',5', '5,']) c
                    WHERE ingest.number_text(c, ',') IS DISTINCT FROM
                          coalesce(ingest.try_numeric(c, ',')::text, c)
                      AND ingest.number_text(c, ',')::numeric IS DISTINCT FROM ingest.try_numeric(c, ',') $$,
                'number_text in a decimal-comma file: the "12,5" shortcut reads every cell as the full rule does');
SELECT is(ingest.split_list(' milk; soy ,,egg|sesame '), ARRAY['milk', 'soy', 'egg', 'sesame'], 'split_list on ; , | trims and drops empty items');
SELECT is(ingest.split_list(NULL), '{}'::text[], 'no list: empty');
SELECT is(ARRAY[ingest.quantity_grams('30 g'), ingest.quantity_grams('250ml'), ingest.quantity_grams('1,5 kg'),
                ingest.quantity_grams('1 oz'), ingest.quantity_grams('2 lbs'), ingest.quantity_grams('500 mg')],
          ARRAY[30, 250, 1500, 28.349523125, 907.18474, 0.5]::numeric[], 'quantity_grams of masses and volumes');
SELECT is(ARRAY[ingest.quantity_grams('1,000 g'), ingest.quantity_grams('1,000 g', ',')], ARRAY[1000, 1]::numeric[],
          'quantity_grams reads "1,000 g" with the file''s decimal separator');
SELECT is(ARRAY[ingest.quantity_grams('1 cup'), ingest.quantity_grams('2 slices (56 g)'), ingest.quantity_grams('30 gal')],
          ARRAY[NULL, NULL, NULL]::numeric[], 'pieces, cups and unknown units are not a mass');

-- ---------------------------------------------------------------- heights in feet and inches
SELECT is(ingest.ft_in_to_cm(E'5''10"'), 177.8, E'5''10"');
SELECT is(ingest.ft_in_to_cm(E'5'' 10'''''), 177.8, E'5'' 10'''' (two single quotes for inches)');
SELECT is(ingest.ft_in_to_cm('5 ft 10 in'), 177.8, '5 ft 10 in');
SELECT is(ingest.ft_in_to_cm('6 feet 2 inches'), 187.96, '6 feet 2 inches');
SELECT is(ingest.ft_in_to_cm('5ft10'), 177.8, '5ft10');
SELECT is(ingest.ft_in_to_cm('5-10'), 177.8, '5-10');
SELECT is(ingest.ft_in_to_cm('5 10'), 177.8, '5 10');
SELECT is(ingest.ft_in_to_cm(E'5'''), 152.4, E'feet alone with a mark: 5''');
SELECT is(ingest.ft_in_to_cm('5.5'), 167.64, 'feet alone as a number: 5.5');
SELECT is(ingest.ft_in_to_cm('tall'), NULL, 'unreadable: NULL');

-- ---------------------------------------------------------------- apply_ops: every op
SELECT is(ingest.apply_ops('1000', '["kj_to_kcal"]'), round(1000 / 4.184, 3)::text, 'kj_to_kcal: / 4.184');
SELECT is(ingest.apply_ops('2,5', '["g_to_mg"]'), '2500.000', 'g_to_mg: * 1000 (decimal comma read)');
SELECT is(ingest.apply_ops('2500', '["mg_to_g"]'), '2.500', 'mg_to_g: / 1000');
SELECT is(ARRAY[ingest.apply_ops('1,234', '["kj_to_kcal"]', NULL, '.'), ingest.apply_ops('1,234', '["kj_to_kcal"]', NULL, ',')],
          ARRAY[round(1234 / 4.184, 3)::text, round(1.234 / 4.184, 3)::text], 'apply_ops reads numbers with the file''s decimal separator');
SELECT is(ingest.apply_ops('1.2', '["salt_g_to_sodium_mg"]'), '480.000', 'salt_g_to_sodium_mg: salt g * 1000 / 2.5');
SELECT is(ingest.apply_ops('150', '["lb_to_kg"]'), round(150 * 0.45359237, 3)::text, 'lb_to_kg: * 0.45359237');
SELECT is(ingest.apply_ops('16', '["oz_to_g"]'), round(16 * 28.349523125, 3)::text, 'oz_to_g: * 28.349523125');
SELECT is(ingest.apply_ops('70', '["in_to_cm"]'), '177.800', 'in_to_cm: * 2.54');
SELECT is(ingest.apply_ops('1,8', '["m_to_cm"]'), '180.000', 'm_to_cm: * 100');
SELECT is(ARRAY[ingest.apply_ops(E'5''10"', '["ft_in_to_cm"]'), ingest.apply_ops('6 ft 2 in', '["ftin_to_cm"]')],
          ARRAY['177.800', '187.960'], 'ft_in_to_cm, and the PRD''s spelling ftin_to_cm');
SELECT is(ARRAY[ingest.apply_ops('20', '["per_100g"]', '30 g'), ingest.apply_ops('20', '["per_100g"]', '1.5 oz')],
          ARRAY['6.000', round(20 * 1.5 * 28.349523125 / 100, 3)::text], 'per_100g with a serving in grams or ounces: scaled to the serving');
SELECT is(ARRAY[ingest.apply_ops('20', '["per_100g"]'), ingest.apply_ops('20', '["per_100g"]', '1 cup')],
          ARRAY['20.000', '20.000'], 'per_100g without a serving, or with one that is not a mass: stays per 100 g');
SELECT is(ingest.apply_ops('1000', '["kj_to_kcal", "per_100g"]', '250 ml'), round(1000 / 4.184 * 2.5, 3)::text,
          'ops apply in order: kJ per 100 ml -> kcal per 250 ml serving');
SELECT is(ingest.apply_ops('0.3', '["salt_g_to_sodium_mg", "per_100g"]', '40 g'), '48.000', 'salt per 100 g -> sodium mg per serving');
SELECT is(ARRAY[ingest.apply_ops('n/a', '["g_to_mg"]'), ingest.apply_ops('tall', '["ft_in_to_cm"]'), ingest.apply_ops(NULL, '["g_to_mg"]'),
                ingest.apply_ops('milk;soy', '["split_list"]'), ingest.apply_ops(' 7 ', '[]')],
          ARRAY['n/a', 'tall', NULL, 'milk;soy', ' 7 '], 'unreadable values, split_list and no ops leave the cell as it is');

SELECT * FROM finish();
ROLLBACK;
