-- Deploy odyssey:schema/ref_header_synonyms to pg
-- requires: functions/header_normalize
-- requires: policies/ingestion
-- Header dictionary (ingest.synonyms_header) for both modes: every canonical field of
-- ingest.stg_products / ingest.stg_customers (the text columns after raw) with the spellings real
-- feeds use, stored in ingest.normalize_header() form ("Sodium (mg)" -> sodium_mg), including
-- Open Food Facts columns and unit variants that carry transform ops (ingest.known_transform_ops):
--   energy-kcal_100g -> energy_kcal [per_100g];  energy-kj_100g -> energy_kcal [kj_to_kcal, per_100g]
--   salt_100g -> sodium_mg [salt_g_to_sodium_mg, per_100g];  sodium_100g (grams) -> [g_to_mg, per_100g]
--   weight_lb -> weight_kg [lb_to_kg];  height_in -> height_cm [in_to_cm];  height_ft_in -> [ft_in_to_cm]
-- Ops apply in array order (unit conversion first, then per-100 g scaling). List-valued fields
-- (tags, allergens, certifications, regulatory codes, conditions, goals) carry split_list.
-- Each row's canonical itself is one of its synonyms (on the row without unit ops), so a feed that
-- already uses canonical names maps one to one.
--
-- Rule, enforced by the trigger ingest.synonyms_header_check(): within a mode a normalized header
-- maps to exactly one (canonical, ops) row; synonyms are stored normalized; canonical is a field
-- of the mode's staging table; ops are known.
BEGIN;

CREATE OR REPLACE FUNCTION ingest.mode_fields(p_mode ingest.mapping_mode)
RETURNS text[]
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attnum)
      FROM pg_catalog.pg_attribute AS a
     WHERE a.attrelid = CASE p_mode WHEN 'products' THEN 'ingest.stg_products'::regclass
                                    ELSE 'ingest.stg_customers'::regclass END
       AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attname NOT IN ('vendor_id', 'job_id', 'row_no', 'raw')
$$;
COMMENT ON FUNCTION ingest.mode_fields(ingest.mapping_mode) IS
  'Canonical fields of an ingest mode: the text columns of ingest.stg_products / stg_customers after raw, in column order.';

CREATE OR REPLACE FUNCTION ingest.match_header(p_mode ingest.mapping_mode, p_header text)
RETURNS TABLE (canonical text, transform_ops jsonb, confidence numeric)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT s.canonical, s.transform_ops, s.confidence
      FROM ingest.synonyms_header AS s
     WHERE s.mode = p_mode AND s.synonyms @> ARRAY[ingest.normalize_header(p_header)]
$$;
COMMENT ON FUNCTION ingest.match_header(ingest.mapping_mode, text) IS
  'The dictionary entry of a raw feed header (normalized first): canonical field, transform ops, confidence; no row when unknown.';

CREATE OR REPLACE FUNCTION ingest.synonyms_header_check()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_fields text[] := ingest.mode_fields(NEW.mode);
    v_word   text;
    v_op     jsonb;
    v_other  record;
