-- Deploy odyssey:functions/vendor_partitions to pg
-- requires: schema/partition_registry
-- Per-vendor partition management (in the manner of pg_partman's part_config).
-- Every table partitioned LIST(vendor_id) registers itself in app.vendor_partitioned_tables, with
-- an optional HASH sub-partitioning. app.create_vendor_partitions(vendor) creates a vendor's leaves
-- for every registered table: the vendor-level table and its hash leaves are built detached (locking
-- nothing anyone else uses) and then ATTACHed, which takes only SHARE UPDATE EXCLUSIVE on the parent,
-- so other tenants keep reading and writing. Idempotent and serialized by an advisory lock, so
-- concurrent calls are safe.
BEGIN;

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

CREATE OR REPLACE FUNCTION app.add_vendor_foreign_keys(p_parent regclass, p_vendor_id uuid)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_fk     record;
    v_table  regclass := pg_catalog.to_regclass(pg_catalog.format('partitions.%I', app.vendor_partition_name(p_parent, p_vendor_id)));
    v_ref    regclass;
    v_name   text;
    v_added  integer := 0;
BEGIN
    IF v_table IS NULL THEN
        RETURN 0;
    END IF;
    FOR v_fk IN SELECT * FROM app.vendor_partition_foreign_keys WHERE parent = p_parent ORDER BY columns LOOP
        v_name := (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = p_parent)
                  || '_' || v_fk.columns[pg_catalog.cardinality(v_fk.columns)] || '_fkey';
        CONTINUE WHEN EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = v_table AND conname = v_name);
        v_ref := pg_catalog.to_regclass(pg_catalog.format('partitions.%I', app.vendor_partition_name(v_fk.ref_parent, p_vendor_id)));
        IF v_ref IS NULL THEN
            RAISE EXCEPTION 'vendor % has no partition of % to reference from %', p_vendor_id, v_fk.ref_parent, p_parent;
        END IF;
        EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE %s',
                                  v_table, v_name,
                                  (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ') FROM pg_catalog.unnest(v_fk.columns) c),
                                  v_ref,
                                  (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ') FROM pg_catalog.unnest(v_fk.ref_columns) c),
                                  v_fk.on_delete);
        v_added := v_added + 1;
    END LOOP;
    RETURN v_added;
END
$$;
COMMENT ON FUNCTION app.add_vendor_foreign_keys(regclass, uuid) IS
  'Adds the registered foreign keys to a vendor''s partition of a table, each referencing the same vendor''s partition (idempotent).';

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
        -- Its foreign keys point at the same vendor's tables (validating an empty table, locking
        -- nothing of other tenants) ...
        PERFORM app.add_vendor_foreign_keys(v_cfg.parent, p_vendor_id);
        -- ... then attach it: SHARE UPDATE EXCLUSIVE on the parent, so other tenants are not blocked.
        -- Indexes and row triggers of the parent are cloned onto the new leaves.
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

CREATE OR REPLACE FUNCTION app.register_vendor_foreign_key(p_parent regclass, p_columns name[],
                                                            p_ref_parent regclass, p_ref_columns name[],
                                                            p_on_delete text DEFAULT 'CASCADE')
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_vendor uuid;
BEGIN
    INSERT INTO app.vendor_partition_foreign_keys (parent, columns, ref_parent, ref_columns, on_delete)
    VALUES (p_parent, p_columns, p_ref_parent, p_ref_columns, p_on_delete)
    ON CONFLICT (parent, columns) DO UPDATE
       SET ref_parent = EXCLUDED.ref_parent, ref_columns = EXCLUDED.ref_columns, on_delete = EXCLUDED.on_delete;
    FOR v_vendor IN EXECUTE 'SELECT id FROM core.vendors WHERE status <> ''offboarded''' LOOP
        PERFORM app.add_vendor_foreign_keys(p_parent, v_vendor);
    END LOOP;
END
$$;
COMMENT ON FUNCTION app.register_vendor_foreign_key(regclass, name[], regclass, name[], text) IS
  'Registers a per-vendor foreign key between two vendor-partitioned tables and adds it to existing vendors'' partitions.';

CREATE OR REPLACE FUNCTION app.offboard_vendor_partition(p_parent regclass, p_vendor_id uuid,
                                                         p_keep_archive boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_part  regclass := app.vendor_partition(p_parent, p_vendor_id);
    v_name  text := app.vendor_partition_name(p_parent, p_vendor_id);
    v_rel   record;
BEGIN
    IF v_part IS NOT NULL THEN
        -- Plain DETACH takes ACCESS EXCLUSIVE on the parent until commit; scripts/offboard-vendor
        -- runs DETACH ... CONCURRENTLY first, which blocks no tenant, and this then only finishes.
        EXECUTE pg_catalog.format('ALTER TABLE %s DETACH PARTITION %s', p_parent, v_part);
    ELSE
        v_part := pg_catalog.to_regclass(pg_catalog.format('partitions.%I', v_name));
        IF v_part IS NULL THEN
            RETURN false;   -- nothing of this vendor left in this table
        END IF;
    END IF;
    IF p_keep_archive THEN
        -- The vendor's tables reference only each other, so the archive stays consistent as a
        -- set: it and its hash leaves move to schema archive, foreign keys included.
        FOR v_rel IN SELECT i.inhrelid::regclass AS rel FROM pg_catalog.pg_inherits i WHERE i.inhparent = v_part LOOP
            EXECUTE pg_catalog.format('ALTER TABLE %s SET SCHEMA archive', v_rel.rel);
        END LOOP;
        EXECUTE pg_catalog.format('ALTER TABLE %s SET SCHEMA archive', v_part);
    ELSE
        EXECUTE pg_catalog.format('DROP TABLE %s CASCADE', v_part);  -- CASCADE: FKs of this vendor's other tables
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION app.offboard_vendor_partition(regclass, uuid, boolean) IS
  'Detaches (if still attached) a vendor''s partition of one table, then drops it or moves it to schema archive.';

CREATE OR REPLACE FUNCTION app.offboard_vendor(p_vendor_id uuid, p_keep_archive boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_parent  regclass;
    v_done    integer := 0;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('odyssey.vendor_partitions'));
    -- Referencing tables first (reverse creation order): a foreign key never points into a
    -- partition that is already gone.
    FOR v_parent IN SELECT parent FROM app.vendor_partitioned_tables ORDER BY creation_order DESC LOOP
        IF app.offboard_vendor_partition(v_parent, p_vendor_id, p_keep_archive) THEN
            v_done := v_done + 1;
        END IF;
    END LOOP;
    RETURN v_done;
END
$$;
COMMENT ON FUNCTION app.offboard_vendor(uuid, boolean) IS
  'Offboards a vendor: every partition detached, then dropped or archived (p_keep_archive); returns how many tables it handled.';

CREATE OR REPLACE FUNCTION app.vendor_detach_plan(p_vendor_id uuid)
RETURNS TABLE (parent regclass, detach_statement text)
LANGUAGE sql STABLE STRICT
AS $$
    SELECT t.parent,
           pg_catalog.format('ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY', t.parent,
                             app.vendor_partition(t.parent, p_vendor_id))
      FROM app.vendor_partitioned_tables t
     WHERE app.vendor_partition(t.parent, p_vendor_id) IS NOT NULL
     ORDER BY t.creation_order DESC
$$;
COMMENT ON FUNCTION app.vendor_detach_plan(uuid) IS
  'For offboarding without blocking tenants: per table, in order, a DETACH ... CONCURRENTLY to run outside a transaction, each followed by app.offboard_vendor_partition(parent, vendor, keep).';

COMMIT;
