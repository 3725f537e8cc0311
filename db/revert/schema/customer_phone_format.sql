-- Revert odyssey:schema/customer_phone_format from pg
-- Back to the @v0.2.0 rule (a digit first). Numbers stored under the wider rule, such as
-- "(555) 987-6543", are kept: the old constraint comes back NOT VALID, checking new writes only.
BEGIN;

ALTER TABLE crm.customers DROP CONSTRAINT customers_phone_check;
ALTER TABLE crm.customers ADD CONSTRAINT customers_phone_check CHECK (phone ~ '^\+?[0-9][0-9 ().-]{5,24}$') NOT VALID;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM crm.customers c WHERE NOT (c.phone ~ '^\+?[0-9][0-9 ().-]{5,24}$')) THEN
        ALTER TABLE crm.customers VALIDATE CONSTRAINT customers_phone_check;
    END IF;
END
$$;
DROP FUNCTION crm.phone_is_valid(text);

COMMIT;
