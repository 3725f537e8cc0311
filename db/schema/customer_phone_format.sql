-- Deploy odyssey:schema/customer_phone_format to pg
-- requires: schema/customers
-- The format a customer's phone number must have (PRD §4.1 customers.phone), in one place: the
-- table's CHECK and CSV ingestion's row validation both call crm.phone_is_valid().
--   an optional '+', an optional '(' and then a digit, then 5 to 24 more digits, blanks, ( ) . -
--   "+1 512 555 0100", "(555) 987-6543", "555.987.6543", "+44 20 7946 0958".
-- Until @v0.2.0 the number had to start with a digit, which refused the common US "(555) 987-6543".
-- The rule only widens, so every stored number still passes; the constraint is swapped NOT VALID
-- and then validated, which scans the customers under a lock that lets reads and writes go on.
BEGIN;

CREATE OR REPLACE FUNCTION crm.phone_is_valid(p_phone text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT p_phone ~ '^\+?\(?[0-9][0-9 ().-]{5,24}$'
$$;
COMMENT ON FUNCTION crm.phone_is_valid(text) IS
  'Whether a text is a phone number as customers.phone accepts it: +, ( and then a digit, then 5-24 digits, blanks, ( ) . -.';
GRANT EXECUTE ON FUNCTION crm.phone_is_valid(text)
   TO odyssey_worker, odyssey_superadmin, odyssey_vendor_admin, odyssey_vendor_operator, odyssey_vendor_viewer;

ALTER TABLE crm.customers DROP CONSTRAINT customers_phone_check;
ALTER TABLE crm.customers ADD CONSTRAINT customers_phone_check CHECK (crm.phone_is_valid(phone)) NOT VALID;
ALTER TABLE crm.customers VALIDATE CONSTRAINT customers_phone_check;

COMMIT;
