-- Deploy odyssey:functions/hooks_retention to pg
-- requires: functions/webhooks
-- requires: functions/machinery_vendors
-- The outbox and the delivery log stay small: a published event is kept 7 days (its deliveries
-- carry their own copy of the payload), a delivery that ended (delivered or dead) 30 days, for
-- GET /api/v1/webhooks/{id}/deliveries. Pending and failed deliveries are never purged. A worker
-- runs it every --reap-interval, a bounded number of rows per call.
BEGIN;

CREATE OR REPLACE FUNCTION hooks.purge(p_events_keep interval DEFAULT '7 days', p_deliveries_keep interval DEFAULT '30 days',
                                       p_limit integer DEFAULT 10000)
RETURNS TABLE (events bigint, deliveries bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_saved   text := coalesce(pg_catalog.current_setting('odyssey.vendor_id', true), '');
    v_vendor  uuid;
    v_left    integer := greatest(coalesce(p_limit, 10000), 1);
    v_n       bigint;
BEGIN
    events := 0;
    deliveries := 0;
    -- Vendor by vendor: the tables' RLS is forced for the owner too.
    FOREACH v_vendor IN ARRAY app.machinery_vendor_ids() LOOP
        EXIT WHEN v_left <= 0;
        PERFORM pg_catalog.set_config('odyssey.vendor_id', v_vendor::text, true);
        DELETE FROM hooks.events e
         WHERE e.vendor_id = v_vendor AND e.event_id IN (
               SELECT x.event_id FROM hooks.events x
                WHERE x.vendor_id = v_vendor AND x.occurred_at < pg_catalog.now() - p_events_keep AND x.published_at IS NOT NULL
                LIMIT v_left);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        events := events + v_n;
        v_left := v_left - v_n::integer;
        DELETE FROM hooks.webhook_deliveries d
         WHERE d.vendor_id = v_vendor AND d.id IN (
               SELECT x.id FROM hooks.webhook_deliveries x
                WHERE x.vendor_id = v_vendor AND x.created_at < pg_catalog.now() - p_deliveries_keep
                  AND x.status IN ('delivered', 'dead')
                LIMIT greatest(v_left, 0));
        GET DIAGNOSTICS v_n = ROW_COUNT;
        deliveries := deliveries + v_n;
        v_left := v_left - v_n::integer;
    END LOOP;
    PERFORM pg_catalog.set_config('odyssey.vendor_id', v_saved, true);
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION hooks.purge(interval, interval, integer) IS
  'Worker: deletes published outbox events older than p_events_keep and ended webhook deliveries older than p_deliveries_keep, at most p_limit rows; returns how many of each.';

GRANT EXECUTE ON FUNCTION hooks.purge(interval, interval, integer) TO odyssey_worker;

COMMIT;
