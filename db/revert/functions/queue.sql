-- Revert odyssey:functions/queue from pg (back to @v0.8.0: dequeue without p_completed, no finish_held)
-- requires: schema/queue
-- The queue's whole protocol, in SQL. A worker (role odyssey_worker) loops:
--   queue.dequeue(worker, kinds, n, lease)  -> jobs it now holds (status running, lease set)
--   queue.heartbeat(job, worker, lease)     -> extends the lease of a long job (false: stop, lost or canceled)
--   queue.complete(job, worker) / queue.complete_many(jobs, worker)  -> the job is deleted
--   queue.fail(job, worker, error)          -> retried later (exponential backoff, jitter) or dead-lettered
--   queue.reap_expired()                    -> jobs of dead workers (lease expired) are queued again
-- Producers call queue.enqueue (NOTIFY odyssey_queue, payload = kind, wakes idle workers).
--
-- Every function that touches the tables is SECURITY DEFINER with SET odyssey.queue_scope =
-- 'machinery': the policy queue_machinery lets the owner see every tenant's jobs only inside these
-- functions (a worker serves all vendors); everywhere else the tenant_isolation policy applies.
-- Functions reachable by vendor roles (enqueue, cancel) check the caller's vendor themselves.
-- v0.5.0 -> this: dequeue locks the cap slot it takes through the slots' primary key.
BEGIN;

DROP FUNCTION IF EXISTS queue.dequeue(text, text[], integer, interval, bigint[]);

CREATE OR REPLACE FUNCTION queue.tenant_key(p_vendor_id uuid)
RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(p_vendor_id, '00000000-0000-0000-0000-000000000000'::uuid) $$;
COMMENT ON FUNCTION queue.tenant_key(uuid) IS 'The tenant key of a vendor (the nil UUID for platform jobs).';

CREATE OR REPLACE FUNCTION queue.caller_is_unrestricted()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = ''
AS $$
    -- The effective outer role: the one switched to with SET ROLE, else the session's login.
    SELECT r.rolsuper OR r.rolname IN ('odyssey_worker', 'odyssey_superadmin', 'odyssey_owner')
      FROM pg_catalog.pg_roles r
     WHERE r.rolname = coalesce(nullif(pg_catalog.current_setting('role'), 'none'), session_user::text)
$$;
COMMENT ON FUNCTION queue.caller_is_unrestricted() IS
  'True when the calling role (SET ROLE target, else session user) may act for any vendor: worker, superadmin, owner, superuser.';

CREATE OR REPLACE FUNCTION queue.assert_may_act_for(p_vendor_id uuid)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = ''
AS $$
BEGIN
    IF NOT coalesce(queue.caller_is_unrestricted(), false)
       AND (p_vendor_id IS NULL OR p_vendor_id IS DISTINCT FROM app.current_vendor_id()) THEN
        RAISE EXCEPTION 'jobs of another vendor (or platform jobs) are out of reach'
              USING ERRCODE = '42501';
    END IF;
END
$$;
COMMENT ON FUNCTION queue.assert_may_act_for(uuid) IS 'Raises 42501 unless the caller may act for this vendor (vendor roles: only their own).';

CREATE OR REPLACE FUNCTION queue.backoff_delay(p_attempt integer, p_base interval, p_cap interval)
RETURNS interval
LANGUAGE sql VOLATILE
SET search_path = ''
AS $$
    -- Exponential backoff with "equal jitter": between half and all of min(cap, base * 2^(attempt-1)).
    SELECT pg_catalog.make_interval(secs =>
             least(extract(epoch FROM p_cap)::float8,
                   extract(epoch FROM p_base)::float8 * 2.0 ^ least(greatest(p_attempt - 1, 0), 60))
             * (0.5 + 0.5 * pg_catalog.random()))
$$;
COMMENT ON FUNCTION queue.backoff_delay(integer, interval, interval) IS
  'Retry delay after the attempt-th failure: min(cap, base * 2^(attempt-1)) times a random factor in [0.5, 1].';

