-- 1.3: import. finote.import takes back the document finote.export writes:
-- notes keep their ids and a second import of the same document skips
-- them all; an id another user holds is never touched, and the note gets a
-- new id that is the same every time; future timestamps are clamped to
-- now; a malformed document is refused naming its part, with nothing
-- imported.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('t29ann', 't29ann password') IS NOT NULL AS ann;
SELECT finote.register('t29bob', 't29bob password') IS NOT NULL AS bob;
SELECT finote.login('t29ann', 't29ann password') ->> 'token' AS ann \gset
SELECT finote.login('t29bob', 't29bob password') ->> 'token' AS bob \gset

-- Ann's account: a pinned, tagged note with a revision, a plain note, and
-- one in the trash.
SELECT finote.note_create(:'ann', 'first', 'one') ->> 'id' AS n1 \gset
SELECT finote.note_update(:'ann', :'n1', content => 'one, again', pinned => true,
                          tags => ARRAY['work', 'todo']) IS NOT NULL AS updated;
SELECT finote.note_create(:'ann', 'second', 'two') ->> 'id' AS n2 \gset
SELECT finote.note_create(:'ann', 'gone', 'three') ->> 'id' AS n3 \gset
SELECT finote.note_delete(:'ann', :'n3');
SELECT string_agg(x, '' ORDER BY o) AS doc
  FROM finote.export(:'ann', true) WITH ORDINALITY AS e(x, o) \gset

-- Into Ann's own account: all already there, nothing changes.
SELECT finote.import(:'ann', :'doc');
SELECT count(*) AS ann_notes FROM finote.notes n JOIN finote.users u ON u.id = n.user_id
 WHERE u.username = 't29ann';

-- Into Bob's: every id belongs to Ann, so each note gets a new id; Ann's
-- notes are untouched.
SELECT finote.import(:'bob', :'doc');
SELECT n.title, n.content, n.pinned, n.tags, n.id::text <> ALL (ARRAY[:'n1', :'n2']) AS new_id,
       n.version
  FROM finote.notes n JOIN finote.users u ON u.id = n.user_id
 WHERE u.username = 't29bob' ORDER BY n.title;
SELECT t.title, t.id::text <> :'n3' AS new_id
  FROM finote.trash t JOIN finote.users u ON u.id = t.user_id WHERE u.username = 't29bob';
SELECT count(*) AS bob_revisions FROM finote.revisions r JOIN finote.users u ON u.id = r.user_id
 WHERE u.username = 't29bob';
SELECT n.title, n.content FROM finote.notes n JOIN finote.users u ON u.id = n.user_id
 WHERE u.username = 't29ann' ORDER BY n.title;
-- Twice: the new ids are the same, so all skipped.
SELECT finote.import(:'bob', :'doc');
SELECT count(*) AS bob_notes FROM finote.notes n JOIN finote.users u ON u.id = n.user_id
 WHERE u.username = 't29bob';

-- An id nobody has is kept; future timestamps are clamped to now; an id
-- twice in a document is refused the second time.
SELECT finote.import(:'ann', '{"format":"finote-export","format_version":1,"notes":[
  {"id":"00000000-0000-4000-8000-000000000029","title":"kept","content":"k","pinned":false,
   "tags":["t"],"created_at":"2020-01-02T03:04:05Z","updated_at":"2999-01-01T00:00:00Z","version":3},
  {"id":"00000000-0000-4000-8000-000000000029","title":"twice","content":"k","pinned":false,
   "tags":[],"created_at":"2020-01-02T03:04:05Z","updated_at":"2020-01-02T03:04:05Z","version":1}],
  "trash":[]}');
SELECT n.title, n.version, n.created_at = '2020-01-02T03:04:05Z' AS created_kept,
       n.updated_at <= now() AS updated_clamped
  FROM finote.notes n WHERE n.id = '00000000-0000-4000-8000-000000000029';

-- Malformed parts: refused, naming the part, nothing imported (the second
-- note is valid, the first not, and neither goes in).
SELECT finote.import(:'ann', '[]');
SELECT finote.import(:'ann', '{"format":"finote-export","format_version":1,"notes":{}}');
SELECT finote.import(:'ann', '{"format":"finote-export","format_version":1,"notes":[
  {"id":"00000000-0000-4000-8000-0000000000a1","title":"ok","content":"","pinned":false,
   "tags":[],"created_at":"2020-01-02T03:04:05Z","updated_at":"2020-01-02T03:04:05Z","version":1}],
  "trash":[
  {"id":"00000000-0000-4000-8000-0000000000a2","title":"bad","content":"","pinned":false,
   "tags":[],"created_at":"2020-01-02T03:04:05Z","updated_at":"2020-13-02T03:04:05Z","version":1,
   "deleted_at":"2020-01-02T03:04:05Z"}]}');
