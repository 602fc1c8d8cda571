-- 1.2: trash. Delete moves a note to finote.trash, out of get, list,
-- search and tags; from there it is listed, restored (version + 1) or
-- deleted for good with its revisions; finote.trash_retention expires it,
-- by finote.purge and by the bounded sweep of every note write.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('t19eve', 't19eve password') IS NOT NULL AS eve;
SELECT finote.register('t19fay', 't19fay password') IS NOT NULL AS fay;
SELECT finote.login('t19eve', 't19eve password') ->> 'token' AS eve \gset
SELECT finote.login('t19fay', 't19fay password') ->> 'token' AS fay \gset

SET finote.revision_collapse = 0;
SELECT finote.note_create(:'eve', 'binned', 'findable words', true, '{gone}') ->> 'id' AS id \gset
SELECT finote.note_update(:'eve', :'id', content => 'findable words again') -> 'version' AS v2;
SELECT finote.note_create(:'eve', 'kept', 'other words', tags => '{kept}') ->> 'id' AS kept \gset

SELECT finote.note_delete(:'eve', :'id');
-- Out of everything the API shows of the notes.
SELECT try(format('SELECT finote.note_get(%L, %L)', :'eve', :'id')) AS get;
SELECT jsonb_path_query_array(finote.note_list(:'eve'), '$.notes[*].title') AS listed;
SELECT jsonb_array_length(finote.note_list(:'eve', 'findable') -> 'notes') AS searched;
SELECT jsonb_array_length(finote.note_list(:'eve', NULL, 20, NULL, 'gone') -> 'notes') AS tagged;
SELECT finote.note_tags(:'eve') AS tags;

-- In the trash: the note as it was, its version, and when it was deleted.
SELECT finote.trash_list(:'eve') AS t \gset
SELECT n ->> 'title' AS title, n ->> 'content' AS content, n -> 'pinned' AS pinned,
       n -> 'tags' AS tags, n -> 'version' AS version, n ? 'deleted_at' AS has_deleted_at,
       n ?& '{id,created_at,updated_at}' AS note_keys
  FROM jsonb_array_elements((:'t'::jsonb) -> 'notes') n;
SELECT (:'t'::jsonb) -> 'next_cursor' AS no_more;
SELECT finote.trash_list(:'fay') AS other_user_trash;
-- Its history is still there.
SELECT jsonb_array_length(finote.note_revisions(:'eve', :'id') -> 'revisions') AS revisions_in_trash;

-- Restore: back in the list, version + 1.
SELECT n ->> 'title' AS title, n -> 'version' AS version
  FROM finote.trash_restore(:'eve', :'id') n;
SELECT jsonb_path_query_array(finote.note_list(:'eve'), '$.notes[*].title') AS listed_again;
SELECT finote.trash_list(:'eve') -> 'notes' AS trash_empty;
SELECT try(format('SELECT finote.trash_restore(%L, %L)', :'eve', :'id')) AS twice;
SELECT try(format('SELECT finote.trash_restore(%L, %L)', :'eve', gen_random_uuid()));

-- Another user can neither restore nor delete it for good.
SELECT finote.note_delete(:'eve', :'id');
SELECT try(format('SELECT finote.trash_restore(%L, %L)', :'fay', :'id')) AS other_restore;
SELECT try(format('SELECT finote.trash_delete(%L, %L)', :'fay', :'id')) AS other_delete;
SELECT try(format('SELECT finote.trash_delete(NULL, %L)', :'id')) AS no_session;

-- Delete for good: the note and its revisions.
SELECT finote.trash_delete(:'eve', :'id');
SELECT count(*) AS trash_rows FROM finote.trash WHERE id = :'id';
SELECT count(*) AS revision_rows FROM finote.revisions WHERE note_id = :'id';
SELECT try(format('SELECT finote.trash_delete(%L, %L)', :'eve', :'id')) AS twice;
SELECT try(format('SELECT finote.note_revisions(%L, %L)', :'eve', :'id')) AS history_gone;

-- Pages, newest deletion first, neither skipping nor repeating.
SELECT count(finote.note_delete(:'eve', (finote.note_create(:'eve', 'n' || i, '') ->> 'id')::uuid))
  FROM generate_series(1, 7) i;
CREATE TEMP TABLE pages AS
WITH RECURSIVE page(n, body) AS (
  SELECT 1, finote.trash_list(:'eve', 3)
  UNION ALL
  SELECT n + 1, finote.trash_list(:'eve', 3, body ->> 'next_cursor')
    FROM page WHERE body ->> 'next_cursor' IS NOT NULL
)
SELECT n, body FROM page;
SELECT n, jsonb_path_query_array(body, '$.notes[*].title') AS titles FROM pages ORDER BY n;
SELECT try(format('SELECT finote.trash_list(%L, 3, %L)', :'eve', 'nonsense'));
SELECT try(format('SELECT finote.trash_list(%L, 0)', :'eve'));
SELECT try(format('SELECT finote.trash_list(%L, 101)', :'eve'));
-- A page stops at about 512 kB of note text: notes of 100,000
-- characters come 5 to a page (the fifth crossing the bound).
SELECT count(finote.note_delete(:'fay', (finote.note_create(:'fay', 'big', repeat('b', 100000)) ->> 'id')::uuid))
  FROM generate_series(1, 12) i;
SELECT jsonb_array_length(finote.trash_list(:'fay', 100) -> 'notes') AS big_page,
       finote.trash_list(:'fay', 100) ->> 'next_cursor' IS NOT NULL AS more;

-- Retention: finote.purge removes notes deleted longer ago than
-- finote.trash_retention (30 days), and their revisions; nothing younger.
SELECT finote.note_create(:'eve', 'old', 'x') ->> 'id' AS old \gset
SELECT finote.note_update(:'eve', :'old', content => 'y') -> 'version' AS old_v2;
SELECT finote.note_delete(:'eve', :'old');
UPDATE finote.trash SET deleted_at = now() - interval '31 days' WHERE id = :'old';
SELECT finote.purge() AS purged;
SELECT count(*) AS old_trash, (SELECT count(*) FROM finote.revisions WHERE note_id = :'old') AS old_revisions
  FROM finote.trash WHERE id = :'old';
SELECT count(*) AS young_trash FROM finote.trash t JOIN finote.users u ON u.id = t.user_id
 WHERE u.username = 't19eve';
SELECT finote.purge() AS nothing_left;

-- The sweep: each note write purges at most 10 expired rows, of any user.
UPDATE finote.trash t SET deleted_at = now() - interval '31 days'
  FROM finote.users u WHERE u.id = t.user_id AND u.username = 't19fay';
SELECT finote.note_update(:'eve', :'kept', 'kept 2') -> 'version' AS a_write;
SELECT count(*) AS left_after_sweep FROM finote.trash t JOIN finote.users u ON u.id = t.user_id
 WHERE u.username = 't19fay';
SELECT finote.note_update(:'eve', :'kept', 'kept 3') -> 'version' AS another_write;
SELECT count(*) AS left_after_two FROM finote.trash t JOIN finote.users u ON u.id = t.user_id
 WHERE u.username = 't19fay';

-- purge is the DBA's: finote_api may not call it.
SELECT has_function_privilege('finote_api', 'finote.purge(int)', 'EXECUTE') AS api_may_purge;
RESET finote.revision_collapse;