CREATE OR REPLACE FUNCTION queue.ensure_slots(p_tenant_key uuid, p_kind text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = ''
AS $$
DECLARE
    v_cap integer;
BEGIN
    SELECT coalesce(c.max_running, k.max_running_per_vendor) INTO v_cap
      FROM queue.kinds k
      LEFT JOIN queue.vendor_caps c ON c.vendor_id = p_tenant_key AND c.kind = k.kind
     WHERE k.kind = p_kind;
    IF v_cap > 0 AND NOT EXISTS (SELECT FROM queue.cap_slots s
                                  WHERE s.tenant_key = p_tenant_key AND s.kind = p_kind AND s.slot = v_cap - 1) THEN
        INSERT INTO queue.cap_slots (tenant_key, kind, slot)
        SELECT p_tenant_key, p_kind, g FROM generate_series(0, v_cap - 1) AS g
        ON CONFLICT DO NOTHING;
    END IF;
END
$$;
COMMENT ON FUNCTION queue.ensure_slots(uuid, text) IS 'Internal: creates the concurrency slots of a (tenant, kind) up to its current cap.';

CREATE OR REPLACE FUNCTION queue.caps_changed()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    IF TG_TABLE_NAME = 'vendor_caps' THEN
        PERFORM queue.ensure_slots(NEW.vendor_id, NEW.kind);
    ELSE
        PERFORM queue.ensure_slots(t.tenant_key, NEW.kind)
           FROM (SELECT DISTINCT j.tenant_key FROM queue.jobs j WHERE j.kind = NEW.kind) t;
    END IF;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION queue.caps_changed() IS 'Trigger: a new or raised cap gets its slots (for the vendor, or for every tenant with jobs of the kind).';
CREATE OR REPLACE FUNCTION queue.kind_deleted()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    DELETE FROM queue.cap_slots cs USING old_kinds o WHERE cs.kind = o.kind;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION queue.kind_deleted() IS
  'Trigger: a deleted kind takes its concurrency slots along (cap_slots.kind has no foreign key: its check would run on every slot taken and freed in one transaction).';
CREATE OR REPLACE TRIGGER kinds_slots_gone AFTER DELETE ON queue.kinds
    REFERENCING OLD TABLE AS old_kinds FOR EACH STATEMENT EXECUTE FUNCTION queue.kind_deleted();
CREATE OR REPLACE TRIGGER vendor_caps_slots AFTER INSERT OR UPDATE ON queue.vendor_caps
    FOR EACH ROW EXECUTE FUNCTION queue.caps_changed();
CREATE OR REPLACE TRIGGER kinds_slots AFTER INSERT OR UPDATE OF max_running_per_vendor ON queue.kinds
    FOR EACH ROW EXECUTE FUNCTION queue.caps_changed();

CREATE OR REPLACE FUNCTION queue.enqueue(
    p_kind          text,
    p_vendor_id     uuid        DEFAULT NULL,
    p_payload       jsonb       DEFAULT '{}',
    p_priority      integer     DEFAULT 0,
    p_run_at        timestamptz DEFAULT NULL,
    p_dedupe_key    text        DEFAULT NULL,
    p_max_attempts  integer     DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_max_attempts smallint;
    v_id bigint;
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    PERFORM queue.assert_may_act_for(p_vendor_id);
    SELECT k.max_attempts INTO v_max_attempts FROM queue.kinds k WHERE k.kind = p_kind;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown job kind %', p_kind USING ERRCODE = 'OD422',
              DETAIL = '[{"field": "kind", "code": "unknown", "message": "not a registered job kind"}]';
    END IF;
    IF p_payload IS NULL OR jsonb_typeof(p_payload) <> 'object' THEN
        RAISE EXCEPTION 'payload must be a JSON object' USING ERRCODE = 'OD422',
              DETAIL = '[{"field": "payload", "code": "type", "message": "must be an object"}]';
    END IF;
    LOOP
        INSERT INTO queue.jobs (kind, vendor_id, payload, priority, run_at, dedupe_key, max_attempts)
        VALUES (p_kind, p_vendor_id, p_payload, coalesce(p_priority, 0), coalesce(p_run_at, now()), p_dedupe_key,
                coalesce(p_max_attempts, v_max_attempts))
        ON CONFLICT (tenant_key, kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
        RETURNING id INTO v_id;
        EXIT WHEN v_id IS NOT NULL;
        -- Deduplicated: the unfinished job with that key is the answer.
        SELECT j.id INTO v_id FROM queue.jobs j
         WHERE j.tenant_key = queue.tenant_key(p_vendor_id) AND j.kind = p_kind AND j.dedupe_key = p_dedupe_key;
        IF v_id IS NOT NULL THEN
            PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
            RETURN v_id;
        END IF;
        -- It finished between the two statements: insert again.
    END LOOP;
    INSERT INTO queue.vendor_turns (tenant_key) VALUES (queue.tenant_key(p_vendor_id)) ON CONFLICT DO NOTHING;
    PERFORM queue.ensure_slots(queue.tenant_key(p_vendor_id), p_kind);
    PERFORM pg_catalog.pg_notify('odyssey_queue', p_kind);
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION queue.enqueue(text, uuid, jsonb, integer, timestamptz, text, integer) IS
  'Queues a job (vendor NULL = platform job) and notifies channel odyssey_queue with the kind. With a dedupe key, returns the id of the unfinished job of the same tenant, kind and key if there is one.';

CREATE OR REPLACE FUNCTION queue.enqueue_many(
    p_kind       text,
    p_vendor_id  uuid,
    p_payloads   jsonb,
    p_priority   integer     DEFAULT 0,
    p_run_at     timestamptz DEFAULT NULL)
RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_max_attempts smallint;
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    PERFORM queue.assert_may_act_for(p_vendor_id);
    SELECT k.max_attempts INTO v_max_attempts FROM queue.kinds k WHERE k.kind = p_kind;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown job kind %', p_kind USING ERRCODE = 'OD422';
    END IF;
    IF p_payloads IS NULL OR jsonb_typeof(p_payloads) <> 'array'
       OR jsonb_path_exists(p_payloads, '$[*] ? (@.type() != "object")') THEN
        RAISE EXCEPTION 'payloads must be an array of JSON objects' USING ERRCODE = 'OD422';
    END IF;
    INSERT INTO queue.vendor_turns (tenant_key) VALUES (queue.tenant_key(p_vendor_id)) ON CONFLICT DO NOTHING;
    PERFORM queue.ensure_slots(queue.tenant_key(p_vendor_id), p_kind);
    RETURN QUERY
    INSERT INTO queue.jobs (kind, vendor_id, payload, priority, run_at, max_attempts)
    SELECT p_kind, p_vendor_id, e.value, coalesce(p_priority, 0), coalesce(p_run_at, now()), v_max_attempts
      FROM jsonb_array_elements(p_payloads) WITH ORDINALITY AS e(value, ord)
     ORDER BY e.ord
    RETURNING id;
    PERFORM pg_catalog.pg_notify('odyssey_queue', p_kind);
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
END
$$;
COMMENT ON FUNCTION queue.enqueue_many(text, uuid, jsonb, integer, timestamptz) IS
  'Queues one job per element of a JSON array of payloads (no deduplication), one notification.';

CREATE OR REPLACE FUNCTION queue.dequeue(
    p_worker  text,
    p_kinds   text[],
    p_n       integer  DEFAULT 1,
    p_lease   interval DEFAULT '30 seconds')
RETURNS SETOF queue.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = '' SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_need   integer := p_n;
    v_got    integer;
BEGIN
    IF p_worker IS NULL OR p_worker = '' OR p_n IS NULL OR p_n NOT BETWEEN 1 AND 10000
       OR p_lease IS NULL OR p_lease <= interval '0' THEN
        RAISE EXCEPTION 'dequeue needs a worker id, 1 <= n <= 10000 and a positive lease' USING ERRCODE = 'OD400';
    END IF;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    -- One pass is one round robin over the units of service, the (kind, tenant) pairs with queued
    -- jobs (found by a skip scan of jobs_ready_idx, so the cost follows the number of tenants
    -- waiting, not the backlog), least recently served tenant first. Each unit gives at most
    -- ceil(need / units) jobs, and a capped one no more than the free slots it can lock. Rows
    -- are locked inside each unit's index scan (SKIP LOCKED): concurrent workers take the next
    -- rows instead of colliding. A pass that leaves the batch short (some tenants had fewer
    -- jobs than their share) is followed by another over what is left (the slots this
    -- transaction took are no longer free then).
    LOOP
        RETURN QUERY
            WITH RECURSIVE pairs (kind, tenant_key) AS (
                SELECT f.kind, f.tenant_key
                  FROM unnest(p_kinds) AS k(kind)
                 CROSS JOIN LATERAL (SELECT j.kind, j.tenant_key FROM queue.jobs j
                                      WHERE j.status = 'queued' AND j.kind = k.kind
                                      ORDER BY j.tenant_key LIMIT 1) f
                UNION ALL
                SELECT n.kind, n.tenant_key
                  FROM pairs p
                 CROSS JOIN LATERAL (SELECT j.kind, j.tenant_key FROM queue.jobs j
                                      WHERE j.status = 'queued' AND j.kind = p.kind AND j.tenant_key > p.tenant_key
                                      ORDER BY j.tenant_key LIMIT 1) n
            ),
            units AS (
                SELECT x.*, count(*) OVER () AS live
                  FROM (SELECT p.tenant_key, p.kind, coalesce(c.max_running, k.max_running_per_vendor) AS cap,
                               coalesce(t.served, 0) AS served
                          FROM pairs p
                          JOIN queue.kinds k ON k.kind = p.kind
                          LEFT JOIN queue.vendor_caps c ON c.vendor_id = p.tenant_key AND c.kind = p.kind
                          LEFT JOIN queue.vendor_turns t ON t.tenant_key = p.tenant_key) x
                 WHERE x.cap IS NULL OR x.cap > 0
            ),
            picked AS (
                -- slot: the cap slot this job takes, as a plain column. The slots are locked
                -- through their primary key below; an array subscript is not leakproof, so under
                -- RLS "cs.slot = slots[rn]" would be no index condition (every slot read per dequeue).
                SELECT j.id, s.slots[j.rn] AS slot, u.tenant_key, u.kind
                  FROM (SELECT * FROM units ORDER BY served, tenant_key, kind) u
                 CROSS JOIN LATERAL (
                        -- A capped unit takes at most as many jobs as it locks free slots.
                        SELECT CASE WHEN u.cap IS NOT NULL THEN ARRAY(
                                   SELECT cs.slot FROM queue.cap_slots cs
                                    WHERE cs.tenant_key = u.tenant_key AND cs.kind = u.kind
                                      AND cs.slot < u.cap AND cs.job_id IS NULL
                                    ORDER BY cs.slot
                                    LIMIT ceil(v_need::numeric / u.live)
                                      FOR UPDATE SKIP LOCKED) END AS slots
                         OFFSET 0) s  -- evaluated once per unit (not once per reference)
                 CROSS JOIN LATERAL (
                        SELECT z.id, row_number() OVER () AS rn
                          FROM (SELECT q.id FROM queue.jobs q
                                 WHERE q.status = 'queued' AND q.kind = u.kind AND q.tenant_key = u.tenant_key
                                   AND q.run_at <= now()
                                 ORDER BY q.priority DESC, q.run_at, q.id
                                 LIMIT coalesce(cardinality(s.slots), ceil(v_need::numeric / u.live))
                                   FOR UPDATE SKIP LOCKED) z) j
                 LIMIT v_need
            ),
            taken AS (
                UPDATE queue.jobs j
                   SET status = 'running', locked_by = p_worker, locked_at = now(),
                       lease_expires_at = now() + p_lease, attempts = j.attempts + 1, cap_slot = p.slot
                  FROM picked p
                 WHERE j.id = p.id
                RETURNING j.*
            ),
            slotted AS (
                UPDATE queue.cap_slots cs
                   SET job_id = p.id
                  FROM picked p
                 WHERE p.slot IS NOT NULL AND cs.tenant_key = p.tenant_key AND cs.kind = p.kind
                   AND cs.slot = p.slot
            ),
            turned AS (
                -- The tenants served go to the back of the line. A turn row another dequeue
                -- holds is skipped: that dequeue is moving it back anyway.
                UPDATE queue.vendor_turns t
                   SET served = nextval('queue.turn_seq')
                 WHERE t.tenant_key IN (SELECT t2.tenant_key FROM queue.vendor_turns t2
                                         WHERE t2.tenant_key IN (SELECT tk.tenant_key FROM taken tk)
                                           FOR UPDATE SKIP LOCKED)
            )
            SELECT * FROM taken;
        GET DIAGNOSTICS v_got = ROW_COUNT;
        v_need := v_need - v_got;
        EXIT WHEN v_need <= 0 OR v_got = 0;
    END LOOP;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
END
$$;
COMMENT ON FUNCTION queue.dequeue(text, text[], integer, interval) IS
  'Hands up to n due jobs of the given kinds to a worker (FOR UPDATE SKIP LOCKED), leased for p_lease: at most one job per (vendor, kind) per round, vendors least recently served first, never beyond a vendor''s concurrency cap.';

CREATE OR REPLACE FUNCTION queue.heartbeat(p_job_id bigint, p_worker text, p_lease interval DEFAULT '30 seconds')
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_go_on boolean;
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    IF p_lease IS NULL OR p_lease <= interval '0' THEN
        RAISE EXCEPTION 'the lease must be positive' USING ERRCODE = 'OD400';
    END IF;
    UPDATE queue.jobs j
       SET lease_expires_at = greatest(j.lease_expires_at, now() + p_lease)
     WHERE j.id = p_job_id AND j.status = 'running' AND j.locked_by = p_worker
    RETURNING NOT j.cancel_requested INTO v_go_on;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN coalesce(v_go_on, false);
END
$$;
COMMENT ON FUNCTION queue.heartbeat(bigint, text, interval) IS
  'Extends the lease of a job the worker holds. False: the worker does not hold it (any more) or it was canceled: stop working on it.';

CREATE OR REPLACE FUNCTION queue.complete(p_job_id bigint, p_worker text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_count  integer;
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    WITH done AS (
        DELETE FROM queue.jobs j WHERE j.id = p_job_id AND j.status = 'running' AND j.locked_by = p_worker
        RETURNING j.id, j.tenant_key, j.kind, j.cap_slot),
    freed AS (
        UPDATE queue.cap_slots cs SET job_id = NULL
          FROM done d
         WHERE d.cap_slot IS NOT NULL AND cs.tenant_key = d.tenant_key AND cs.kind = d.kind
           AND cs.slot = d.cap_slot AND cs.job_id = d.id)
    SELECT count(*) INTO v_count FROM done;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN v_count = 1;
END
$$;
COMMENT ON FUNCTION queue.complete(bigint, text) IS
  'Finishes a job the worker holds (the row is deleted). False when the worker does not hold it (its lease was taken over).';

CREATE OR REPLACE FUNCTION queue.complete_many(p_job_ids bigint[], p_worker text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_count  integer;
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    WITH done AS (
        DELETE FROM queue.jobs j WHERE j.id = ANY (p_job_ids) AND j.status = 'running' AND j.locked_by = p_worker
        RETURNING j.id, j.tenant_key, j.kind, j.cap_slot),
    freed AS (
        UPDATE queue.cap_slots cs SET job_id = NULL
          FROM done d
         WHERE d.cap_slot IS NOT NULL AND cs.tenant_key = d.tenant_key AND cs.kind = d.kind
           AND cs.slot = d.cap_slot AND cs.job_id = d.id)
    SELECT count(*) INTO v_count FROM done;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION queue.complete_many(bigint[], text) IS 'Finishes several jobs the worker holds; returns how many it held.';

CREATE OR REPLACE FUNCTION queue.free_slot(p_job queue.jobs)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = ''
AS $$
    UPDATE queue.cap_slots cs SET job_id = NULL
     WHERE (p_job).cap_slot IS NOT NULL AND cs.tenant_key = (p_job).tenant_key AND cs.kind = (p_job).kind
       AND cs.slot = (p_job).cap_slot AND cs.job_id = (p_job).id
$$;
COMMENT ON FUNCTION queue.free_slot(queue.jobs) IS 'Internal: gives back the concurrency slot a job holds.';

CREATE OR REPLACE FUNCTION queue.release(p_job_id bigint, p_worker text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_job    queue.jobs;
    v_kind   text;
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    SELECT * INTO v_job FROM queue.jobs j
     WHERE j.id = p_job_id AND j.status = 'running' AND j.locked_by = p_worker
       FOR UPDATE;
    IF FOUND THEN
        PERFORM queue.free_slot(v_job);
        UPDATE queue.jobs j
           SET status = 'queued', locked_by = NULL, locked_at = NULL, lease_expires_at = NULL, cap_slot = NULL,
               attempts = greatest(j.attempts - 1, 0), run_at = now()
         WHERE j.id = p_job_id;
        v_kind := v_job.kind;
        PERFORM pg_catalog.pg_notify('odyssey_queue', v_kind);
    END IF;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN v_kind IS NOT NULL;
END
$$;
COMMENT ON FUNCTION queue.release(bigint, text) IS
  'Hands a job the worker holds back to the queue untouched (a worker shutting down): due at once, the attempt not counted.';

CREATE OR REPLACE FUNCTION queue.bury(p_job queue.jobs, p_errors jsonb, p_error text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = ''
AS $$
BEGIN
    INSERT INTO queue.dead_letters (id, kind, vendor_id, payload, priority, attempts, max_attempts, dedupe_key,
                                    last_error, errors, created_at)
    VALUES (p_job.id, p_job.kind, p_job.vendor_id, p_job.payload, p_job.priority, p_job.attempts,
            p_job.max_attempts, p_job.dedupe_key, p_error, p_errors, p_job.created_at)
    ON CONFLICT (id) DO UPDATE
       SET attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error, errors = EXCLUDED.errors,
           failed_at = EXCLUDED.failed_at;
    PERFORM queue.free_slot(p_job);
    DELETE FROM queue.jobs j WHERE j.id = p_job.id;
END
$$;
COMMENT ON FUNCTION queue.bury(queue.jobs, jsonb, text) IS 'Internal: moves a job to queue.dead_letters.';

CREATE OR REPLACE FUNCTION queue.fail(p_job_id bigint, p_worker text, p_error text, p_retryable boolean DEFAULT true)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_job    queue.jobs;
    v_kind   queue.kinds;
    v_error  text := left(coalesce(p_error, 'unknown error'), 4000);
    v_errors jsonb;
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    SELECT * INTO v_job FROM queue.jobs j
     WHERE j.id = p_job_id AND j.status = 'running' AND j.locked_by = p_worker
       FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
        RETURN NULL;
    END IF;
    v_errors := v_job.errors || jsonb_build_array(jsonb_build_object(
                    'attempt', v_job.attempts, 'at', now(), 'worker', p_worker, 'error', v_error));
    IF NOT coalesce(p_retryable, true) OR v_job.cancel_requested OR v_job.attempts >= v_job.max_attempts THEN
        PERFORM queue.bury(v_job, v_errors, v_error);
        PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
        RETURN 'dead';
    END IF;
    SELECT * INTO v_kind FROM queue.kinds k WHERE k.kind = v_job.kind;
    PERFORM queue.free_slot(v_job);
    UPDATE queue.jobs j
       SET status = 'queued', locked_by = NULL, locked_at = NULL, lease_expires_at = NULL, cap_slot = NULL,
           run_at = now() + queue.backoff_delay(v_job.attempts, coalesce(v_kind.backoff_base, interval '2 seconds'),
                                                coalesce(v_kind.backoff_cap, interval '10 minutes')),
           last_error = v_error, errors = v_errors
     WHERE j.id = p_job_id;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN 'retry';
END
$$;
COMMENT ON FUNCTION queue.fail(bigint, text, text, boolean) IS
  'Records a failed attempt of a job the worker holds: queued again after an exponential backoff with jitter (''retry''), or moved to queue.dead_letters when attempts are exhausted, the error is not retryable or the job was canceled (''dead''). NULL when the worker does not hold the job.';

CREATE OR REPLACE FUNCTION queue.reap_expired(p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_job    queue.jobs;
    v_error  text;
    v_errors jsonb;
    v_count  integer := 0;
    v_kinds  text[] := '{}';
    v_slot_tenants uuid[];
    v_slot_kinds   text[];
    v_slots        integer[];
    v_slot_jobs    bigint[];
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    FOR v_job IN
        SELECT * FROM queue.jobs j
         WHERE j.status = 'running' AND j.lease_expires_at < now()
         ORDER BY j.lease_expires_at
         LIMIT p_limit
           FOR UPDATE SKIP LOCKED
    LOOP
        v_error := format('lease expired (worker %s)', v_job.locked_by);
        v_errors := v_job.errors || jsonb_build_array(jsonb_build_object(
                        'attempt', v_job.attempts, 'at', now(), 'worker', v_job.locked_by, 'error', v_error));
        IF v_job.cancel_requested OR v_job.attempts >= v_job.max_attempts THEN
            PERFORM queue.bury(v_job, v_errors, v_error);
        ELSE
            -- The attempt was counted when it was handed out: another worker may take it now.
            PERFORM queue.free_slot(v_job);
            UPDATE queue.jobs j
               SET status = 'queued', locked_by = NULL, locked_at = NULL, lease_expires_at = NULL, cap_slot = NULL,
                   run_at = now(), last_error = v_error, errors = v_errors
             WHERE j.id = v_job.id;
            IF NOT v_job.kind = ANY (v_kinds) THEN
                v_kinds := v_kinds || v_job.kind;
            END IF;
        END IF;
        v_count := v_count + 1;
    END LOOP;
    -- Slots whose job is gone (a running job deleted outright -- by hand, or with its vendor --
    -- never gave its slot back) are freed, else the tenant would stay below its cap for good.
    -- First lock the candidates (SKIP LOCKED: a slot a dequeue or complete is writing is not
    -- stale); then check again in a new statement, whose snapshot sees the committed job that
    -- last took each locked slot (the lock's own recheck could still see that job as absent).
    WITH c AS (SELECT cs.tenant_key, cs.kind, cs.slot, cs.job_id FROM queue.cap_slots cs
                WHERE cs.job_id IS NOT NULL AND NOT EXISTS (SELECT FROM queue.jobs j WHERE j.id = cs.job_id)
                  FOR UPDATE SKIP LOCKED)
    SELECT array_agg(c.tenant_key), array_agg(c.kind), array_agg(c.slot), array_agg(c.job_id)
      INTO v_slot_tenants, v_slot_kinds, v_slots, v_slot_jobs FROM c;
    IF v_slots IS NOT NULL THEN
        UPDATE queue.cap_slots cs SET job_id = NULL
          FROM unnest(v_slot_tenants, v_slot_kinds, v_slots, v_slot_jobs) AS x(tenant_key, kind, slot, job_id)
         WHERE cs.tenant_key = x.tenant_key AND cs.kind = x.kind AND cs.slot = x.slot AND cs.job_id = x.job_id
           AND NOT EXISTS (SELECT FROM queue.jobs j WHERE j.id = x.job_id);
        PERFORM pg_catalog.pg_notify('odyssey_queue', k) FROM (SELECT DISTINCT unnest(v_slot_kinds)) AS d(k);
    END IF;
    PERFORM pg_catalog.pg_notify('odyssey_queue', k) FROM unnest(v_kinds) AS k;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION queue.reap_expired(integer) IS
  'Jobs whose lease expired (their worker died or hung) go back to the queue at once, the attempt counted; exhausted ones go to dead_letters; concurrency slots whose job no longer exists are freed. Returns how many jobs were reaped.';

CREATE OR REPLACE FUNCTION queue.cancel(p_job_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_job queue.jobs;
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    SELECT * INTO v_job FROM queue.jobs j WHERE j.id = p_job_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
        RETURN false;
    END IF;
    IF NOT coalesce(queue.caller_is_unrestricted(), false)
       AND (v_job.vendor_id IS NULL OR v_job.vendor_id IS DISTINCT FROM app.current_vendor_id()) THEN
        PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
        RETURN false;  -- another tenant's job does not exist for this caller
    END IF;
    IF v_job.status = 'queued' THEN
        DELETE FROM queue.jobs j WHERE j.id = p_job_id;
    ELSE
        UPDATE queue.jobs j SET cancel_requested = true WHERE j.id = p_job_id;
    END IF;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN true;
END
$$;
COMMENT ON FUNCTION queue.cancel(bigint) IS
  'Cancels a job: a queued one is removed; a running one is flagged (its worker''s next heartbeat returns false, and it is not retried). False when there is no such job (for this caller).';

CREATE OR REPLACE FUNCTION queue.cancel(p_kind text, p_vendor_id uuid, p_dedupe_key text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_id bigint;
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    PERFORM queue.assert_may_act_for(p_vendor_id);
    SELECT j.id INTO v_id FROM queue.jobs j
     WHERE j.tenant_key = queue.tenant_key(p_vendor_id) AND j.kind = p_kind AND j.dedupe_key = p_dedupe_key;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN v_id IS NOT NULL AND queue.cancel(v_id);
END
$$;
COMMENT ON FUNCTION queue.cancel(text, uuid, text) IS 'Cancels the unfinished job of a tenant with this kind and dedupe key (see queue.cancel(bigint)).';

CREATE OR REPLACE FUNCTION queue.retry_dead_letter(p_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_dead queue.dead_letters;
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    DELETE FROM queue.dead_letters d WHERE d.id = p_id RETURNING * INTO v_dead;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no dead letter %', p_id USING ERRCODE = 'P0002';
    END IF;
    PERFORM queue.assert_may_act_for(v_dead.vendor_id);
    INSERT INTO queue.jobs (id, kind, vendor_id, payload, priority, run_at, max_attempts, dedupe_key, errors, last_error, created_at)
    OVERRIDING SYSTEM VALUE
    VALUES (v_dead.id, v_dead.kind, v_dead.vendor_id, v_dead.payload, v_dead.priority, now(), v_dead.max_attempts,
            v_dead.dedupe_key, v_dead.errors, v_dead.last_error, v_dead.created_at);
    INSERT INTO queue.vendor_turns (tenant_key) VALUES (queue.tenant_key(v_dead.vendor_id)) ON CONFLICT DO NOTHING;
    PERFORM queue.ensure_slots(queue.tenant_key(v_dead.vendor_id), v_dead.kind);
    PERFORM pg_catalog.pg_notify('odyssey_queue', v_dead.kind);
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN v_dead.id;
END
$$;
COMMENT ON FUNCTION queue.retry_dead_letter(bigint) IS 'Queues a dead letter again (same id, attempts from zero, error history kept).';

CREATE OR REPLACE FUNCTION queue.next_due(p_kinds text[])
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
    v_due    timestamptz;
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    SELECT min(f.run_at) INTO v_due
      FROM unnest(p_kinds) AS k(kind)
     CROSS JOIN LATERAL (SELECT j.run_at FROM queue.jobs j
                          WHERE j.status = 'queued' AND j.kind = k.kind
                          ORDER BY j.run_at LIMIT 1) f;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
    RETURN v_due;
END
$$;
COMMENT ON FUNCTION queue.next_due(text[]) IS 'When the earliest queued job of these kinds is (or was) due; NULL when none is queued. Idle workers sleep until then.';

CREATE OR REPLACE FUNCTION queue.stats()
RETURNS TABLE (kind text, queued bigint, due bigint, running bigint, expired bigint, dead_letters bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_scope  text := coalesce(pg_catalog.current_setting('odyssey.queue_scope', true), '');
BEGIN
    PERFORM pg_catalog.set_config('odyssey.queue_scope', 'machinery', true);
    RETURN QUERY
    SELECT k.kind,
           (SELECT count(*) FROM queue.jobs j WHERE j.kind = k.kind AND j.status = 'queued'),
           (SELECT count(*) FROM queue.jobs j WHERE j.kind = k.kind AND j.status = 'queued' AND j.run_at <= now()),
           (SELECT count(*) FROM queue.jobs j WHERE j.kind = k.kind AND j.status = 'running'),
           (SELECT count(*) FROM queue.jobs j WHERE j.kind = k.kind AND j.status = 'running' AND j.lease_expires_at < now()),
           (SELECT count(*) FROM queue.dead_letters d WHERE d.kind = k.kind)
      FROM queue.kinds k
     ORDER BY k.kind;
    PERFORM pg_catalog.set_config('odyssey.queue_scope', v_scope, true);
END
$$;
COMMENT ON FUNCTION queue.stats() IS 'Queue depth per kind across all tenants (counts only): queued, due, running, expired leases, dead letters.';

GRANT EXECUTE ON FUNCTION queue.tenant_key(uuid) TO PUBLIC;
GRANT EXECUTE ON FUNCTION queue.enqueue(text, uuid, jsonb, integer, timestamptz, text, integer),
                          queue.enqueue_many(text, uuid, jsonb, integer, timestamptz),
                          queue.cancel(bigint), queue.cancel(text, uuid, text)
   TO odyssey_worker, odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator;
GRANT EXECUTE ON FUNCTION queue.dequeue(text, text[], integer, interval),
                          queue.heartbeat(bigint, text, interval),
                          queue.complete(bigint, text), queue.complete_many(bigint[], text),
                          queue.fail(bigint, text, text, boolean), queue.release(bigint, text),
                          queue.reap_expired(integer), queue.next_due(text[])
   TO odyssey_worker;
GRANT EXECUTE ON FUNCTION queue.retry_dead_letter(bigint), queue.stats() TO odyssey_worker, odyssey_superadmin;

DROP FUNCTION IF EXISTS queue.finish_held(bigint[], text);

COMMIT;
