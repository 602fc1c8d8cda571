-- The end of a hostile look-alike suite (include/hostile_plant.sql).
RESET search_path;
DO $$
BEGIN
  EXECUTE pg_catalog.format('ALTER DATABASE %I RESET search_path', pg_catalog.current_database());
END
$$;

-- Not one look-alike was called, and mallory is no superuser.
SELECT is_called AS any_hostile_call FROM public.hostile_calls;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'mallory';

-- The trap works: called directly, a look-alike is counted.
SELECT public.lower('X') AS direct_call;
SELECT is_called AS trap_counts FROM public.hostile_calls;

DROP FUNCTION try_q(text);
DROP OWNED BY mallory;
DROP ROLE mallory;
