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
