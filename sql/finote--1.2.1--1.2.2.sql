-- Exports cost bounded work whatever the data (issue 20, finding 3): the
-- same call, now one value per call, a note without its revisions or one
-- revision (at most about 600 kB each), instead of one row per note with
-- its whole history in a result store that spilled to pgsql_tmp. Called in
-- a select list (the shim's SELECT finote.export(...)), the rows stream
-- with one in the backend's memory at a time (extension/export.c). Same
-- arguments, result and grants: CREATE OR REPLACE keeps them; a database
-- still at 1.2.1 keeps 1.2's export until it is migrated.
CREATE OR REPLACE FUNCTION export(token text, revisions boolean DEFAULT false) RETURNS SETOF text
AS 'MODULE_PATHNAME', 'finote_export_1_2_2'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
ROWS 1000;
