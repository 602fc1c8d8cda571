-- finote 1.1.3 -> 1.2: edit conflicts (note versions), history (revisions), trash, export, account deletion.
-- Applied with ALTER EXTENSION finote UPDATE (sql/finote-db migrate), in one
-- transaction, while the service runs. Keep it additive (OPERATIONS.md,
-- "Changing the schema"), and cheap on a big notes table: one column with
-- a constant default (a catalog change, no rewrite), new tables, which are
-- empty, and no index built on notes. A function that gains arguments is
-- dropped and created again under the same name; its 1.1.x C symbol stays in
-- the library for databases still at 1.1.x.
-- There is no full script for 1.2: CREATE EXTENSION finote VERSION '1.2' runs
-- the one full script (1.1.2) and the upgrades, so a fresh install and an
-- upgraded database are built by the same statements.

\echo Use "ALTER EXTENSION finote UPDATE TO '1.2'" to load this file. \quit

-- Trash: a deleted note moves here, with its version, and comes back by
-- trash_restore. A table of its own, not a flag on notes, so that
-- note_get, note_list, the search and note_tags, their plans and their
-- indexes stay as they were, and a 1.1 shim on a 1.2 database sees no
-- trashed note. The same columns as notes, in the same order, then when.
CREATE TABLE trash (
  user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  id         uuid NOT NULL,
  title      text NOT NULL,
  content    text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  pinned     boolean NOT NULL,
  tags       text[] NOT NULL,
  version    bigint NOT NULL,
  deleted_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, id)
);
-- trash_list: a user's trash, newest deletion first, and its keyset cursor.
CREATE INDEX trash_user_deleted_idx ON trash (user_id, deleted_at DESC, id DESC);
-- The purge of notes past finote.trash_retention, oldest first.
CREATE INDEX trash_deleted_at_idx ON trash (deleted_at);

-- History: a revision is the state of a note a change replaced (version is
-- the note version it held; created_at is when it was replaced). Keyed by
-- the owner first like every table, and not bound to notes by a foreign key:
-- a trashed note keeps its revisions until it is deleted for good or purged.
CREATE TABLE revisions (
  user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  note_id    uuid NOT NULL,
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  version    bigint NOT NULL,
  title      text NOT NULL,
  content    text NOT NULL,
  tags       text[] NOT NULL,
  pinned     boolean NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, note_id, id)
);
-- note_revisions (newest first), the collapse window's look at the newest
-- revision, and the trim to finote.revisions_keep.
CREATE UNIQUE INDEX revisions_note_version_idx ON revisions (user_id, note_id, version DESC);
-- The purge of revisions past finote.revisions_max_age, oldest first.
CREATE INDEX revisions_created_at_idx ON revisions (created_at);

-- Users' data: pg_dump carries it, as it does notes.
SELECT pg_catalog.pg_extension_config_dump('trash', '');
SELECT pg_catalog.pg_extension_config_dump('revisions', '');
REVOKE ALL ON trash, revisions FROM PUBLIC;

-- The note JSON gains "version" (a JSON number; the column is added at the
-- end of this script); older clients ignore it. Extension scripts run with
-- check_function_bodies off, so the SQL functions reading it are created
-- before it exists.
CREATE OR REPLACE FUNCTION _note_json(n finote.notes) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.jsonb_build_object(
  'id', n.id,
  'title', n.title,
  'content', n.content,
  'pinned', n.pinned,
  'tags', pg_catalog.to_jsonb(n.tags),
  'created_at', finote._timestamp_json(n.created_at),
  'updated_at', finote._timestamp_json(n.updated_at),
  'version', n.version) $$;

-- A note in the trash: the note JSON of its notes columns, and deleted_at.
CREATE FUNCTION _trash_json(t finote.trash) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT finote._note_json(ROW(t.user_id, t.id, t.title, t.content, t.created_at,
                                   t.updated_at, t.pinned, t.tags, t.version)::finote.notes)
      OPERATOR(pg_catalog.||)
      pg_catalog.jsonb_build_object('deleted_at', finote._timestamp_json(t.deleted_at)) $$;

