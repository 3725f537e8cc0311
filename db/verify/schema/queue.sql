-- Verify odyssey:schema/queue on pg
SELECT id, kind, vendor_id, tenant_key, payload, priority, run_at, status, attempts, max_attempts, dedupe_key,
       locked_by, locked_at, lease_expires_at, cap_slot, cancel_requested, last_error, errors, created_at
  FROM queue.jobs WHERE false;
SELECT id, kind, vendor_id, payload, priority, attempts, max_attempts, dedupe_key, last_error, errors, created_at, failed_at
  FROM queue.dead_letters WHERE false;
SELECT kind, max_running_per_vendor, max_attempts, backoff_base, backoff_cap FROM queue.kinds WHERE false;
SELECT vendor_id, kind, max_running FROM queue.vendor_caps WHERE false;
SELECT tenant_key, served FROM queue.vendor_turns WHERE false;
SELECT 1/count(*)::int FROM pg_catalog.pg_indexes WHERE schemaname = 'queue' AND indexname = 'jobs_ready_idx';
SELECT tenant_key, kind, slot, job_id FROM queue.cap_slots WHERE false;
