-- Deploy odyssey:functions/entity_events to pg
-- requires: functions/webhooks
-- requires: schema/catalog
-- requires: schema/customers
-- product.updated and customer.updated (PRD §5.9): one outbox event per product or customer that
-- a write through the API created, changed, soft-deleted or restored, in the write's transaction
-- (and so, by hooks.event_fan_out, its webhook deliveries). Writes through the API are the ones
-- made under the API's roles (superadmin, vendor_admin, vendor_operator); bulk ingestion runs as
-- the worker and emits job-level events only (job.completed / job.failed with totals, notes.md),
-- and maintenance by the owner emits none. data carries ids, version and the kind of change --
-- never names, emails or health data: a receiver that needs more reads it through the API.
-- v0.4.0 -> this: the writer's role through app.current_app_role (the project's helper) instead
-- of a list of current_user names; the rows read by primary key (id = ANY) in one statement.
BEGIN;

CREATE OR REPLACE FUNCTION hooks.emit_entity_events(p_event_type text, p_ids uuid[], p_changes text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_count  integer;
BEGIN
    IF p_event_type NOT IN ('product.updated', 'customer.updated') THEN
        RAISE EXCEPTION 'not an entity event type: %', p_event_type USING ERRCODE = '22023';
    END IF;
    -- The data is read here from the current vendor's own rows, never taken from the caller: a
    -- direct call can at most announce a change of a row that exists. The rows are found by
    -- primary key (id = ANY): a batch of ten never reads a vendor's whole catalog.
    INSERT INTO hooks.events (vendor_id, event_type, data)
    SELECT v_vendor, p_event_type,
           pg_catalog.jsonb_build_object(CASE p_event_type WHEN 'product.updated' THEN 'product_id' ELSE 'customer_id' END, r.id,
                                         'external_id', r.external_id, 'version', r.version, 'change', c.change,
                                         'updated_at', r.updated_at)
      FROM (SELECT p.id, p.external_id, p.version, p.updated_at FROM catalog.products p
             WHERE p_event_type = 'product.updated' AND p.vendor_id = v_vendor AND p.id = ANY (p_ids)
            UNION ALL
            SELECT x.id, x.external_id, x.version, x.updated_at FROM crm.customers x
             WHERE p_event_type = 'customer.updated' AND x.vendor_id = v_vendor AND x.id = ANY (p_ids)) AS r
      JOIN ROWS FROM (pg_catalog.unnest(p_ids), pg_catalog.unnest(p_changes)) AS c(id, change) ON c.id = r.id
     ORDER BY r.id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION hooks.emit_entity_events(text, uuid[], text[]) IS
  'One product.updated / customer.updated outbox event per id of the current vendor: data {product_id|customer_id, external_id, version, change, updated_at}.';

CREATE OR REPLACE FUNCTION hooks.entity_written()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_ids     uuid[];
    v_changes text[];
BEGIN
    -- Writes under an API role only (app.current_app_role: the role the request switched to).
    IF coalesce(app.current_app_role(), '') NOT IN ('superadmin', 'vendor_admin', 'vendor_operator') THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT pg_catalog.array_agg(n.id), pg_catalog.array_agg('created'::text) INTO v_ids, v_changes FROM new_rows n;
    ELSE
        SELECT pg_catalog.array_agg(n.id),
               pg_catalog.array_agg(CASE WHEN o.soft_deleted_at IS NULL AND n.soft_deleted_at IS NOT NULL THEN 'deleted'
                                         WHEN o.soft_deleted_at IS NOT NULL AND n.soft_deleted_at IS NULL THEN 'restored'
                                         ELSE 'updated' END)
          INTO v_ids, v_changes
          FROM new_rows n JOIN old_rows o ON o.vendor_id = n.vendor_id AND o.id = n.id;
    END IF;
    IF v_ids IS NOT NULL THEN
        PERFORM hooks.emit_entity_events(TG_ARGV[0], v_ids, v_changes);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION hooks.entity_written() IS
  'AFTER statement trigger (transition tables) on catalog.products and crm.customers: the entity events of a write made under an API role; TG_ARGV[0] is the event type.';

CREATE OR REPLACE TRIGGER products_events_insert AFTER INSERT ON catalog.products
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hooks.entity_written('product.updated');
CREATE OR REPLACE TRIGGER products_events_update AFTER UPDATE ON catalog.products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hooks.entity_written('product.updated');
CREATE OR REPLACE TRIGGER customers_events_insert AFTER INSERT ON crm.customers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hooks.entity_written('customer.updated');
CREATE OR REPLACE TRIGGER customers_events_update AFTER UPDATE ON crm.customers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hooks.entity_written('customer.updated');

GRANT EXECUTE ON FUNCTION hooks.emit_entity_events(text, uuid[], text[]), hooks.entity_written()
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;

COMMIT;
