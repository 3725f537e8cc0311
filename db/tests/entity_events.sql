-- product.updated / customer.updated: one outbox event per product or customer that a write under
-- an API role created, changed, soft-deleted or restored (none for an unchanged upsert, none for
-- the worker's bulk ingestion or the owner's maintenance); data without names, emails or health
-- data; delivered to subscribed endpoints like every event; a direct call of the emitter cannot
-- announce a row that does not exist or another vendor's.
BEGIN;
SELECT plan(14);

DO $$
BEGIN
    PERFORM set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000e1', true);
    INSERT INTO core.vendors (id, name) VALUES ('a0000000-0000-4000-8000-0000000000e1', 'events vendor A');
    PERFORM set_config('odyssey.vendor_id', 'b0000000-0000-4000-8000-0000000000e2', true);
    INSERT INTO core.vendors (id, name) VALUES ('b0000000-0000-4000-8000-0000000000e2', 'events vendor B');
    PERFORM set_config('odyssey.vendor_id', '', true);
END
$$;
INSERT INTO catalog.tax_categories (code, label) VALUES ('t-events-cat', 'Events category');
CREATE TEMP TABLE v (name text PRIMARY KEY, val text);
INSERT INTO v VALUES ('cat', (SELECT id::text FROM catalog.tax_categories WHERE code = 't-events-cat'));
GRANT SELECT ON v TO PUBLIC;
CREATE FUNCTION pg_temp.events(p_type text) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM (
        SELECT (e.data ->> 'external_id') || ':' || (e.data ->> 'change') || ':' || (e.data ->> 'version') AS x
          FROM hooks.events e
         WHERE e.vendor_id = 'a0000000-0000-4000-8000-0000000000e1' AND e.event_type = p_type) t
$$;

SELECT set_config('odyssey.vendor_id', 'a0000000-0000-4000-8000-0000000000e1', true),
       set_config('odyssey.user_id', 'tap-admin', true);
SET LOCAL ROLE odyssey_vendor_admin;
SELECT api.webhook_create('{"url": "https://hooks.example.com/products", "event_types": ["product.updated"]}');
RESET ROLE;

SET LOCAL ROLE odyssey_vendor_operator;
SELECT api.upsert_products(jsonb_build_array(
    jsonb_build_object('external_id', 'ev-1', 'name', 'One', 'brand', 'B', 'description', 'd', 'category_id', (SELECT val::int FROM v WHERE name = 'cat'), 'price', 1),
    jsonb_build_object('external_id', 'ev-2', 'name', 'Two', 'brand', 'B', 'description', 'd', 'category_id', (SELECT val::int FROM v WHERE name = 'cat'), 'price', 2)));
