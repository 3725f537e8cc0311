-- Verify odyssey:functions/vendor_partitions on pg
SELECT 'app.create_vendor_partitions(uuid)'::regprocedure, 'app.offboard_vendor(uuid, boolean)'::regprocedure,
       'app.vendor_detach_plan(uuid)'::regprocedure, 'app.offboard_vendor_partition(regclass, uuid, boolean)'::regprocedure;
