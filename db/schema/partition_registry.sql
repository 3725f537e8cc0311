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

COMMIT;
