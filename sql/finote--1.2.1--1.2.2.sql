-- finote 1.2.1 -> 1.2.2: security fixes (issue 20) and logins without a
-- process start (issue 25); no API change.
-- Applied with ALTER EXTENSION finote UPDATE (bin/finote-db migrate), in one
-- transaction, while the service runs. Catalog changes only: functions
-- pointed at their 1.2.2 symbols, whose 1.2.1 ones stay in the library for
-- databases still at 1.2.1; no table is touched.

\echo Use "ALTER EXTENSION finote UPDATE TO '1.2.2'" to load this file. \quit

-- Attempt budgets without a process start (issue 25): the attempt server
-- (extension/attempt_server.c), one long-lived background worker per
-- database, keeps finote.attempts; the budgets count failures only, so that
-- concurrent logins with the right password are never refused as failures.
--
-- Sessions and the user row (issue 20, findings 2 and 10a; extension/auth.c).
-- A login reads the user's row FOR SHARE and holds it until its session is
-- committed; change_password and account_delete lock the row before they
-- read the current hash. So a login that read the old password's hash has
-- committed its session before a change of the password revokes the other
-- sessions, and a login after the change reads the new hash: no session of
-- the old password survives the change. Every call that writes locks the
-- user's row FOR KEY SHARE when it checks its session, so that a write
-- racing account_delete is 28000 (invalid session, HTTP 401) instead of a
-- foreign key violation or a deadlock (HTTP 500). Same arguments, same
-- results.
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

CREATE OR REPLACE FUNCTION note_create(token text, title text, content text,
                                       pinned boolean DEFAULT NULL, tags text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_create_1_2_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION note_update(token text, id uuid, title text DEFAULT NULL,
                                       content text DEFAULT NULL, pinned boolean DEFAULT NULL,
                                       tags text[] DEFAULT NULL, if_version bigint DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_update_1_2_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION note_delete(token text, id uuid, if_version bigint DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'finote_note_delete_1_2_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION note_restore(token text, id uuid, revision uuid,
                                        if_version bigint DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_restore_1_2_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION trash_restore(token text, id uuid) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_trash_restore_1_2_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION trash_delete(token text, id uuid) RETURNS void
AS 'MODULE_PATHNAME', 'finote_trash_delete_1_2_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- No secret folded into a plan (issue 20, finding 8). The body functions
-- were IMMUTABLE, so the planner ran them on a custom plan's constant body
-- and kept their results, the password among them, as constants of the
-- plan, which EXPLAIN VERBOSE and auto_explain print. VOLATILE: the planner
-- never runs such a function (a STABLE one it may run for an estimate), and
-- it keeps the subquery that parses the body from being pulled up into the
-- route statement, so the body is parsed once per statement, not once per
-- field read from it: with a generic plan, reading 4 fields of a 90 kB body
-- took 8.9 ms VOLATILE and 26.3 ms STABLE (IMMUTABLE parses as often). What
-- a custom plan still holds is each bind parameter as a constant, the
-- request body included: only a generic plan (the shim's) keeps the body
-- itself out of a plan.
ALTER FUNCTION body_json(text) VOLATILE;
ALTER FUNCTION body_text(jsonb, text) VOLATILE;
ALTER FUNCTION body_tags(jsonb) VOLATILE;

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
