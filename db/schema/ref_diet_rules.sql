-- Deploy odyssey:schema/ref_diet_rules to pg
-- requires: schema/health
-- requires: policies/health
-- The platform default diet-rule templates (notes.md "Default diet-rule templates"): one active
-- health.diet_rules row per condition with vendor_id NULL, in the shared policy JSON format
--   {"limits": {...}, "hard": {"exclude_allergens": [...], "exclude_ingredients": [...]},
--    "scoring": {...}, "meta": {"label", "source", ...}}
-- Every limit is a daily amount. Vendors override a template with their own active rule.
--
-- health.diet_rules has RLS forced, so the owner running this script obeys its policies: platform
-- rows (vendor_id NULL) are writable only when app.is_superadmin(). For the owner's session
-- app.current_app_role() has no RBAC SQL role to go by (role = none, session_user = odyssey_owner)
-- and falls back to the transaction-local odyssey.role setting, set here for this transaction only.
-- The ids are fixed so that the revert deletes exactly these rows.
BEGIN;

SET LOCAL odyssey.role = 'superadmin';

INSERT INTO health.diet_rules (id, vendor_id, condition_code, policy, active)
VALUES
('d1e70000-0000-4000-8000-000000000001', NULL, 'general', $json$
{"limits": {"sodium_mg": {"max": 2300}, "added_sugars_g": {"max": 50},
            "saturated_fat_g": {"max": 20}, "fiber_g": {"min": 28}},
 "hard": {"exclude_allergens": [], "exclude_ingredients": []},
 "scoring": {},
 "meta": {"label": "General population (baseline, applies to everyone)",
          "source": "FDA Daily Values for nutrition labeling, 2,000 kcal reference diet (21 CFR 101.9): sodium 2,300 mg, added sugars 50 g, saturated fat 20 g, dietary fiber 28 g",
          "basis": "daily", "template": true}}
$json$::jsonb, true),
('d1e70000-0000-4000-8000-000000000002', NULL, 'type2_diabetes', $json$
{"limits": {"added_sugars_g": {"max": 25}, "fiber_g": {"min_per_1000_kcal": 14},
            "sodium_mg": {"max": 2300}},
 "hard": {"exclude_allergens": [], "exclude_ingredients": []},
 "scoring": {"fiber_bonus": true},
 "meta": {"label": "Type 2 diabetes",
          "source": "ADA Standards of Care in Diabetes, section 5 (nutrition therapy): fiber at least 14 g per 1,000 kcal, sodium < 2,300 mg/day, minimize added sugars; added sugars <= 25 g/day per the AHA added-sugars recommendation",
          "basis": "daily", "template": true}}
$json$::jsonb, true),
('d1e70000-0000-4000-8000-000000000003', NULL, 'hypertension', $json$
{"limits": {"sodium_mg": {"max": 1500}},
 "hard": {"exclude_allergens": [], "exclude_ingredients": []},
 "scoring": {},
 "meta": {"label": "Hypertension",
          "source": "AHA: ideal sodium limit 1,500 mg/day for most adults, especially with high blood pressure (DASH-Sodium trial)",
          "basis": "daily", "template": true}}
$json$::jsonb, true),
('d1e70000-0000-4000-8000-000000000004', NULL, 'heart_disease', $json$
{"limits": {"saturated_fat_g": {"max_pct_kcal": 6}},
 "hard": {"exclude_allergens": [], "exclude_ingredients": []},
 "scoring": {},
 "meta": {"label": "Heart disease / hyperlipidemia",
          "source": "AHA/ACC Guideline on Lifestyle Management to Reduce Cardiovascular Risk: saturated fat 5-6 % of calories for adults who need to lower LDL cholesterol",
          "basis": "daily", "template": true}}
$json$::jsonb, true),
('d1e70000-0000-4000-8000-000000000005', NULL, 'ckd', $json$
{"limits": {"protein_g": {"max_per_kg": 0.6}, "sodium_mg": {"max": 2300}},
 "hard": {"exclude_allergens": [], "exclude_ingredients": []},
 "scoring": {},
 "meta": {"label": "Chronic kidney disease (stages 3-5, not on dialysis)",
          "source": "KDOQI Clinical Practice Guideline for Nutrition in CKD: 2020 Update (protein 0.55-0.6 g/kg body weight/day in CKD 3-5 not on dialysis; sodium < 2.3 g/day); KDIGO CKD guideline",
          "applies_to": "CKD stages 3-5, not on dialysis",
          "basis": "daily", "template": true}}
$json$::jsonb, true),
('d1e70000-0000-4000-8000-000000000006', NULL, 'celiac', $json$
{"limits": {},
 "hard": {"exclude_allergens": ["wheat"],
          "exclude_ingredients": ["wheat", "spelt", "durum", "kamut", "rye", "barley", "triticale", "malt"]},
 "scoring": {},
 "meta": {"label": "Celiac disease",
          "source": "Celiac disease: strict lifelong avoidance of the gluten grains wheat (incl. spelt, durum, kamut), rye, barley (incl. malt) and triticale (NIDDK; Celiac Disease Foundation; FDA gluten-free labeling rule 21 CFR 101.91)",
          "basis": "daily", "template": true}}
$json$::jsonb, true);

COMMIT;