RESET ROLE;
SELECT is(pg_temp.events('product.updated'), ARRAY['ev-1:created:1', 'ev-2:created:1'], 'an API upsert announces each new product');
SELECT is((SELECT count(*) FROM hooks.webhook_deliveries WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000e1'), 2::bigint,
          'each goes to the subscribed endpoint');
SELECT is((SELECT array_agg(DISTINCT k ORDER BY k) FROM hooks.events e, jsonb_object_keys(e.data) k
            WHERE e.vendor_id = 'a0000000-0000-4000-8000-0000000000e1'),
          ARRAY['change', 'external_id', 'product_id', 'updated_at', 'version'], 'data: ids, version, change, updated_at only');
DELETE FROM hooks.events WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000e1';

SET LOCAL ROLE odyssey_vendor_operator;
SELECT api.upsert_products(jsonb_build_array(
    jsonb_build_object('external_id', 'ev-1', 'name', 'One', 'brand', 'B', 'description', 'd', 'category_id', (SELECT val::int FROM v WHERE name = 'cat'), 'price', 1),
    jsonb_build_object('external_id', 'ev-2', 'name', 'Two renamed', 'brand', 'B', 'description', 'd', 'category_id', (SELECT val::int FROM v WHERE name = 'cat'), 'price', 2)));
SELECT api.patch_product(catalog.product_id('a0000000-0000-4000-8000-0000000000e1', 'ev-1'), '{"price": 1.5}');
SELECT api.delete_product(catalog.product_id('a0000000-0000-4000-8000-0000000000e1', 'ev-2'));
RESET ROLE;
SELECT is(pg_temp.events('product.updated'), ARRAY['ev-1:updated:2', 'ev-2:deleted:3', 'ev-2:updated:2'],
          'an unchanged row says nothing; a change, a patch and a delete are announced with their versions');
DELETE FROM hooks.events WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000e1';
SET LOCAL ROLE odyssey_vendor_admin;
SELECT api.upsert_products(jsonb_build_array(
    jsonb_build_object('external_id', 'ev-2', 'name', 'Two renamed', 'brand', 'B', 'description', 'd', 'category_id', (SELECT val::int FROM v WHERE name = 'cat'), 'price', 2)));
RESET ROLE;
SELECT is(pg_temp.events('product.updated'), ARRAY['ev-2:restored:4'], 'upserting a deleted product restores it, announced');
DELETE FROM hooks.events WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000e1';

-- The worker (bulk ingestion) and the owner write without product events.
SET LOCAL ROLE odyssey_worker;
INSERT INTO catalog.products (id, vendor_id, external_id, name, brand, description, category_id, price)
VALUES (catalog.product_id('a0000000-0000-4000-8000-0000000000e1', 'ev-w'), 'a0000000-0000-4000-8000-0000000000e1', 'ev-w', 'W', 'B', 'd',
        (SELECT val::int FROM v WHERE name = 'cat'), 1);
UPDATE catalog.products SET price = 9 WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000e1' AND external_id = 'ev-w';
RESET ROLE;
UPDATE catalog.products SET price = 8 WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000e1' AND external_id = 'ev-w';
SELECT is(pg_temp.events('product.updated'), '{}', 'the worker''s and the owner''s writes emit no product event');

-- Customers
SET LOCAL ROLE odyssey_vendor_operator;
SELECT api.upsert_customers('[{"external_id": "cu-1", "full_name": "Secret Name", "email": "secret@example.com", "location": {}, "age": 40}]');
SELECT api.update_customer(crm.customer_id('a0000000-0000-4000-8000-0000000000e1', 'cu-1'), '{"phone": "+1 512 555 0100"}');
SELECT api.delete_customer(crm.customer_id('a0000000-0000-4000-8000-0000000000e1', 'cu-1'));
RESET ROLE;
SELECT is(pg_temp.events('customer.updated'), ARRAY['cu-1:created:1', 'cu-1:deleted:3', 'cu-1:updated:2'],
          'customers are announced the same way');
SELECT is((SELECT count(*) FROM hooks.events WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000e1'
            AND (data::text LIKE '%Secret Name%' OR data::text LIKE '%secret@example.com%')), 0::bigint,
          'no name or email in the event');
SELECT is((SELECT count(*) FROM hooks.webhook_deliveries d JOIN hooks.events e ON e.event_id = d.event_id
            WHERE e.event_type = 'customer.updated' AND e.vendor_id = 'a0000000-0000-4000-8000-0000000000e1'), 0::bigint,
          'an endpoint receives only the event types it subscribed to');

-- Direct calls of the emitter
DELETE FROM hooks.events WHERE vendor_id = 'a0000000-0000-4000-8000-0000000000e1';
SET LOCAL ROLE odyssey_vendor_operator;
SELECT is(hooks.emit_entity_events('product.updated', ARRAY['00000000-0000-4000-8000-000000000000'::uuid], ARRAY['updated']), 0,
          'an id that is no product of the vendor announces nothing');
SELECT throws_ok($$ SELECT hooks.emit_entity_events('job.completed', '{}', '{}') $$, '22023', NULL,
                 'only entity event types');
SELECT set_config('odyssey.vendor_id', 'b0000000-0000-4000-8000-0000000000e2', true);
SELECT is(hooks.emit_entity_events('product.updated', ARRAY[catalog.product_id('a0000000-0000-4000-8000-0000000000e1', 'ev-1')], ARRAY['updated']), 0,
          'vendor B cannot announce A''s product');
SELECT set_config('odyssey.vendor_id', '', true);
SELECT throws_ok($$ SELECT hooks.emit_entity_events('product.updated', '{}', '{}') $$, 'OD400', NULL, 'outside a vendor, nothing');
RESET ROLE;
SELECT is(pg_temp.events('product.updated'), '{}', 'no event was written by the direct calls');

SELECT * FROM finish();
ROLLBACK;
