-- Revert odyssey:functions/product_search_text from pg
BEGIN;
DROP FUNCTION crm.customer_tsv(text, text, text);
DROP FUNCTION catalog.product_tsv(text, text, text);
DROP FUNCTION catalog.short_description(text);
COMMIT;