SELECT finote.import(:'ann', '{"format":"finote-export","format_version":1,"notes":[
  {"id":"00000000-0000-4000-8000-0000000000a1","title":"ok","content":"","pinned":"yes",
   "tags":[],"created_at":"2020-01-02T03:04:05Z","updated_at":"2020-01-02T03:04:05Z","version":1}]}');
SELECT count(*) AS none_imported FROM finote.notes
 WHERE id IN ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2');
-- Without a session: refused.
SELECT finote.import('nope', '{}');
-- A tag is checked as note_create checks it, the part named.
SELECT finote.import(:'ann', '{"format":"finote-export","format_version":1,"notes":[
  {"id":"00000000-0000-4000-8000-0000000000a1","title":"ok","content":"","pinned":false,
   "tags":["fine"],"created_at":"2020-01-02T03:04:05Z","updated_at":"2020-01-02T03:04:05Z","version":1},
  {"id":"00000000-0000-4000-8000-0000000000a3","title":"ok","content":"","pinned":false,
   "tags":["a,b"],"created_at":"2020-01-02T03:04:05Z","updated_at":"2020-01-02T03:04:05Z","version":1}]}');
SELECT count(*) AS none_imported FROM finote.notes
 WHERE id IN ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a3');
-- Ann's notes gone (her account deleted), Bob's copies keep their new ids:
-- the document again is still all skipped for Bob, not imported under the
-- ids that are free now.
SELECT finote.account_delete(:'ann', 't29ann password');
SELECT finote.import(:'bob', :'doc');
-- A document in parts (the shim's spooled body): the parts of one
-- transaction, read back whole once; gone with a rollback; an autocommit
-- call keeps nothing for the next.
SELECT finote.register('t29cy', 't29cy password') IS NOT NULL AS cy;
SELECT finote.login('t29cy', 't29cy password') ->> 'token' AS cy \gset
BEGIN;
SELECT finote.import_part(substr(:'doc', 1, 100));
SELECT finote.import_part(substr(:'doc', 101));
SELECT finote.import(:'cy', finote.body_json(finote.import_parts())) ->> 'imported' AS imported;
SELECT finote.import_parts() IS NULL AS read_once;
COMMIT;
BEGIN;
SELECT finote.import_part('{"format":');
ROLLBACK;
SELECT finote.import_parts() IS NULL AS gone_with_rollback;
SELECT finote.import_part('{"format":');
SELECT finote.import_parts() IS NULL AS autocommit_keeps_nothing;
SELECT finote.import(:'cy', finote.body_json(finote.import_parts()));
SELECT has_function_privilege('public', 'finote.import_part(text)', 'EXECUTE') AS public_may_part;
-- Whether another user holds an id is asked of an index on id (the
-- primary keys lead with user_id).
SELECT indexname, indexdef FROM pg_indexes
 WHERE schemaname = 'finote' AND indexname IN ('notes_id_idx', 'trash_id_idx') ORDER BY 1;
-- A field that is missing is malformed too (named), not NULL in a column.
SELECT finote.import(:'cy', '{"format":"finote-export","format_version":1,"notes":[],"trash":[
  {"id":"00000000-0000-4000-8000-0000000000b1","title":"t","content":"","pinned":false,
   "tags":[],"created_at":"2020-01-02T03:04:05Z","updated_at":"2020-01-02T03:04:05Z",
   "deleted_at":"2020-01-02T03:04:05Z"}]}');
SELECT finote.import(:'cy', '{"format":"finote-export","format_version":1,"notes":[
  {"id":"00000000-0000-4000-8000-0000000000b1","content":"","pinned":false,
   "tags":[],"created_at":"2020-01-02T03:04:05Z","updated_at":"2020-01-02T03:04:05Z","version":1}]}');
SELECT finote.import(:'cy', '{"format":"finote-export","format_version":1,"notes":[
  {"id":"00000000-0000-4000-8000-0000000000b1","title":"t","content":"","pinned":false,
   "tags":[],"updated_at":"2020-01-02T03:04:05Z","version":1}]}');
