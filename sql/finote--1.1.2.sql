-- finote 1.1.2: accounts, sessions and notes, with pins, tags and a search
-- index. The full install of 1.1.2, written out so that a reader sees the
-- schema in one file: CREATE EXTENSION finote runs this, a database at an
-- older version reaches the same state by the upgrade scripts, and
-- guarantee 3 of bin/finote-release check proves the two identical.
-- Installed with CREATE EXTENSION finote; objects live in schema finote.
-- The functions are the API; the tables are private to them.

\echo Use "CREATE EXTENSION finote" to load this file. \quit

DO $$
BEGIN
  IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
    RAISE EXCEPTION 'finote needs a UTF8 database, not %', pg_catalog.getdatabaseencoding()
      USING HINT = 'CREATE DATABASE ... ENCODING ''UTF8'' TEMPLATE template0';
  END IF;
  -- The role that may call the API. Roles are cluster-wide, so it may exist
  -- already (another database, or a restore); it is not dropped with the
  -- extension.
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'finote_api') THEN
    CREATE ROLE finote_api NOLOGIN;
  END IF;
END
$$;

-- Every row is reached through its owner's user id (sessions and notes key
-- on it first), so the data could be distributed by user_id later.
CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username      text NOT NULL,
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE sessions (
  user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  token_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, token_hash)
);
-- The sweep of expired sessions at each login.
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE notes (
  user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  title      text NOT NULL DEFAULT '' CHECK (char_length(title) <= 200),
  content    text NOT NULL DEFAULT '' CHECK (char_length(content) <= 100000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- 1.1; after updated_at, where the upgrade added them.
  pinned     boolean NOT NULL DEFAULT false,
  tags       text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
  PRIMARY KEY (user_id, id)
);
-- A user's notes, pinned first then newest first, and the keyset cursor
-- that pages through them.
CREATE INDEX notes_user_list_idx ON notes (user_id, pinned DESC, updated_at DESC, id DESC);

-- Failed logins per lower-cased username, for the throttle. Written by a
-- background worker in its own transaction (see throttle.c).
CREATE TABLE login_failures (
  username_key text NOT NULL,
  failed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_idx ON login_failures (username_key, failed_at);
CREATE INDEX login_failures_failed_at_idx ON login_failures (failed_at);

-- pg_dump carries the data of these tables (move to a server, backups).
-- Throttle state is transient and is not dumped.
SELECT pg_catalog.pg_extension_config_dump('users', '');
SELECT pg_catalog.pg_extension_config_dump('sessions', '');
SELECT pg_catalog.pg_extension_config_dump('notes', '');

-- The JSON shapes of the contract, in one place each. Timestamps are UTC
-- ISO 8601 whatever the caller's TimeZone.
-- STABLE like the to_char() it calls, so that the planner inlines it into
-- _note_json and _user_json, and those into the API's statements.
CREATE FUNCTION _timestamp_json(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

CREATE FUNCTION _user_json(u finote.users) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.jsonb_build_object(
  'id', u.id,
  'username', u.username,
  'created_at', finote._timestamp_json(u.created_at)) $$;

CREATE FUNCTION _note_json(n finote.notes) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.jsonb_build_object(
  'id', n.id,
  'title', n.title,
  'content', n.content,
  'pinned', n.pinned,
  'tags', pg_catalog.to_jsonb(n.tags),
  'created_at', finote._timestamp_json(n.created_at),
  'updated_at', finote._timestamp_json(n.updated_at)) $$;

-- Tags are stored lower-cased, unique per note and sorted.
CREATE FUNCTION _tags(tags text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN tags IS NOT NULL THEN
       ARRAY(SELECT DISTINCT pg_catalog.lower(t) FROM pg_catalog.unnest(tags) t ORDER BY 1)
     END $$;

-- What the search index stores for a note: the owner's key and the note's
-- lower-cased trigrams (extension/search.c). Internal: only the index and
-- note_list use it.
CREATE FUNCTION _search_keys(user_id uuid, title text, content text) RETURNS int4[]
AS 'MODULE_PATHNAME', 'finote_search_keys'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
-- Costly per row, so that the planner reaches it through the index only.
COST 1000;

CREATE INDEX notes_search_idx ON notes USING gin (_search_keys(user_id, title, content));

-- The API. SECURITY DEFINER with a pinned search_path: callers need only
-- EXECUTE, which finote_api has and PUBLIC does not.
CREATE FUNCTION register(username text, password text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_register'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION login(username text, password text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_login'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION logout(token text) RETURNS void
AS 'MODULE_PATHNAME', 'finote_logout'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION whoami(token text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_whoami'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION change_password(token text, current_password text, new_password text)
RETURNS void
AS 'MODULE_PATHNAME', 'finote_change_password'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION note_create(token text, title text, content text,
                            pinned boolean DEFAULT NULL, tags text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_create_1_1'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION note_get(token text, id uuid) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_get'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION note_list(token text, q text DEFAULT NULL, lim int DEFAULT 20,
                          cursor text DEFAULT NULL, tag text DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_list_1_1_2'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION note_update(token text, id uuid, title text DEFAULT NULL,
                            content text DEFAULT NULL, pinned boolean DEFAULT NULL,
                            tags text[] DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_update_1_1'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION note_delete(token text, id uuid) RETURNS void
AS 'MODULE_PATHNAME', 'finote_note_delete'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION note_tags(token text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_tags'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON ALL TABLES IN SCHEMA finote FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA finote FROM PUBLIC;
GRANT USAGE ON SCHEMA finote TO finote_api;
GRANT EXECUTE ON FUNCTION
  register(text, text),
  login(text, text),
  logout(text),
  whoami(text),
  change_password(text, text, text),
  note_create(text, text, text, boolean, text[]),
  note_get(text, uuid),
  note_list(text, text, int, text, text),
  note_update(text, uuid, text, text, boolean, text[]),
  note_delete(text, uuid),
  note_tags(text)
TO finote_api;
