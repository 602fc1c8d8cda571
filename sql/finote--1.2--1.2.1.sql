-- finote 1.2 -> 1.2.1: a revision is never collapsed away across writers.
-- Applied with ALTER EXTENSION finote UPDATE (bin/finote-db migrate), in one
-- transaction, while the service runs. Additive and cheap: one nullable
-- column without a default on revisions (a catalog change, no rewrite, no
-- lock on notes), and note_update pointed at its 1.2.1 symbol. The 1.2
-- symbol stays in the library for databases still at 1.2.

\echo Use "ALTER EXTENSION finote UPDATE TO '1.2.1'" to load this file. \quit

-- The writer of the change that wrote a revision: the first 8 bytes of a
-- BLAKE2b of its session's token hash (extension/notes.c). An update adds
-- no revision within finote.revision_collapse only when the newest one was
-- written by the same session (an autosave burst); a change from another
-- session always keeps the text it replaces. NULL for revisions written
-- before 1.2.1 (and never collapsed onto). Not a secret: it is a one-way
-- digest of a digest, 64 bits of it, which logs in no one and names no
-- session outside this table, so it may go into dumps with the rest.
ALTER TABLE revisions ADD COLUMN written_by bytea;

-- Same arguments, same result: only the collapse rule changes.
CREATE OR REPLACE FUNCTION note_update(token text, id uuid, title text DEFAULT NULL,
                                       content text DEFAULT NULL, pinned boolean DEFAULT NULL,
                                       tags text[] DEFAULT NULL, if_version bigint DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'finote_note_update_1_2_1'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
