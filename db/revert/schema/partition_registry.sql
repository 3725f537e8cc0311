-- Revert odyssey:schema/partition_registry from pg
BEGIN;
DROP TABLE app.vendor_partition_foreign_keys, app.vendor_partitioned_tables;
COMMIT;
