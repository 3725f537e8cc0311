-- Deploy odyssey:policies/vendors_machinery to pg
-- requires: policies/core
-- requires: functions/ingest_uploads
-- The vendor list for machinery that serves every tenant from a worker session (where no vendor
-- and no platform role is set): definer-rights functions owned by odyssey_owner set
-- odyssey.queue_scope = 'machinery' around the read, as the queue functions do for queue.*
-- (policies/queue). Only the owner is concerned, and only for SELECT; every other role keeps
-- vendor_self. Used by ingest.expire_uploads.
BEGIN;

CREATE POLICY vendors_machinery ON core.vendors AS PERMISSIVE FOR SELECT TO odyssey_owner
    USING ((SELECT app.setting('odyssey.queue_scope')) = 'machinery');

COMMIT;
