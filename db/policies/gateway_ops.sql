-- Deploy odyssey:policies/gateway_ops to pg
-- requires: schema/gateway_ops
-- requires: functions/api_gateway
-- ops.request_metrics holds per-vendor request samples: RLS enabled and forced like every table
-- with vendor data. No application role is granted anything on it; the definer-rights functions
-- that ship samples (api.record_requests, across vendors) and expire them run as the owner and get
-- exactly those two rights; reads (api.metrics_performance) see only the current vendor.
BEGIN;

SELECT app.enable_tenant_rls('ops.request_metrics');
CREATE POLICY request_metrics_record ON ops.request_metrics FOR INSERT TO odyssey_owner WITH CHECK (true);
CREATE POLICY request_metrics_expire ON ops.request_metrics FOR DELETE TO odyssey_owner
    USING (at < pg_catalog.now() - interval '7 days');

COMMIT;