-- One revision, whole (note_revision, export).
CREATE FUNCTION _revision_json(r finote.revisions) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.jsonb_build_object(
  'id', r.id,
  'note_id', r.note_id,
  'version', r.version,
  'title', r.title,
  'content', r.content,
  'tags', pg_catalog.to_jsonb(r.tags),
  'pinned', r.pinned,
  'created_at', finote._timestamp_json(r.created_at)) $$;

-- update and delete gain if_version: given and not the note's version, they
-- fail with SQLSTATE PT412 and change nothing. An older call (without it)
-- resolves to exactly these functions.
DROP FUNCTION note_update(text, uuid, text, text, boolean, text[]);
CREATE FUNCTION note_update(token text, id uuid, title text DEFAULT NULL,
                            content text DEFAULT NULL, pinned boolean DEFAULT NULL,
                            tags text[] DEFAULT NULL, if_version bigint DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_update_1_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Delete moves the note to the trash.
DROP FUNCTION note_delete(text, uuid);
CREATE FUNCTION note_delete(token text, id uuid, if_version bigint DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'finote_note_delete_1_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- History: a note's revisions, newest first, without their text; one
-- revision whole; and restoring one, itself a change that can be undone.
CREATE FUNCTION note_revisions(token text, id uuid, lim int DEFAULT 20, cursor text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_revisions_1_2'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION note_revision(token text, id uuid, revision uuid) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_revision_1_2'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION note_restore(token text, id uuid, revision uuid, if_version bigint DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_restore_1_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Trash.
CREATE FUNCTION trash_list(token text, lim int DEFAULT 20, cursor text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_trash_list_1_2'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION trash_restore(token text, id uuid) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_trash_restore_1_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION trash_delete(token text, id uuid) RETURNS void
AS 'MODULE_PATHNAME', 'finote_trash_delete_1_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Export: rows that, concatenated in order, are one JSON document of the
-- user's notes and trash (extension/export.c).
CREATE FUNCTION export(token text, revisions boolean DEFAULT false) RETURNS SETOF text
AS 'MODULE_PATHNAME', 'finote_export_1_2'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
ROWS 1000;

-- Account deletion, with the password, budgeted like change_password.
CREATE FUNCTION account_delete(token text, password text, client_addr inet DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'finote_account_delete_1_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Expiry for cron (finote-db purge): the DBA's, not the API's.
CREATE FUNCTION purge(max_rows int DEFAULT 1000) RETURNS int
AS 'MODULE_PATHNAME', 'finote_purge_1_2'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION
  _trash_json(finote.trash),
  _revision_json(finote.revisions),
  note_update(text, uuid, text, text, boolean, text[], bigint),
  note_delete(text, uuid, bigint),
  note_revisions(text, uuid, int, text),
  note_revision(text, uuid, uuid),
  note_restore(text, uuid, uuid, bigint),
  trash_list(text, int, text),
  trash_restore(text, uuid),
  trash_delete(text, uuid),
  export(text, boolean),
  account_delete(text, text, inet),
  purge(int)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  note_update(text, uuid, text, text, boolean, text[], bigint),
  note_delete(text, uuid, bigint),
  note_revisions(text, uuid, int, text),
  note_revision(text, uuid, uuid),
  note_restore(text, uuid, uuid, bigint),
  trash_list(text, int, text),
  trash_restore(text, uuid),
  trash_delete(text, uuid),
  export(text, boolean),
  account_delete(text, text, inet)
TO finote_api;

-- Edit conflicts: a note's version goes up by one on every real change
-- (title, content, tags, pinned). A constant default fills every existing
-- row at once, without rewriting the table (PostgreSQL 11 and later). Last,
-- because its ACCESS EXCLUSIVE lock on notes is held until the commit: every
-- statement after it would run with the service's reads and writes of notes
-- waiting (46 ms with it first on 20,000 notes under load, unseen at the
-- 10 ms sampling with it last: test/bench/FINDINGS.md, "Upgrading under
-- load"). The column still comes last in notes, where a fresh install puts
-- it too.
ALTER TABLE notes ADD COLUMN version bigint NOT NULL DEFAULT 1;
