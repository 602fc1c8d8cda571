-- The failed-login recorder is a background worker: it runs outside the API
-- functions' SET search_path, as a role with more rights than the caller.
-- A look-alike function planted in public must never run there (issue 13,
-- finding 1). Before the fix, public.make_interval(integer) was an exact
-- match for the worker's make_interval(secs => int4) and made mallory a
-- superuser after two failed logins.
\i test/sql/include/setup.sql
\set VERBOSITY terse

CREATE ROLE mallory LOGIN;
GRANT CREATE ON SCHEMA public TO mallory;
SET ROLE mallory;
CREATE FUNCTION public.make_interval(secs integer) RETURNS interval
LANGUAGE plpgsql AS $$
BEGIN
  ALTER ROLE mallory SUPERUSER;
  RETURN pg_catalog.make_interval(secs => secs::float8);
END
$$;
CREATE FUNCTION public.lower(text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  ALTER ROLE mallory SUPERUSER;
  RETURN pg_catalog.lower($1);
END
$$;
RESET ROLE;

-- With one failure allowed, the second attempt is refused: the worker did
-- record the first.
SET finote.login_max_failures = 1;
SELECT finote.register('walter', 'walter password') IS NOT NULL AS walter;
SELECT try($$SELECT finote.login('walter', 'wrong password')$$) FROM generate_series(1, 2);
SELECT try($$SELECT finote.login('walter_ghost', 'wrong password')$$) FROM generate_series(1, 2);
RESET finote.login_max_failures;
SELECT rolsuper AS mallory_became_superuser FROM pg_catalog.pg_roles WHERE rolname = 'mallory';

DROP FUNCTION public.make_interval(integer);
DROP FUNCTION public.lower(text);
REVOKE CREATE ON SCHEMA public FROM mallory;
DROP ROLE mallory;
