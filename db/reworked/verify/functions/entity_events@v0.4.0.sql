-- Verify odyssey:functions/entity_events on pg
SELECT 'hooks.emit_entity_events(text, uuid[], text[])'::regprocedure, 'hooks.entity_written()'::regprocedure;
SELECT 1/(count(*) = 4)::int FROM pg_catalog.pg_trigger
 WHERE tgname IN ('products_events_insert', 'products_events_update', 'customers_events_insert', 'customers_events_update')
   AND tgrelid IN ('catalog.products'::regclass, 'crm.customers'::regclass);
