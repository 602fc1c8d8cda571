-- 1.2.2: the export in bounded pieces (issue 20, finding 3). A note with
-- its revisions is no longer one row: the note is a row, and each revision
-- one more, so no row holds more than one revision's JSON (at most about
-- 600 kB: 100,000 characters that JSON escapes to six bytes each). In a
-- select list the values stream, one at a time, with no temporary file,
-- and a query that stops early leaves no cursor open. The document is the
-- one 1.2 made.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('t25kim', 't25kim password') IS NOT NULL AS kim;
SELECT finote.login('t25kim', 't25kim password') ->> 'token' AS kim \gset

-- 1.2's export, from its symbol, to compare with.
CREATE FUNCTION pg_temp.export_1_2(token text, revisions boolean DEFAULT false) RETURNS SETOF text
AS '$libdir/finote', 'finote_export_1_2' LANGUAGE C STABLE SET search_path = pg_catalog, pg_temp;

-- Three notes of 100,000 x U+0001, five revisions each, one of them in the trash.
SET finote.revision_collapse = 0;
SELECT count(*) AS notes FROM (
  SELECT finote.note_create(:'kim', 'note ' || i, repeat(chr(1), 100000), i = 1, '{t}') FROM generate_series(1, 3) i) s;
SELECT count(finote.note_update(:'kim', n.id, title => 'note ' || i || ' take ' || t))
    AS five_revisions_each
  FROM finote.notes n JOIN finote.users u ON u.id = n.user_id AND u.username = 't25kim',
       generate_series(1, 5) t, LATERAL (SELECT split_part(n.title, ' ', 2) AS i) x;
SELECT finote.note_delete(:'kim', n.id)
  FROM finote.notes n JOIN finote.users u ON u.id = n.user_id AND u.username = 't25kim' WHERE n.title LIKE 'note 3%';
SELECT finote.note_create(:'kim', 'small', 'no history') IS NOT NULL AS small;
RESET finote.revision_collapse;

-- A row per note and per revision, none larger than one revision.
SELECT count(*) AS rows_with_revisions, max(octet_length(e)) BETWEEN 600000 AND 610000 AS largest_is_one_revision
  FROM finote.export(:'kim', true) e;
SELECT count(*) AS rows_without, max(octet_length(e)) BETWEEN 600000 AND 610000 AS largest_is_one_note
  FROM finote.export(:'kim') e;

-- The same document as 1.2's, with and without revisions; without, the same rows.
SELECT (SELECT string_agg(e, '' ORDER BY i)::jsonb - 'exported_at' FROM finote.export(:'kim', true) WITH ORDINALITY x(e, i))
     = (SELECT string_agg(e, '' ORDER BY i)::jsonb - 'exported_at' FROM pg_temp.export_1_2(:'kim', true) WITH ORDINALITY x(e, i))
    AS same_document_with_revisions;
SELECT (SELECT array_agg(e ORDER BY i) FROM finote.export(:'kim') WITH ORDINALITY x(e, i))
     = (SELECT array_agg(e ORDER BY i) FROM pg_temp.export_1_2(:'kim') WITH ORDINALITY x(e, i))
    AS same_rows_without;
WITH d AS (SELECT string_agg(e, '' ORDER BY i)::jsonb AS d FROM finote.export(:'kim', true) WITH ORDINALITY x(e, i))
SELECT jsonb_path_query_array(d, '$.notes[*].revisions.size()') AS note_revisions,
       jsonb_path_query_array(d, '$.trash[*].revisions.size()') AS trash_revisions,
       jsonb_path_query_array(d, '$.notes[*].title') AS titles,
       (d #>> '{notes,0,revisions,0,content}') = repeat(chr(1), 100000) AS revision_content
  FROM d;
-- An account with nothing: a valid document.
SELECT finote.register('t25lea', 't25lea password') IS NOT NULL AS lea;
SELECT finote.login('t25lea', 't25lea password') ->> 'token' AS lea \gset
SELECT string_agg(e, '' ORDER BY i)::jsonb - 'exported_at' - 'user' AS empty
  FROM finote.export(:'lea', true) WITH ORDINALITY x(e, i);

-- In a select list the rows stream: with work_mem at its minimum, no
-- temporary file. 1.2's result store, in the same place, spills.
SET work_mem = '64kB';
CREATE TEMP TABLE temp_bytes AS SELECT 0::bigint AS before;
SELECT pg_stat_force_next_flush();
UPDATE temp_bytes SET before = (SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database());
SELECT sum(octet_length(e)) > 3 * 6 * 600000 AS streamed FROM (SELECT finote.export(:'kim', true) AS e) s;
SELECT pg_stat_force_next_flush();
SELECT temp_bytes - before AS temp_bytes_1_2_2 FROM pg_stat_database, temp_bytes WHERE datname = current_database();
SELECT sum(octet_length(e)) > 3 * 6 * 600000 AS stored FROM (SELECT pg_temp.export_1_2(:'kim', true) AS e) s;
SELECT pg_stat_force_next_flush();
SELECT temp_bytes - before > 10000000 AS temp_file_1_2 FROM pg_stat_database, temp_bytes WHERE datname = current_database();
RESET work_mem;

-- A query that reads only the first rows closes the export's cursors.
BEGIN;
SELECT left(finote.export(:'kim', true), 7) AS starts LIMIT 3;
SELECT count(*) AS cursors_left FROM pg_cursors;
COMMIT;

-- Only a live session exports.
SELECT try($$SELECT count(*)::text FROM (SELECT finote.export('not a token')) s$$);
SELECT try($$SELECT count(*)::text FROM (SELECT finote.export(NULL, true)) s$$);
