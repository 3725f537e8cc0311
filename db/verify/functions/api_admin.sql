-- Verify odyssey:functions/api_admin on pg
SELECT 'api.taxonomy_list(text, boolean, text, integer)'::regprocedure, 'api.taxonomy_save(text, bigint, jsonb)'::regprocedure,
       'api.taxonomy_delete(text, bigint)'::regprocedure, 'api.synonyms_list(text, text, integer)'::regprocedure,
       'api.synonym_save(bigint, jsonb)'::regprocedure, 'api.vendor_list(text, text, integer)'::regprocedure,
       'api.vendor_save(uuid, jsonb)'::regprocedure, 'api.member_put(uuid, text, jsonb)'::regprocedure,
       'api.member_remove(uuid, text)'::regprocedure, 'api.member_list(uuid, text, integer)'::regprocedure;
