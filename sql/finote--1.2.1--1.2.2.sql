-- finote 1.2.1 -> 1.2.2
-- Applied with ALTER EXTENSION finote UPDATE (bin/finote-db migrate), in one
-- transaction, while the service runs. The 1.2.1 symbols stay in the
-- library for databases still at 1.2.1.

\echo Use "ALTER EXTENSION finote UPDATE TO '1.2.2'" to load this file. \quit

-- Attempt budgets without a process start (issue 25): the attempt server
-- (extension/attempt_server.c), one long-lived background worker per
-- database, keeps finote.attempts; the budgets count failures only, so that
-- concurrent logins with the right password are never refused as failures.
-- Same arguments, same results, same table and role: only the symbols change.
CREATE OR REPLACE FUNCTION register(username text, password text, client_addr inet DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_register_1_2_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION login(username text, password text, client_addr inet DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_login_1_2_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION change_password(token text, current_password text, new_password text,
                                           client_addr inet DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'finote_change_password_1_2_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION account_delete(token text, password text, client_addr inet DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'finote_account_delete_1_2_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

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
