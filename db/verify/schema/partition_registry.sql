-- Verify odyssey:schema/partition_registry on pg
SELECT parent, creation_order, hash_column, hash_modulus FROM app.vendor_partitioned_tables WHERE false;
SELECT parent, columns, ref_parent, ref_columns, on_delete FROM app.vendor_partition_foreign_keys WHERE false;
