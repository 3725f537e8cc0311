-- Verify odyssey:schema/product_features on pg
SELECT vendor_id, product_id, tag, p0, fib, amask, updated_at, nut, tags, ingr FROM matching.product_features WHERE false;
SELECT 1/(matching.product_p0(ARRAY[0,0,0,20,0,0,0,50,0,2300]::float8[]) = 3)::int;
