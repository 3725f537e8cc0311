-- Deploy odyssey:functions/vendor_partitions to pg
-- requires: functions/app_context
-- Per-vendor partition management (in the manner of pg_partman's part_config).
-- Every table partitioned LIST(vendor_id) registers itself in app.vendor_partitioned_tables, with
-- an optional HASH sub-partitioning. app.create_vendor_partitions(vendor) creates a vendor's leaves
-- for every registered table: the vendor-level table and its hash leaves are built detached (locking
-- nothing anyone else uses) and then ATTACHed, which takes only SHARE UPDATE EXCLUSIVE on the parent,
-- so other tenants keep reading and writing. Idempotent and serialized by an advisory lock, so
-- concurrent calls are safe.
BEGIN;

CREATE TABLE app.vendor_partitioned_tables (
    parent          regclass PRIMARY KEY,
    creation_order  integer  NOT NULL UNIQUE,
    hash_column     name,
    hash_modulus    integer  CHECK (hash_modulus BETWEEN 2 AND 256),
    CHECK ((hash_column IS NULL) = (hash_modulus IS NULL))
);
COMMENT ON TABLE app.vendor_partitioned_tables IS
  'Registry of tables partitioned LIST(vendor_id), in creation order (referenced tables first).';

CREATE OR REPLACE FUNCTION app.vendor_partition_name(p_parent regclass, p_vendor_id uuid)
RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT c.relname || '_' || pg_catalog.replace(p_vendor_id::text, '-', '')
      FROM pg_catalog.pg_class c WHERE c.oid = p_parent
$$;
COMMENT ON FUNCTION app.vendor_partition_name(regclass, uuid) IS 'Name of a vendor''s partition of a parent table (in schema partitions).';

CREATE OR REPLACE FUNCTION app.vendor_partition(p_parent regclass, p_vendor_id uuid)
RETURNS regclass
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT i.inhrelid::regclass
      FROM pg_catalog.pg_inherits i
      JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = p_parent
       AND c.relname = app.vendor_partition_name(p_parent, p_vendor_id)
$$;
COMMENT ON FUNCTION app.vendor_partition(regclass, uuid) IS 'The vendor''s attached partition of a parent, or NULL.';

CREATE OR REPLACE FUNCTION app.create_vendor_partitions(p_vendor_id uuid)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_cfg      record;
    v_name     text;
    v_created  integer := 0;
    v_i        integer;
BEGIN
    -- One partition DDL at a time, whoever calls: concurrent callers queue here instead of
    -- racing on catalog rows or deadlocking on parent locks.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('odyssey.vendor_partitions'));
    FOR v_cfg IN SELECT * FROM app.vendor_partitioned_tables ORDER BY creation_order LOOP
        CONTINUE WHEN app.vendor_partition(v_cfg.parent, p_vendor_id) IS NOT NULL;
        v_name := app.vendor_partition_name(v_cfg.parent, p_vendor_id);
        -- Build the vendor's table outside the parent (same columns, defaults, checks) ...
        EXECUTE pg_catalog.format(
            'CREATE TABLE partitions.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)%s',
            v_name, v_cfg.parent,
            CASE WHEN v_cfg.hash_column IS NOT NULL
                 THEN pg_catalog.format(' PARTITION BY HASH (%I)', v_cfg.hash_column) ELSE '' END);
        FOR v_i IN 0 .. coalesce(v_cfg.hash_modulus, 0) - 1 LOOP
            EXECUTE pg_catalog.format(
                'CREATE TABLE partitions.%I PARTITION OF partitions.%I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                v_name || '_h' || pg_catalog.lpad(v_i::text, 2, '0'), v_name, v_cfg.hash_modulus, v_i);
        END LOOP;
        -- ... then attach it: SHARE UPDATE EXCLUSIVE on the parent, so other tenants are not blocked.
        -- Indexes, foreign keys and row triggers of the parent are cloned onto the new leaves.
        EXECUTE pg_catalog.format('ALTER TABLE %s ATTACH PARTITION partitions.%I FOR VALUES IN (%L)',
                                  v_cfg.parent, v_name, p_vendor_id);
        v_created := v_created + 1;
    END LOOP;
    RETURN v_created;
END
$$;
COMMENT ON FUNCTION app.create_vendor_partitions(uuid) IS
  'Creates every registered partition of a vendor (idempotent, safe under concurrent calls); returns how many vendor-level partitions it created.';

CREATE OR REPLACE FUNCTION app.register_vendor_partitioned(p_parent regclass, p_creation_order integer,
                                                           p_hash_column name DEFAULT NULL,
                                                           p_hash_modulus integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid;
BEGIN
    INSERT INTO app.vendor_partitioned_tables (parent, creation_order, hash_column, hash_modulus)
    VALUES (p_parent, p_creation_order, p_hash_column, p_hash_modulus)
    ON CONFLICT (parent) DO UPDATE
       SET creation_order = EXCLUDED.creation_order,
           hash_column = EXCLUDED.hash_column, hash_modulus = EXCLUDED.hash_modulus;
    -- A table added after vendors exist gets their partitions now.
    IF pg_catalog.to_regclass('core.vendors') IS NOT NULL THEN
        FOR v_vendor IN EXECUTE 'SELECT id FROM core.vendors WHERE status <> ''offboarded''' LOOP
            PERFORM app.create_vendor_partitions(v_vendor);
        END LOOP;
    END IF;
END
$$;
COMMENT ON FUNCTION app.register_vendor_partitioned(regclass, integer, name, integer) IS
  'Registers a LIST(vendor_id)-partitioned table (optionally HASH sub-partitioned) and creates its partitions for existing vendors.';

CREATE OR REPLACE FUNCTION app.offboard_vendor(p_vendor_id uuid, p_keep_archive boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_cfg   record;
    v_part  regclass;
    v_name  text;
    v_fk    record;
    v_done  integer := 0;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('odyssey.vendor_partitions'));
    -- Referencing tables first (reverse creation order), so foreign keys never point into a
    -- partition that is already gone.
    FOR v_cfg IN SELECT * FROM app.vendor_partitioned_tables ORDER BY creation_order DESC LOOP
        v_part := app.vendor_partition(v_cfg.parent, p_vendor_id);
        v_name := app.vendor_partition_name(v_cfg.parent, p_vendor_id);
        IF v_part IS NOT NULL THEN
            -- DETACH takes ACCESS EXCLUSIVE on the parent for the (short) rest of this transaction.
            -- scripts/offboard-vendor runs DETACH ... CONCURRENTLY first, which blocks no tenant;
            -- this function then only finishes the job.
            EXECUTE pg_catalog.format('ALTER TABLE %s DETACH PARTITION %s', v_cfg.parent, v_part);
        ELSIF pg_catalog.to_regclass(pg_catalog.format('partitions.%I', v_name)) IS NOT NULL THEN
            v_part := pg_catalog.format('partitions.%I', v_name)::regclass;
        ELSE
            CONTINUE;
        END IF;
        IF p_keep_archive THEN
            -- An archive stands alone: drop its foreign keys into live tables, move it (and its
            -- hash leaves) out of the live schema. Only top-level constraints (conparentid = 0) are
            -- dropped: their clones (on hash leaves, or one per partition of a partitioned
            -- referenced table) cannot be dropped directly and go with them.
            FOR v_fk IN SELECT c.conrelid::regclass AS rel, c.conname
                          FROM pg_catalog.pg_constraint c
                         WHERE c.contype = 'f' AND c.conparentid = 0
                           AND (c.conrelid = v_part OR c.conrelid IN (SELECT inhrelid FROM pg_catalog.pg_inherits WHERE inhparent = v_part))
            LOOP
                EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', v_fk.rel, v_fk.conname);
            END LOOP;
            FOR v_fk IN SELECT inhrelid::regclass AS rel FROM pg_catalog.pg_inherits WHERE inhparent = v_part LOOP
                EXECUTE pg_catalog.format('ALTER TABLE %s SET SCHEMA archive', v_fk.rel);
            END LOOP;
            EXECUTE pg_catalog.format('ALTER TABLE %s SET SCHEMA archive', v_part);
        ELSE
            EXECUTE pg_catalog.format('DROP TABLE %s', v_part);
        END IF;
        v_done := v_done + 1;
    END LOOP;
    RETURN v_done;
END
$$;
COMMENT ON FUNCTION app.offboard_vendor(uuid, boolean) IS
  'Detaches every partition of a vendor, then drops them or moves them to schema archive (p_keep_archive); returns how many it handled.';

CREATE OR REPLACE FUNCTION app.vendor_detach_statements(p_vendor_id uuid)
RETURNS SETOF text
LANGUAGE sql STABLE STRICT
AS $$
    SELECT pg_catalog.format('ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY', t.parent,
                             app.vendor_partition(t.parent, p_vendor_id))
      FROM app.vendor_partitioned_tables t
     WHERE app.vendor_partition(t.parent, p_vendor_id) IS NOT NULL
     ORDER BY t.creation_order DESC
$$;
COMMENT ON FUNCTION app.vendor_detach_statements(uuid) IS
  'DETACH ... CONCURRENTLY statements for a vendor, to run one by one outside a transaction before app.offboard_vendor.';

COMMIT;
