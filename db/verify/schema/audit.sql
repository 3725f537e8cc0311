-- Verify odyssey:schema/audit on pg
SELECT id, timestamp, actor_user_id, actor_role, vendor_id, action, entity, entity_id, before, after, ip, ua,
       justification, request_id, db_role
  FROM audit.audit_log WHERE false;
