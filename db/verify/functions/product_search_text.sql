-- Verify odyssey:functions/product_search_text on pg
SELECT 1/(catalog.product_tsv('Oat Milk', 'Oatly', 'Creamy') @@ to_tsquery('english', 'oat & creami'))::int;
SELECT crm.customer_tsv('Ada Lovelace', 'ada@example.com', 'C-1');
