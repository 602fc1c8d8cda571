-- 1.2: export. finote.export returns rows that, concatenated in order, are
-- one JSON document of the user's notes (tags, pinned, times, optionally
-- revisions) and trash. One row per note, never the whole document in one
-- value, so its memory is bounded whatever the account's size.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('t20hal', 't20hal password') IS NOT NULL AS hal;
SELECT finote.register('t20ivy', 't20ivy password') IS NOT NULL AS ivy;
SELECT finote.login('t20hal', 't20hal password') ->> 'token' AS hal \gset
SELECT finote.login('t20ivy', 't20ivy password') ->> 'token' AS ivy \gset

-- The document, from the rows in their order.
CREATE FUNCTION export_doc(token text, revisions boolean DEFAULT false) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT string_agg(row, '' ORDER BY i)::jsonb FROM finote.export(token, revisions) WITH ORDINALITY e(row, i)
$$;

-- An empty account: a valid document with empty lists.
SELECT d - 'exported_at' - 'user' AS empty_account, d -> 'user' ->> 'username' AS username,
       d -> 'user' ? 'password_hash' AS leaks_hash
  FROM export_doc(:'ivy') d;

SET finote.revision_collapse = 0;
SELECT finote.note_create(:'hal', 'first', 'one', false, '{Work}') ->> 'id' AS n1 \gset
SELECT finote.note_create(:'hal', 'pinned', 'two', true) ->> 'id' AS n2 \gset
SELECT finote.note_create(:'hal', 'binned', 'three') ->> 'id' AS n3 \gset
SELECT finote.note_update(:'hal', :'n1', content => 'one, edited') -> 'version' AS edited;
SELECT finote.note_update(:'hal', :'n3', content => 'three, edited') -> 'version' AS edited;
SELECT finote.note_delete(:'hal', :'n3');
SELECT finote.note_create(:'ivy', 'not hal''s', 'ivy text') IS NOT NULL AS ivy_note;

-- Notes in list order (pinned first), each as note_get shows it; the trash
-- with deleted_at; no revisions unless asked.
SELECT export_doc(:'hal') AS d \gset
SELECT (:'d'::jsonb) ->> 'format' AS format, (:'d'::jsonb) -> 'format_version' AS format_version,
       (:'d'::jsonb) ? 'exported_at' AS has_exported_at,
       (:'d'::jsonb) -> 'user' ->> 'username' AS username;
SELECT jsonb_path_query_array(:'d'::jsonb, '$.notes[*].title') AS notes,
       jsonb_path_query_array(:'d'::jsonb, '$.notes[*].tags') AS tags,
       jsonb_path_query_array(:'d'::jsonb, '$.notes[*].pinned') AS pinned,
       jsonb_path_query_array(:'d'::jsonb, '$.trash[*].title') AS trash;
SELECT (:'d'::jsonb) -> 'notes' -> 1 = finote.note_get(:'hal', :'n1') AS note_as_get,
       (:'d'::jsonb) -> 'trash' -> 0 ? 'deleted_at' AS trash_deleted_at,
       jsonb_path_exists(:'d'::jsonb, '$.**.revisions') AS revisions_unasked;
-- With revisions: each note's, newest first, whole.
SELECT jsonb_path_query_array(export_doc(:'hal', true), '$.notes[*].revisions.size()') AS per_note,
       jsonb_path_query_array(export_doc(:'hal', true), '$.notes[*].revisions[*].content') AS note_revisions,
       jsonb_path_query_array(export_doc(:'hal', true), '$.trash[*].revisions[*].content') AS trash_revisions;

-- One row per note (and three more), so the rows grow with the notes and
-- none holds more than a note: 3 notes, then 50.
SELECT count(*) AS rows_for_3, max(octet_length(row)) < 1000 AS each_row_small
  FROM finote.export(:'hal') row;
SELECT count(finote.note_create(:'hal', 'bulk ' || i, repeat('x', 2000))) FROM generate_series(1, 47) i;
SELECT count(*) AS rows_for_50, max(octet_length(row)) < 3000 AS each_row_one_note,
       sum(octet_length(row)) > 47 * 2000 AS whole_export
  FROM finote.export(:'hal') row;
SELECT jsonb_array_length(export_doc(:'hal') -> 'notes') AS notes_exported;

-- Only a live session exports, and only its own user's notes.
SELECT try($$SELECT count(*) FROM finote.export('not a token')$$);
SELECT try($$SELECT count(*) FROM finote.export(NULL)$$);
SELECT jsonb_path_query_array(export_doc(:'ivy'), '$.notes[*].title') AS ivy_exports;
RESET finote.revision_collapse;
DROP FUNCTION export_doc(text, boolean);