BEGIN
    -- Serialize dictionary writes so that two concurrent inserts cannot both pass the check.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('ingest.synonyms_header'));
    IF NEW.canonical <> ALL (v_fields) THEN
        RAISE EXCEPTION 'header canonical "%" is not a % field', NEW.canonical, NEW.mode
            USING ERRCODE = 'check_violation', HINT = 'Fields: ' || pg_catalog.array_to_string(v_fields, ', ');
    END IF;
    FOR v_op IN SELECT jsonb_array_elements(NEW.transform_ops) LOOP
        IF jsonb_typeof(v_op) <> 'string' OR (v_op #>> '{}') <> ALL (ingest.known_transform_ops()) THEN
            RAISE EXCEPTION 'unknown transform op % on %/%', v_op, NEW.mode, NEW.canonical
                USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    IF jsonb_array_length(NEW.transform_ops)
       <> (SELECT count(DISTINCT o) FROM jsonb_array_elements(NEW.transform_ops) AS o) THEN
        RAISE EXCEPTION 'transform ops of %/% repeat an op', NEW.mode, NEW.canonical USING ERRCODE = 'check_violation';
    END IF;
    FOREACH v_word IN ARRAY NEW.synonyms LOOP
        IF v_word IS NULL OR v_word IS DISTINCT FROM ingest.normalize_header(v_word) THEN
            RAISE EXCEPTION 'header synonym "%" of %/% is not normalized (expected "%")',
                v_word, NEW.mode, NEW.canonical, ingest.normalize_header(v_word)
                USING ERRCODE = 'check_violation';
        END IF;
        IF v_word = ANY (v_fields) AND v_word <> NEW.canonical THEN
            RAISE EXCEPTION 'header synonym "%" of %/% is the canonical field %', v_word, NEW.mode, NEW.canonical, v_word
                USING ERRCODE = 'unique_violation';
        END IF;
    END LOOP;
    IF cardinality(NEW.synonyms) <> (SELECT count(DISTINCT w) FROM unnest(NEW.synonyms) AS w) THEN
        RAISE EXCEPTION 'header synonyms of %/% repeat a header', NEW.mode, NEW.canonical USING ERRCODE = 'check_violation';
    END IF;
    SELECT s.canonical, s.transform_ops,
           (SELECT pg_catalog.array_agg(w) FROM unnest(s.synonyms) AS w WHERE w = ANY (NEW.synonyms)) AS words
      INTO v_other
      FROM ingest.synonyms_header AS s
     WHERE s.mode = NEW.mode AND s.id <> NEW.id AND s.synonyms && NEW.synonyms
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'header % of %/% % already maps to %/% %', v_other.words, NEW.mode, NEW.canonical,
            NEW.transform_ops, NEW.mode, v_other.canonical, v_other.transform_ops
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ingest.synonyms_header_check() IS
  'BEFORE INSERT/UPDATE trigger of ingest.synonyms_header: a normalized header maps to one (mode, canonical, ops) row; '
  'synonyms normalized, canonical a staging field of the mode, ops known.';

CREATE TRIGGER synonyms_header_check BEFORE INSERT OR UPDATE ON ingest.synonyms_header
    FOR EACH ROW EXECUTE FUNCTION ingest.synonyms_header_check();

GRANT EXECUTE ON FUNCTION ingest.mode_fields(ingest.mapping_mode), ingest.match_header(ingest.mapping_mode, text)
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer,
      odyssey_worker, odyssey_analyst;

INSERT INTO ingest.synonyms_header (mode, canonical, transform_ops, synonyms) VALUES
-- ---------------------------------------------------------------- products: identity and text
('products', 'external_id', '[]', ARRAY['external_id', 'externalid', 'ext_id', 'sku', 'product_sku', 'vendor_sku',
    'product_id', 'productid', 'item_id', 'itemid', 'id', 'item_number', 'item_no', 'item_code', 'product_code',
    'article_number', 'article_no', 'variant_sku', 'handle', 'plu']),
('products', 'barcode', '[]', ARRAY['barcode', 'bar_code', 'code', 'upc', 'upc_a', 'upc_code', 'ean', 'ean13', 'ean_13',
    'ean_code', 'gtin', 'gtin13', 'gtin_13', 'gtin14', 'gtin_14', 'gtin_upc', 'gtin_code', 'variant_barcode']),
('products', 'gtin_type', '[]', ARRAY['gtin_type', 'barcode_type', 'barcode_format', 'code_type', 'symbology', 'upc_type']),
('products', 'name', '[]', ARRAY['name', 'product_name', 'productname', 'product_name_en', 'title', 'product_title',
    'item_name', 'itemname', 'product', 'item', 'display_name', 'short_name']),
('products', 'brand', '[]', ARRAY['brand', 'brands', 'brand_name', 'brandname', 'brand_owner', 'manufacturer',
    'manufacturer_name', 'maker', 'vendor']),
('products', 'description', '[]', ARRAY['description', 'product_description', 'long_description', 'item_description',
    'desc', 'details', 'summary', 'generic_name', 'generic_name_en', 'body_html', 'marketing_text']),
('products', 'category', '[]', ARRAY['category', 'categories', 'categories_en', 'category_name', 'product_category',
    'main_category', 'main_category_en', 'department', 'dept', 'product_type', 'branded_food_category',
    'food_category', 'pnns_groups_1', 'food_groups', 'food_groups_en', 'aisle']),
('products', 'sub_category', '[]', ARRAY['sub_category', 'subcategory', 'sub_cat', 'subcat', 'subcategory_name',
    'product_subcategory', 'secondary_category', 'category_2', 'category2', 'sub_department', 'pnns_groups_2']),
('products', 'cuisine', '[]', ARRAY['cuisine', 'cuisines', 'cuisine_type', 'cuisine_name', 'cuisine_style', 'cuisine_origin']),
('products', 'market', '[]', ARRAY['market', 'markets', 'market_code', 'sales_market', 'region', 'sales_region',
    'country', 'countries', 'countries_en', 'country_code']),
('products', 'price', '[]', ARRAY['price', 'unit_price', 'retail_price', 'list_price', 'price_usd', 'msrp', 'variant_price',
    'regular_price', 'price_amount']),
('products', 'currency', '[]', ARRAY['currency', 'currency_code', 'price_currency', 'curr', 'iso_currency']),
('products', 'status', '[]', ARRAY['status', 'product_status', 'item_status', 'availability', 'lifecycle_status']),
('products', 'ingredients', '[]', ARRAY['ingredients', 'ingredients_text', 'ingredients_text_en', 'ingredient',
    'ingredient_list', 'ingredients_list', 'ingredient_statement', 'ingredients_statement', 'composition']),
('products', 'serving_size', '[]', ARRAY['serving_size', 'servingsize', 'serving', 'serving_description', 'portion',
    'portion_size', 'household_serving_fulltext', 'serving_size_text']),
('products', 'package_weight', '[]', ARRAY['package_weight', 'quantity', 'net_weight', 'net_wt', 'net_content',
    'net_contents', 'package_size', 'pack_size', 'size', 'weight', 'item_weight', 'unit_size']),
('products', 'package_weight', '["oz_to_g"]', ARRAY['package_weight_oz', 'net_weight_oz', 'net_wt_oz', 'size_oz', 'weight_oz']),
-- ---------------------------------------------------------------- products: nutrition
('products', 'energy_kcal', '[]', ARRAY['energy_kcal', 'calories', 'calories_kcal', 'calorie', 'kcal', 'cal', 'energy',
    'total_calories', 'calories_per_serving', 'energy_kcal_serving', 'kcal_per_serving']),
('products', 'energy_kcal', '["per_100g"]', ARRAY['energy_kcal_100g', 'energy_kcal_per_100g', 'kcal_100g', 'kcal_per_100g',
    'calories_100g', 'calories_per_100g']),
('products', 'energy_kcal', '["kj_to_kcal"]', ARRAY['energy_kj', 'kj', 'kilojoules', 'energy_kilojoules', 'energy_kj_serving',
    'energy_serving']),
('products', 'energy_kcal', '["kj_to_kcal", "per_100g"]', ARRAY['energy_kj_100g', 'energy_100g', 'energy_kj_per_100g',
    'kj_100g', 'kj_per_100g']),
('products', 'protein_g', '[]', ARRAY['protein_g', 'protein', 'proteins', 'protein_grams', 'total_protein', 'proteins_serving']),
('products', 'protein_g', '["per_100g"]', ARRAY['proteins_100g', 'protein_100g', 'protein_per_100g', 'protein_g_100g']),
('products', 'fat_g', '[]', ARRAY['fat_g', 'fat', 'total_fat', 'total_fat_g', 'totalfat', 'fat_total', 'lipids', 'fat_serving']),
('products', 'fat_g', '["per_100g"]', ARRAY['fat_100g', 'total_fat_100g', 'fat_per_100g']),
('products', 'saturated_fat_g', '[]', ARRAY['saturated_fat_g', 'saturated_fat', 'saturatedfat', 'sat_fat', 'sat_fat_g',
    'saturates', 'saturated', 'fat_saturated', 'saturated_fat_serving']),
('products', 'saturated_fat_g', '["per_100g"]', ARRAY['saturated_fat_100g', 'saturates_100g', 'sat_fat_100g']),
('products', 'trans_fat_g', '[]', ARRAY['trans_fat_g', 'trans_fat', 'transfat', 'trans', 'fat_trans', 'trans_fatty_acids',
    'trans_fat_serving']),
('products', 'trans_fat_g', '["per_100g"]', ARRAY['trans_fat_100g']),
('products', 'carbohydrates_g', '[]', ARRAY['carbohydrates_g', 'carbohydrates', 'carbohydrate', 'carbohydrate_g', 'carbs',
    'carbs_g', 'total_carbohydrate', 'total_carbohydrates', 'total_carbohydrate_g', 'total_carbs',
    'carbohydrate_by_difference', 'carbohydrates_serving']),
('products', 'carbohydrates_g', '["per_100g"]', ARRAY['carbohydrates_100g', 'carbohydrate_100g', 'carbs_100g']),
('products', 'sugars_g', '[]', ARRAY['sugars_g', 'sugars', 'sugar', 'sugar_g', 'total_sugars', 'total_sugars_g',
    'total_sugar', 'sugars_serving']),
('products', 'sugars_g', '["per_100g"]', ARRAY['sugars_100g', 'sugar_100g']),
('products', 'added_sugars_g', '[]', ARRAY['added_sugars_g', 'added_sugars', 'added_sugar', 'added_sugar_g', 'sugars_added',
    'includes_added_sugars', 'includes_added_sugars_g', 'incl_added_sugars', 'incl_added_sugars_g', 'added_sugars_serving']),
('products', 'added_sugars_g', '["per_100g"]', ARRAY['added_sugars_100g']),
('products', 'fiber_g', '[]', ARRAY['fiber_g', 'fiber', 'fibre', 'fibre_g', 'dietary_fiber', 'dietary_fiber_g',
    'dietary_fibre', 'total_fiber', 'fiber_total_dietary', 'fiber_serving']),
('products', 'fiber_g', '["per_100g"]', ARRAY['fiber_100g', 'fibre_100g', 'dietary_fiber_100g']),
('products', 'sodium_mg', '[]', ARRAY['sodium_mg', 'sodium', 'sodium_na', 'na', 'sodium_milligrams']),
('products', 'sodium_mg', '["per_100g"]', ARRAY['sodium_mg_100g', 'sodium_mg_per_100g']),
('products', 'sodium_mg', '["g_to_mg"]', ARRAY['sodium_g', 'sodium_grams', 'sodium_serving']),
('products', 'sodium_mg', '["g_to_mg", "per_100g"]', ARRAY['sodium_100g', 'sodium_g_100g']),
('products', 'sodium_mg', '["salt_g_to_sodium_mg"]', ARRAY['salt', 'salt_g', 'salt_grams', 'salt_serving']),
('products', 'sodium_mg', '["salt_g_to_sodium_mg", "per_100g"]', ARRAY['salt_100g', 'salt_g_100g', 'salt_per_100g']),
('products', 'cholesterol_mg', '[]', ARRAY['cholesterol_mg', 'cholesterol', 'chol']),
('products', 'cholesterol_mg', '["per_100g"]', ARRAY['cholesterol_mg_100g']),
('products', 'cholesterol_mg', '["g_to_mg"]', ARRAY['cholesterol_g', 'cholesterol_serving']),
('products', 'cholesterol_mg', '["g_to_mg", "per_100g"]', ARRAY['cholesterol_100g']),
('products', 'potassium_mg', '[]', ARRAY['potassium_mg', 'potassium', 'potassium_k', 'potassium_milligrams']),
('products', 'potassium_mg', '["per_100g"]', ARRAY['potassium_mg_100g']),
('products', 'potassium_mg', '["g_to_mg"]', ARRAY['potassium_g', 'potassium_serving']),
('products', 'potassium_mg', '["g_to_mg", "per_100g"]', ARRAY['potassium_100g']),
('products', 'calcium_mg', '[]', ARRAY['calcium_mg', 'calcium', 'calcium_ca', 'calcium_milligrams']),
('products', 'calcium_mg', '["per_100g"]', ARRAY['calcium_mg_100g']),
('products', 'calcium_mg', '["g_to_mg"]', ARRAY['calcium_g', 'calcium_serving']),
('products', 'calcium_mg', '["g_to_mg", "per_100g"]', ARRAY['calcium_100g']),
('products', 'iron_mg', '[]', ARRAY['iron_mg', 'iron', 'iron_fe', 'iron_milligrams']),
('products', 'iron_mg', '["per_100g"]', ARRAY['iron_mg_100g']),
('products', 'iron_mg', '["g_to_mg"]', ARRAY['iron_g', 'iron_serving']),
('products', 'iron_mg', '["g_to_mg", "per_100g"]', ARRAY['iron_100g']),
-- ---------------------------------------------------------------- products: lists and links
('products', 'dietary_tags', '["split_list"]', ARRAY['dietary_tags', 'diet_tags', 'dietary', 'diets', 'diet',
    'dietary_attributes', 'diet_labels', 'tags', 'product_tags', 'labels', 'labels_en', 'labels_tags', 'claims',
    'lifestyle_tags']),
('products', 'allergens', '["split_list"]', ARRAY['allergens', 'allergens_en', 'allergens_tags', 'allergen',
    'allergen_info', 'allergen_information', 'allergen_statement', 'allergens_list', 'contains',
    'contains_allergens', 'allergy_info']),
('products', 'certifications', '["split_list"]', ARRAY['certifications', 'certification', 'certs', 'certificates',
    'seals', 'quality_labels']),
('products', 'regulatory_codes', '["split_list"]', ARRAY['regulatory_codes', 'regulatory_code', 'regulatory',
    'emb_codes', 'emb_codes_tags', 'packager_codes', 'establishment_number']),
('products', 'source_url', '[]', ARRAY['source_url', 'url', 'product_url', 'link', 'product_link', 'page_url',
    'web_url', 'website', 'source']),
('products', 'image_url', '[]', ARRAY['image_url', 'image', 'image_link', 'image_src', 'img_url', 'photo_url',
    'picture_url', 'main_image', 'image_front_url', 'photo', 'picture']),
-- ---------------------------------------------------------------- customers
('customers', 'external_id', '[]', ARRAY['external_id', 'externalid', 'ext_id', 'customer_id', 'customerid', 'id',
    'member_id', 'memberid', 'client_id', 'patient_id', 'user_id', 'account_id', 'contact_id', 'customer_number',
    'member_number', 'loyalty_id']),
('customers', 'full_name', '[]', ARRAY['full_name', 'fullname', 'name', 'customer_name', 'member_name', 'client_name',
    'patient_name', 'display_name', 'contact_name']),
('customers', 'email', '[]', ARRAY['email', 'e_mail', 'email_address', 'emailaddress', 'mail', 'contact_email',
    'primary_email']),
('customers', 'dob', '[]', ARRAY['dob', 'd_o_b', 'date_of_birth', 'dateofbirth', 'birth_date', 'birthdate', 'birthday',
    'born']),
('customers', 'age', '[]', ARRAY['age', 'age_years', 'age_yrs', 'current_age', 'customer_age', 'years_old']),
('customers', 'gender', '[]', ARRAY['gender', 'sex', 'gender_identity', 'biological_sex', 'sex_at_birth', 'm_f']),
('customers', 'location', '[]', ARRAY['location', 'city', 'address', 'home_address', 'zip', 'zip_code', 'zipcode',
    'postal_code', 'postcode', 'country', 'region', 'city_state']),
('customers', 'phone', '[]', ARRAY['phone', 'phone_number', 'phonenumber', 'mobile', 'mobile_phone', 'mobile_number',
    'cell', 'cell_phone', 'telephone', 'tel', 'contact_number']),
('customers', 'custom_tags', '["split_list"]', ARRAY['custom_tags', 'tags', 'customer_tags', 'labels', 'segments',
    'segment', 'groups', 'cohort', 'cohorts', 'lists']),
('customers', 'height_cm', '[]', ARRAY['height_cm', 'height', 'ht', 'ht_cm', 'height_centimeters', 'height_centimetres',
    'stature', 'body_height']),
('customers', 'height_cm', '["in_to_cm"]', ARRAY['height_in', 'height_inches', 'height_inch', 'ht_in', 'height_in_inches']),
('customers', 'height_cm', '["ft_in_to_cm"]', ARRAY['height_ft_in', 'height_ft_and_in', 'height_feet_inches',
    'height_ft_inches', 'height_imperial']),
('customers', 'height_cm', '["m_to_cm"]', ARRAY['height_m', 'height_meters', 'height_metres']),
('customers', 'weight_kg', '[]', ARRAY['weight_kg', 'weight', 'wt', 'wt_kg', 'body_weight', 'bodyweight',
    'weight_kilograms', 'body_weight_kg']),
('customers', 'weight_kg', '["lb_to_kg"]', ARRAY['weight_lb', 'weight_lbs', 'weight_pounds', 'weight_in_lbs',
    'weight_in_pounds', 'wt_lb', 'wt_lbs', 'body_weight_lbs']),
('customers', 'activity_level', '[]', ARRAY['activity_level', 'activitylevel', 'activity', 'activity_lvl',
    'physical_activity', 'physical_activity_level', 'pal', 'exercise_level', 'lifestyle', 'activity_factor']),
('customers', 'conditions', '["split_list"]', ARRAY['conditions', 'condition', 'medical_conditions', 'health_conditions',
    'chronic_conditions', 'diagnoses', 'diagnosis', 'comorbidities', 'medical_history', 'health_issues']),
('customers', 'diet_goals', '["split_list"]', ARRAY['diet_goals', 'diet_goal', 'dietary_goals', 'goals', 'diet', 'diets',
    'diet_type', 'dietary_preferences', 'diet_preferences', 'preferences', 'dietary_needs', 'dietary_restrictions',
    'nutrition_goals']),
('customers', 'macro_targets', '[]', ARRAY['macro_targets', 'macros', 'macro_goals', 'macronutrient_targets',
    'nutrition_targets', 'daily_targets', 'targets']),
('customers', 'avoid_allergens', '["split_list"]', ARRAY['avoid_allergens', 'allergies', 'allergy', 'allergens',
    'allergy_list', 'food_allergies', 'allergens_to_avoid', 'avoid', 'intolerances', 'food_intolerances']);

COMMIT;
