-- Deploy odyssey:functions/api_ops to pg
-- requires: functions/api_gateway
-- requires: policies/ingestion
-- Jobs (PRD §5.4) and the vendor-facing performance view (notes.md): real percentiles of the
-- gateway's latency samples over the last hour against the PRD SLOs, error counts, jobs by status.
BEGIN;

CREATE OR REPLACE FUNCTION api.get_job(p_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_body   jsonb;
BEGIN
    SELECT pg_catalog.to_jsonb(j) INTO v_body FROM ingest.ingestion_jobs j
     WHERE j.vendor_id = v_vendor AND j.id = p_id;
    IF v_body IS NULL THEN
        PERFORM app.raise_problem('OD404', 'job not found');
    END IF;
    RETURN v_body;
END
$$;
COMMENT ON FUNCTION api.get_job(uuid) IS 'GET /api/v1/jobs/{id}: status, progress, totals and error_url of an ingestion job of the vendor.';

CREATE OR REPLACE FUNCTION api.list_jobs(p_status text DEFAULT NULL, p_cursor text DEFAULT NULL, p_limit integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vendor uuid := app.require_vendor();
    v_limit  integer := app.page_limit(p_limit);
    v_pos    jsonb := app.cursor_decode(p_cursor);
    v_items  jsonb;
    v_count  bigint;
    v_last   jsonb;
BEGIN
    IF v_pos IS NOT NULL AND v_pos ->> 's' IS DISTINCT FROM 'jobs' THEN
        PERFORM app.raise_problem('OD400', 'invalid cursor',
            '[{"field": "cursor", "code": "invalid", "message": "not a cursor of this list"}]');
    END IF;
    IF p_status IS NOT NULL AND p_status <> ALL (pg_catalog.enum_range(NULL::ingest.job_status)::text[]) THEN
        PERFORM app.raise_problem('OD422', 'unknown status',
            '[{"field": "status", "code": "invalid", "message": "one of queued, running, failed, completed, canceled"}]');
    END IF;
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(t) - 'n' ORDER BY t.n) FILTER (WHERE t.n <= v_limit), '[]'),
           pg_catalog.count(*),
           (pg_catalog.array_agg(pg_catalog.jsonb_build_object('s', 'jobs', 'c', t.created_at, 'i', t.id)) FILTER (WHERE t.n = v_limit))[1]
      INTO v_items, v_count, v_last
      FROM (SELECT j.*, pg_catalog.row_number() OVER (ORDER BY j.created_at DESC, j.id DESC) AS n
              FROM ingest.ingestion_jobs j
             WHERE j.vendor_id = v_vendor
               AND (p_status IS NULL OR j.status = p_status::ingest.job_status)
               AND (v_pos IS NULL OR (j.created_at, j.id) < ((v_pos ->> 'c')::timestamptz, (v_pos ->> 'i')::uuid))
             ORDER BY j.created_at DESC, j.id DESC LIMIT v_limit + 1) t;
    RETURN pg_catalog.jsonb_build_object('items', v_items, 'limit', v_limit,
        'next_cursor', CASE WHEN v_count > v_limit THEN app.cursor_encode(v_last) END);
END
$$;
COMMENT ON FUNCTION api.list_jobs(text, text, integer) IS 'GET /api/v1/jobs: the vendor''s ingestion jobs, newest first, keyset-paginated.';

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

GRANT EXECUTE ON FUNCTION api.get_job(uuid), api.list_jobs(text, text, integer), api.metrics_performance()
   TO odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;

COMMIT;
