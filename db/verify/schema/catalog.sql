-- Verify odyssey:schema/catalog on pg
SELECT id, vendor_id, external_id, barcode, gtin_type, name, brand, description, category_id,
       sub_category_id, cuisine_id, market_id, price, currency, status, ingredients, nutrition,
       serving_size, package_weight, dietary_tags, allergens, certifications, regulatory_codes,
       source_url, search_tsv, version, soft_deleted_at, created_at, updated_at
  FROM catalog.products WHERE false;
SELECT vendor_id, barcode, product_id FROM catalog.product_barcodes WHERE false;
SELECT id, vendor_id, product_id, url, alt, sort_order, created_at, updated_at FROM catalog.product_images WHERE false;
SELECT id, vendor_id, product_id, source, source_ref, ingestion_job_id FROM catalog.product_sources WHERE false;
