-- Conventions every Odyssey function keeps (DEVELOPERS.md): a doc comment; SECURITY DEFINER only
-- with a pinned search_path; no PARALLEL SAFE label on a function with an exception block (the
-- block starts a subtransaction, which fails inside a parallel query).
BEGIN;
SELECT plan(4);

CREATE TEMP VIEW odyssey_functions AS
SELECT p.oid::regprocedure::text AS signature, p.prosecdef, p.proconfig, p.proparallel, p.prosrc, l.lanname,
       obj_description(p.oid, 'pg_proc') AS doc
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
 WHERE n.nspname IN ('app', 'api', 'core', 'catalog', 'crm', 'health', 'matching', 'ingest', 'hooks', 'ops', 'audit', 'queue')
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e');

SELECT cmp_ok((SELECT count(*) FROM odyssey_functions), '>', 150::bigint, 'the product''s functions are found');
SELECT is_empty($$ SELECT signature FROM odyssey_functions WHERE doc IS NULL $$, 'every function has a doc comment');
SELECT is_empty($$ SELECT signature FROM odyssey_functions
                    WHERE prosecdef AND NOT coalesce(array_to_string(proconfig, ',') ~ 'search_path=', false) $$,
                'every SECURITY DEFINER function pins its search_path');
SELECT is_empty($$ SELECT signature FROM odyssey_functions
                    WHERE proparallel = 's' AND lanname = 'plpgsql' AND prosrc ~* 'EXCEPTION\s+WHEN' $$,
                'no PARALLEL SAFE function has an exception block');

SELECT * FROM finish();
ROLLBACK;
