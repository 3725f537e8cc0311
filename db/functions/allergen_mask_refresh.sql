-- Deploy odyssey:functions/allergen_mask_refresh to pg
-- requires: schema/product_features
-- requires: functions/catalog_bulk_write
-- requires: functions/queue
-- requires: functions/machinery_vendors
-- Matching's hard allergen filter reads matching.product_features.amask, computed when a product
-- is written from its allergen labels through the value synonyms. A label the dictionary did not
-- know then ("lactoserum") gave no bit; once an admin adds it as a synonym of milk, every product
-- carrying it must get the milk bit, or a milk-allergic customer would be offered it. So a change
-- of the allergen synonyms queues one matching.allergen_masks job per vendor (committed with the
-- change); the job recomputes the masks of the vendor's products (labels that are all canonical
-- codes take product_allergen_mask's cheap path), writes those that differ, and bumps the vendor's catalog_version when any changed, so cached matches
-- computed with the old masks are not served again.
BEGIN;

INSERT INTO queue.kinds (kind, max_running_per_vendor, max_attempts, backoff_base, backoff_cap, description) VALUES
    ('matching.allergen_masks', 1, 10, '5 seconds', '10 minutes',
     'Recompute the allergen masks of a vendor''s products after the allergen synonyms changed: payload {}')
ON CONFLICT (kind) DO NOTHING;

CREATE OR REPLACE FUNCTION matching.refresh_allergen_masks(p_vendor_id uuid)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_saved   text := coalesce(pg_catalog.current_setting('odyssey.vendor_id', true), '');
    v_changed bigint;
BEGIN
    PERFORM queue.assert_may_act_for(p_vendor_id);
    PERFORM pg_catalog.set_config('odyssey.vendor_id', p_vendor_id::text, true);
    UPDATE matching.product_features f SET amask = m.amask
      FROM (SELECT p.id, matching.product_allergen_mask(p.allergens) AS amask
              FROM catalog.products p WHERE p.vendor_id = p_vendor_id) m
     WHERE f.vendor_id = p_vendor_id AND f.product_id = m.id AND f.amask IS DISTINCT FROM m.amask;
    GET DIAGNOSTICS v_changed = ROW_COUNT;
    IF v_changed > 0 THEN
        UPDATE core.vendors v SET catalog_version = v.catalog_version + 1 WHERE v.id = p_vendor_id;
    END IF;
    PERFORM pg_catalog.set_config('odyssey.vendor_id', v_saved, true);
    RETURN v_changed;
END
$$;
COMMENT ON FUNCTION matching.refresh_allergen_masks(uuid) IS
  'Worker: recomputes the allergen masks of the vendor''s products and writes those that differ; bumps catalog_version when any changed; returns how many feature rows changed.';

CREATE OR REPLACE FUNCTION ingest.allergen_synonyms_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_saved   text := coalesce(pg_catalog.current_setting('odyssey.vendor_id', true), '');
    v_vendor  uuid;
BEGIN
    IF NOT EXISTS (SELECT FROM changed_rows c WHERE c.domain = 'allergen') THEN
        RETURN NULL;
    END IF;
    FOREACH v_vendor IN ARRAY app.machinery_vendor_ids(false) LOOP
        PERFORM pg_catalog.set_config('odyssey.vendor_id', v_vendor::text, true);
        PERFORM queue.enqueue('matching.allergen_masks', v_vendor, '{}'::jsonb);
    END LOOP;
    PERFORM pg_catalog.set_config('odyssey.vendor_id', v_saved, true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ingest.allergen_synonyms_changed() IS
  'AFTER statement trigger on ingest.synonyms_value: when allergen synonyms changed, one matching.allergen_masks job per vendor.';

CREATE OR REPLACE TRIGGER synonyms_value_allergen_insert AFTER INSERT ON ingest.synonyms_value
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ingest.allergen_synonyms_changed();
CREATE OR REPLACE TRIGGER synonyms_value_allergen_update AFTER UPDATE ON ingest.synonyms_value
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ingest.allergen_synonyms_changed();
CREATE OR REPLACE TRIGGER synonyms_value_allergen_delete AFTER DELETE ON ingest.synonyms_value
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ingest.allergen_synonyms_changed();

GRANT EXECUTE ON FUNCTION matching.refresh_allergen_masks(uuid) TO odyssey_worker;

COMMIT;
