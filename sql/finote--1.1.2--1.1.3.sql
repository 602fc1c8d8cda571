-- finote 1.1.2 -> 1.1.3: attempt budgets per account and client address, and typed reading of request bodies.
-- Applied with ALTER EXTENSION finote UPDATE (sql/finote-db migrate), in one
-- transaction. Keep it additive (OPERATIONS.md, "Changing the schema"):
-- new tables, new columns that are NULL-able or have a DEFAULT, new
-- functions; a function that gains arguments is dropped and created again
-- under the same name, and its 1.1.2 C symbol stays in the library.
-- sql/finote-db check refuses DROP TABLE/COLUMN/SCHEMA, ALTER COLUMN TYPE,
-- SET NOT NULL on existing columns, TRUNCATE, DELETE, RENAME and ALTER
-- EXTENSION DROP unless this file carries a line such as
--   -- finote: destructive: <what> ; data migration: <where it is documented>
-- There is no full script for 1.1.3: CREATE EXTENSION finote VERSION '1.1.3' runs
-- the one full script and the upgrades, so a fresh install and an upgraded
-- database are built by the same statements.

\echo Use "ALTER EXTENSION finote UPDATE TO '1.1.3'" to load this file. \quit

-- The role the attempt worker runs its statements as (extension/attempts.c).
-- The worker runs outside the API functions, so it must not act as the
-- extension's owner: this role can touch finote.attempts and nothing else,
-- and can grant itself nothing. Roles are cluster-wide, so it may exist
-- already (another database, a restore); then it must be as powerless as this
-- script would make it. Like finote_api, DROP EXTENSION leaves it in place.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'finote_throttle') THEN
    CREATE ROLE finote_throttle NOLOGIN NOINHERIT;
  ELSIF EXISTS (SELECT FROM pg_catalog.pg_roles
                 WHERE rolname = 'finote_throttle'
                   AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls))
     OR EXISTS (SELECT FROM pg_catalog.pg_auth_members m
                  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) m.member
                 WHERE r.rolname = 'finote_throttle') THEN
    RAISE EXCEPTION 'role finote_throttle exists with more rights than finote gives it'
      USING HINT = 'It must be NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS and a member of no role.';
  END IF;
END
$$;

-- One row per budget key: "login:<username> <address>", "account:<username>",
-- "address:<address>", "register:<address>". Transient, like the failures it
-- replaces: not dumped. login_failures stays, unused from 1.1.3 on: dropping
-- it would need a destructive upgrade for an empty table.
CREATE TABLE attempts (
  key           text PRIMARY KEY,
  attempts      integer NOT NULL DEFAULT 0,
  blocked_until timestamptz NOT NULL DEFAULT '-infinity',
  expires_at    timestamptz NOT NULL DEFAULT '-infinity'
);
-- The bounded purge of forgotten keys at each attempt.
CREATE INDEX attempts_expires_at_idx ON attempts (expires_at);
REVOKE ALL ON attempts FROM PUBLIC;
GRANT USAGE ON SCHEMA finote TO finote_throttle;
GRANT SELECT, INSERT, UPDATE, DELETE ON attempts TO finote_throttle;

-- The functions that gain client_addr are replaced, not overloaded, so that an
-- older call resolves to exactly one function (client_addr NULL). Their 1.1.2
-- C symbols stay in the library for databases still at 1.1.2.
DROP FUNCTION register(text, text);
CREATE FUNCTION register(username text, password text, client_addr inet DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_register_1_1_3'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

DROP FUNCTION login(text, text);
CREATE FUNCTION login(username text, password text, client_addr inet DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_login_1_1_3'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

DROP FUNCTION change_password(text, text, text);
CREATE FUNCTION change_password(token text, current_password text, new_password text,
                                client_addr inet DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'finote_change_password_1_1_3'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Reading a request body (extension/body.c): the HTTP shim's route
-- statements call these instead of $2::jsonb and b->>'field', so that
-- malformed JSON is never quoted in an error, duplicate keys are refused, and
-- a field of the wrong JSON type is an error naming it. They read only their
-- arguments; like every function finote_api may call, they run with the
-- pinned search_path.
CREATE FUNCTION body_json(body text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_body'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION body_text(b jsonb, key text) RETURNS text
AS 'MODULE_PATHNAME', 'finote_body_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION body_tags(b jsonb) RETURNS text[]
AS 'MODULE_PATHNAME', 'finote_body_tags'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION
  register(text, text, inet),
  login(text, text, inet),
  change_password(text, text, text, inet),
  body_json(text),
  body_text(jsonb, text),
  body_tags(jsonb)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  register(text, text, inet),
  login(text, text, inet),
  change_password(text, text, text, inet),
  body_json(text),
  body_text(jsonb, text),
  body_tags(jsonb)
TO finote_api;
