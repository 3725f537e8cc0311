-- Deploy odyssey:schema/partition_registry to pg
-- requires: functions/app_context
-- The registry of tables partitioned LIST(vendor_id), read by functions/vendor_partitions.
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

-- Foreign keys between tables of the registry are declared per vendor: a vendor's partition
-- references the SAME vendor's partition of the referenced table (e.g. partitions.customer_health_
-- profiles_<v> -> partitions.customers_<v>). Declared on the parents instead, every ATTACH would
-- validate by planning over all vendors' leaves and every row's FK check would run a plan over
-- thousands of partitions; per vendor, both touch only that vendor's tables.
CREATE TABLE app.vendor_partition_foreign_keys (
    parent       regclass NOT NULL REFERENCES app.vendor_partitioned_tables (parent) ON DELETE CASCADE,
    columns      name[]   NOT NULL CHECK (columns[1] = 'vendor_id'),
    ref_parent   regclass NOT NULL REFERENCES app.vendor_partitioned_tables (parent) ON DELETE CASCADE,
    ref_columns  name[]   NOT NULL CHECK (ref_columns[1] = 'vendor_id'),
    on_delete    text     NOT NULL DEFAULT 'CASCADE' CHECK (on_delete IN ('CASCADE', 'RESTRICT', 'NO ACTION')),
    PRIMARY KEY (parent, columns),
    CHECK (cardinality(columns) = cardinality(ref_columns))
);
COMMENT ON TABLE app.vendor_partition_foreign_keys IS
  'Foreign keys created on every vendor partition of parent, referencing the same vendor''s partition of ref_parent.';

COMMIT;
