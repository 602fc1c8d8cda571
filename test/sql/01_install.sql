-- Install, the objects it creates, and a helper the other tests use.
CREATE EXTENSION finote;

SELECT extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'finote';

-- try(sql): run sql and show its SQLSTATE and message instead of failing,
-- so that every error path is visible in the expected output.
CREATE FUNCTION try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  result text;
BEGIN
  EXECUTE sql INTO result;
  RETURN 'ok: ' || coalesce(result, 'null');
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- The API and nothing else is callable by finote_api.
SELECT p.oid::regprocedure::text AS function, p.prosecdef AS security_definer,
       p.proconfig
  FROM pg_proc p
 WHERE p.pronamespace = 'finote'::regnamespace
   AND has_function_privilege('finote_api', p.oid, 'EXECUTE')
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
