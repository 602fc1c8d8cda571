-- What every file of the pg_regress suite needs, read at its top, so that
-- each runs on its own (make installcheck REGRESS=03_notes, make check-one)
-- as well as after the others in one database: the extension at the version
-- under test (FINOTE_TEST_VERSION, else the default) unless the database
-- has it already, and try(). Not echoed: expected outputs show the \i only.
-- pg_regress feeds a file to psql on stdin, so \ir would resolve against
-- the working directory anyway: the files say \i test/sql/include/setup.sql,
-- relative to the top of the tree, where make installcheck runs.
\set ECHO none
\getenv test_version FINOTE_TEST_VERSION
SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'finote') AS finote_missing \gset
\if :finote_missing
\if :{?test_version}
CREATE EXTENSION finote VERSION :'test_version';
\else
CREATE EXTENSION finote;
\endif
\endif

-- try(sql): run sql and show its SQLSTATE and message instead of failing,
-- so that every error path is visible in the expected output.
CREATE OR REPLACE FUNCTION try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  result text;
BEGIN
  EXECUTE sql INTO result;
  RETURN 'ok: ' || coalesce(result, 'null');
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
\set ECHO all
