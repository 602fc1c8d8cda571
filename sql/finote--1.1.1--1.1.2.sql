-- finote 1.1.1 -> 1.1.2: a search index, so that a search stays fast for a user with many notes.
-- Applied with ALTER EXTENSION finote UPDATE (sql/finote-db migrate), in one
-- transaction. Keep it additive (OPERATIONS.md, "Changing the schema"):
-- new tables, new columns that are NULL-able or have a DEFAULT, new
-- functions; a function that gains arguments is dropped and created again
-- under the same name, and its 1.1.1 C symbol stays in the library.
-- sql/finote-db check refuses DROP TABLE/COLUMN/SCHEMA, ALTER COLUMN TYPE,
-- SET NOT NULL on existing columns, TRUNCATE, DELETE, RENAME and ALTER
-- EXTENSION DROP unless this file carries a line such as
--   -- finote: destructive: <what> ; data migration: <where it is documented>
-- There is no full script for 1.1.2: CREATE EXTENSION finote VERSION '1.1.2' runs
-- the one full script and the upgrades, so a fresh install and an upgraded
-- database are built by the same statements.

\echo Use "ALTER EXTENSION finote UPDATE TO '1.1.2'" to load this file. \quit


-- What the search index stores for a note: the owner's key and the note's
-- lower-cased trigrams (extension/search.c). Internal: only the index and
-- note_list use it.
CREATE FUNCTION _search_keys(user_id uuid, title text, content text) RETURNS int4[]
AS 'MODULE_PATHNAME', 'finote_search_keys'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
-- Costly per row, so that the planner reaches it through the index only.
COST 1000;
REVOKE ALL ON FUNCTION _search_keys(uuid, text, text) FROM PUBLIC;

-- Built in this transaction: on a large table ALTER EXTENSION finote UPDATE
-- takes minutes here and blocks writes to notes meanwhile (OPERATIONS.md).
CREATE INDEX notes_search_idx ON notes USING gin (_search_keys(user_id, title, content));

-- Same signature and grants; the new C symbol walks, then asks the index.
CREATE OR REPLACE FUNCTION note_list(token text, q text DEFAULT NULL, lim int DEFAULT 20,
                                     cursor text DEFAULT NULL, tag text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_list_1_1_2'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
