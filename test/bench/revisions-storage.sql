-- revisions-storage.sql: what the history of 1.2 costs on disk, and how the
-- collapse window and finote.revisions_keep bound it; the figures behind the
-- defaults in README.md, "Settings". One 2 KB note of English-like words
-- (pglz compresses it to about 1.2 kB) is edited 200 times:
--   A. every edit keeps a revision (revision_collapse 0, no count bound);
--   B. the edits are autosaves 2 s apart (10 s apart), revision_collapse 60 s;
--   C. the edits are far apart (1 h), revisions_keep 50.
-- Time is simulated: after each edit the note's revisions are moved back by
-- the pace. Run it as a superuser of a scratch cluster with the extension
-- installed (it creates and drops the database finote_revisions_measure):
--   psql -X -q -d postgres -f test/bench/revisions-storage.sql
DROP DATABASE IF EXISTS finote_revisions_measure;
CREATE DATABASE finote_revisions_measure;
\c finote_revisions_measure
CREATE EXTENSION finote;
SELECT finote.register('measure', 'measure password') IS NOT NULL;
SELECT finote.login('measure', 'measure password') ->> 'token' AS t \gset
-- 2 KB of English-like text: words from a small vocabulary.
CREATE TEMP TABLE words AS SELECT unnest(string_to_array('the of and to in is that it was for on are as with his they at be this from have or by one had not but what all were when we there can an your which their said if do will each about how up out them then she many some so these would other into has more her two like him see time could no make than first been its who now people my made over did down only way find use may water long little very after words called just where most know', ' ')) w;
CREATE TABLE vocabulary AS SELECT array_agg(w) AS a FROM words;
CREATE FUNCTION text2k(seed int) RETURNS text LANGUAGE sql AS $$
  SELECT left(string_agg(v.a[1 + floor(random() * cardinality(v.a))::int], ' '), 2000)
    FROM vocabulary v, generate_series(1, 500) g $$;
SELECT finote.note_create(:'t', 'measured note', text2k(0)) ->> 'id' AS id \gset
-- A: every one of 200 edits keeps a revision (no collapse, no count bound).
SET finote.revision_collapse = 0;
SET finote.revisions_keep = 10000;
SELECT count(finote.note_update(:'t', :'id', content => left(text2k(i), 2000))) FROM generate_series(1, 200) i;
SELECT count(*) AS revisions, sum(octet_length(content)) AS text_bytes, sum(pg_column_size(r.*)) AS row_bytes,
       pg_total_relation_size('finote.revisions') AS on_disk_bytes,
       pg_relation_size('finote.revisions') AS heap, pg_indexes_size('finote.revisions') AS indexes
  FROM finote.revisions r;
CHECKPOINT;
-- B: the same 200 edits as autosaves 2 s apart (the web app's pace while
-- typing), each shifting time back by 2 s; the collapse window 60 s.
TRUNCATE finote.revisions;
SET finote.revision_collapse = 60;
CREATE FUNCTION edit_at_pace(tok text, nid uuid, n int, pace interval) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE i int;
BEGIN
  FOR i IN 1 .. n LOOP
    PERFORM finote.note_update(tok, nid, content => left(text2k(i), 2000));
    UPDATE finote.revisions SET created_at = created_at - pace WHERE note_id = nid;
  END LOOP;
  RETURN (SELECT count(*) FROM finote.revisions WHERE note_id = nid);
END $$;
SELECT edit_at_pace(:'t', :'id', 200, '2 seconds') AS revisions_2s_pace;
SELECT sum(pg_column_size(r.*)) AS row_bytes_b FROM finote.revisions r;
TRUNCATE finote.revisions;
SELECT edit_at_pace(:'t', :'id', 200, '10 seconds') AS revisions_10s_pace;
TRUNCATE finote.revisions;
SELECT edit_at_pace(:'t', :'id', 200, '1 hour') AS revisions_spread_out;
SET finote.revisions_keep = 50;
TRUNCATE finote.revisions;
SELECT edit_at_pace(:'t', :'id', 200, '1 hour') AS revisions_keep50;
SELECT sum(pg_column_size(r.*)) AS row_bytes_keep50 FROM finote.revisions r;
SELECT pg_column_size(n.*) AS note_row_bytes FROM finote.notes n;
\c postgres
DROP DATABASE finote_revisions_measure;
