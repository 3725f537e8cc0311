-- Verify odyssey:functions/vendor_partitions on pg
SELECT parent, creation_order, hash_column, hash_modulus FROM app.vendor_partitioned_tables WHERE false;
SELECT 'app.create_vendor_partitions(uuid)'::regprocedure, 'app.offboard_vendor(uuid, boolean)'::regprocedure,
       'app.vendor_detach_statements(uuid)'::regprocedure;
