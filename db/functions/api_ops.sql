-- Deploy odyssey:functions/api_ops to pg
-- requires: functions/api_gateway
-- requires: policies/ingestion
-- The vendor-facing performance view (notes.md): real percentiles of the gateway's latency samples
-- over the last hour against the PRD SLOs, error counts, jobs by status. (api.get_job and
-- api.list_jobs live in functions/ingest_uploads: they show upload progress from ingest.uploads.)
BEGIN;

CREATE OR REPLACE FUNCTION api.metrics_performance()
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_routes jsonb;
    v_errors jsonb;
    v_jobs   jsonb;
BEGIN
    -- The SLOs of PRD §0: matches P95 <= 500 ms, list/search P95 <= 300 ms.
    SELECT pg_catalog.jsonb_object_agg(s.name, pg_catalog.jsonb_build_object(
               'requests', coalesce(m.n, 0), 'p50_ms', m.p50, 'p95_ms', m.p95, 'p99_ms', m.p99,
               'slo_p95_ms', s.slo, 'within_slo', CASE WHEN m.p95 IS NULL THEN NULL ELSE m.p95 <= s.slo END))
      INTO v_routes
      FROM (VALUES ('search', 300, ARRAY['/api/v1/search/products', '/api/v1/search/customers']),
                   ('matches', 500, ARRAY['/api/v1/matches/{customer_id}']),
                   ('list', 300, ARRAY['/api/v1/products', '/api/v1/customers'])) AS s (name, slo, routes)
      LEFT JOIN LATERAL (
           SELECT pg_catalog.count(*) AS n,
                  round(pg_catalog.percentile_cont(0.50) WITHIN GROUP (ORDER BY r.latency_ms)::numeric, 2) AS p50,
                  round(pg_catalog.percentile_cont(0.95) WITHIN GROUP (ORDER BY r.latency_ms)::numeric, 2) AS p95,
                  round(pg_catalog.percentile_cont(0.99) WITHIN GROUP (ORDER BY r.latency_ms)::numeric, 2) AS p99
             FROM ops.request_metrics r
            WHERE r.vendor_id = v_vendor AND r.at > pg_catalog.now() - interval '1 hour'
              AND r.method = 'GET' AND r.route = ANY (s.routes) AND r.status < 400) m ON true;
    SELECT pg_catalog.jsonb_build_object('requests', pg_catalog.count(*),
                                         'client_errors', pg_catalog.count(*) FILTER (WHERE r.status BETWEEN 400 AND 499),
                                         'server_errors', pg_catalog.count(*) FILTER (WHERE r.status >= 500),
                                         'rate_limited', pg_catalog.count(*) FILTER (WHERE r.status = 429))
      INTO v_errors
      FROM ops.request_metrics r
     WHERE r.vendor_id = v_vendor AND r.at > pg_catalog.now() - interval '1 hour';
    PERFORM pg_catalog.set_config('odyssey.vendor_id', v_vendor::text, true);
    SELECT pg_catalog.jsonb_object_agg(st, coalesce(c.n, 0)) INTO v_jobs
      FROM pg_catalog.unnest(pg_catalog.enum_range(NULL::ingest.job_status)) AS st
      LEFT JOIN (SELECT j.status, pg_catalog.count(*) AS n FROM ingest.ingestion_jobs j
                  WHERE j.vendor_id = v_vendor AND j.created_at > pg_catalog.now() - interval '24 hours'
                  GROUP BY j.status) c ON c.status = st;
    RETURN pg_catalog.jsonb_build_object(
        'vendor_id', v_vendor, 'window', 'PT1H', 'generated_at', pg_catalog.now(),
        'latency', v_routes, 'requests', v_errors,
        'jobs_24h', v_jobs,
        'queue_depth', (v_jobs ->> 'queued')::bigint + (v_jobs ->> 'running')::bigint);
END
$$;
COMMENT ON FUNCTION api.metrics_performance() IS
  'GET /api/v1/metrics/performance: the vendor''s p50/p95/p99 (percentile_cont) of search, matches and lists over the last hour against the SLOs, error counts, ingestion jobs by status over 24 h, queue depth.';

GRANT EXECUTE ON FUNCTION api.metrics_performance()
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;

COMMIT;
