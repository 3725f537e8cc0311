-- Verify odyssey:schema/customers on pg
SELECT id, vendor_id, external_id, full_name, email, dob, age, gender, location, phone, custom_tags,
       search_tsv, created_by, updated_by, version, soft_deleted_at, created_at, updated_at
  FROM crm.customers WHERE false;
SELECT id, vendor_id, customer_id, consent_type, granted, version, timestamp FROM crm.customer_consents WHERE false;
SELECT id, vendor_id, customer_id, product_id, note FROM crm.customer_whitelists WHERE false;
SELECT id, vendor_id, customer_id, product_id, note FROM crm.customer_blacklists WHERE false;
