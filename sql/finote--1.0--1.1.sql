-- finote 1.0 -> 1.1: pinned notes and tags.
-- Applied with ALTER EXTENSION finote UPDATE. Additive only: existing notes
-- keep every value and become unpinned and untagged; existing sessions stay
-- valid. A 1.0 client keeps working: the new arguments have defaults, and
-- the new keys of the note JSON are additions.

\echo Use "ALTER EXTENSION finote UPDATE TO '1.1'" to load this file. \quit

ALTER TABLE notes
  ADD COLUMN pinned boolean NOT NULL DEFAULT false,
  ADD COLUMN tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20);

-- Lists now put pinned notes first: the index follows the new order, and
-- the old one serves no query any more.
CREATE INDEX notes_user_list_idx ON notes (user_id, pinned DESC, updated_at DESC, id DESC);
DROP INDEX notes_user_updated_idx;

-- Tags are stored lower-cased, unique per note and sorted.
CREATE FUNCTION _tags(tags text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN tags IS NOT NULL THEN
       ARRAY(SELECT DISTINCT pg_catalog.lower(t) FROM pg_catalog.unnest(tags) t ORDER BY 1)
     END $$;

CREATE OR REPLACE FUNCTION _note_json(n finote.notes) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.jsonb_build_object(
  'id', n.id,
  'title', n.title,
  'content', n.content,
  'pinned', n.pinned,
  'tags', pg_catalog.to_jsonb(n.tags),
  'created_at', finote._timestamp_json(n.created_at),
  'updated_at', finote._timestamp_json(n.updated_at)) $$;

-- The functions that gain arguments are replaced, not overloaded, so that a
-- 1.0 call resolves to exactly one function. Their 1.0 C symbols stay in
-- the library for databases still at 1.0.
DROP FUNCTION note_create(text, text, text);
CREATE FUNCTION note_create(token text, title text, content text,
                            pinned boolean DEFAULT NULL, tags text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_create_1_1'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

DROP FUNCTION note_update(text, uuid, text, text);
CREATE FUNCTION note_update(token text, id uuid, title text DEFAULT NULL,
                            content text DEFAULT NULL, pinned boolean DEFAULT NULL,
                            tags text[] DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_update_1_1'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

DROP FUNCTION note_list(text, text, int, text);
CREATE FUNCTION note_list(token text, q text DEFAULT NULL, lim int DEFAULT 20,
                          cursor text DEFAULT NULL, tag text DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_list_1_1'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION note_tags(token text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_tags'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION
  _tags(text[]),
  note_create(text, text, text, boolean, text[]),
  note_update(text, uuid, text, text, boolean, text[]),
  note_list(text, text, int, text, text),
  note_tags(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  note_create(text, text, text, boolean, text[]),
  note_update(text, uuid, text, text, boolean, text[]),
  note_list(text, text, int, text, text),
  note_tags(text)
TO finote_api;
