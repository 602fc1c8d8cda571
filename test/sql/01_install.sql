-- Install and the objects it creates. test/sql/include/setup.sql installs the
-- version the Makefile names (FINOTE_TEST_VERSION): this suite must pass
-- unchanged at every later version too.
\i test/sql/include/setup.sql

SELECT extversion = :'test_version' AS version_under_test, extrelocatable,
       extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'finote';

-- The API, and nothing else, is callable by finote_api: the functions
-- without a leading underscore but purge (1.2, the DBA's: cron), each
-- SECURITY DEFINER with a pinned search_path.
SELECT count(*) FILTER (WHERE has_function_privilege('finote_api', p.oid, 'EXECUTE')
                          <> (p.proname !~ '^_' AND p.proname <> 'purge')) AS wrongly_granted,
       count(*) FILTER (WHERE p.proname !~ '^_' AND NOT (p.prosecdef
                          AND p.proconfig = '{"search_path=pg_catalog, pg_temp"}')) AS unpinned
  FROM pg_proc p
 WHERE p.pronamespace = 'finote'::regnamespace;
SELECT p.proname AS api_function
  FROM pg_proc p
 WHERE p.pronamespace = 'finote'::regnamespace AND p.proname !~ '^_'
   AND p.proname IN ('register', 'login', 'logout', 'whoami', 'change_password',
                     'note_create', 'note_get', 'note_list', 'note_update', 'note_delete')
 ORDER BY 1;

SELECT count(*) AS public_executable
  FROM pg_proc p
 WHERE p.pronamespace = 'finote'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE');

SELECT c.relname, c.relkind,
       has_table_privilege('finote_api', c.oid, 'SELECT,INSERT,UPDATE,DELETE') AS api_can_touch
  FROM pg_class c
 WHERE c.relnamespace = 'finote'::regnamespace AND c.relkind = 'r'
 ORDER BY 1;

-- pg_dump carries accounts, sessions and notes, not throttle state.
SELECT unnest(extconfig)::regclass::text AS dumped_table
  FROM pg_extension WHERE extname = 'finote' ORDER BY 1;

SELECT rolcanlogin FROM pg_roles WHERE rolname = 'finote_api';

-- The settings and their defaults.
SELECT name, setting, unit, context FROM pg_settings
 WHERE name LIKE 'finote.%' ORDER BY name;
