-- Verify odyssey:functions/machinery_vendors on pg
SELECT 'app.machinery_vendor_ids(boolean)'::regprocedure;
