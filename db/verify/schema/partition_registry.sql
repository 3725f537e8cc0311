-- Verify odyssey:schema/partition_registry on pg
SELECT parent, creation_order, hash_column, hash_modulus FROM app.vendor_partitioned_tables WHERE false;
