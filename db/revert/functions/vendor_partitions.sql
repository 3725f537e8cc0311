-- Revert odyssey:functions/vendor_partitions from pg
BEGIN;
DROP FUNCTION app.vendor_detach_plan(uuid);
DROP FUNCTION app.offboard_vendor(uuid, boolean);
DROP FUNCTION app.offboard_vendor_partition(regclass, uuid, boolean);
DROP FUNCTION app.register_vendor_foreign_key(regclass, name[], regclass, name[], text);
DROP FUNCTION app.register_vendor_partitioned(regclass, integer, name, integer);
DROP FUNCTION app.create_vendor_partitions(uuid);
DROP FUNCTION app.add_vendor_foreign_keys(regclass, uuid);
DROP FUNCTION app.vendor_partition(regclass, uuid);
DROP FUNCTION app.vendor_partition_name(regclass, uuid);
COMMIT;
