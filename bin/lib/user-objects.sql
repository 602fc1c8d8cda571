-- The user objects of the current database, at most six, comma-separated;
-- NULL when there are none (anything but the public schema itself and
-- plpgsql): finote-db restore writes only into an empty database.
SELECT string_agg(what, ', ') FROM (
SELECT 'schema ' || nspname AS what FROM pg_catalog.pg_namespace
 WHERE nspname NOT IN ('public', 'information_schema') AND nspname !~ '^pg_'
UNION ALL
SELECT 'extension ' || extname FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'
UNION ALL
SELECT 'relation ' || c.oid::regclass FROM pg_catalog.pg_class c
 WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'function ' || p.oid::regprocedure FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'type ' || t.oid::regtype FROM pg_catalog.pg_type t
 WHERE t.typnamespace = 'public'::regnamespace AND t.typrelid = 0 AND t.typelem = 0
LIMIT 6) s;
