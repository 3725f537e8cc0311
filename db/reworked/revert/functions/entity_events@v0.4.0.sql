-- Revert odyssey:functions/entity_events from pg
BEGIN;

DROP TRIGGER products_events_insert ON catalog.products;
DROP TRIGGER products_events_update ON catalog.products;
DROP TRIGGER customers_events_insert ON crm.customers;
DROP TRIGGER customers_events_update ON crm.customers;
DROP FUNCTION hooks.entity_written(), hooks.emit_entity_events(text, uuid[], text[]);

COMMIT;
