-- 1.2.1: the collapse of autosaves (finote.revision_collapse) applies only
-- within one writer's burst. A writer is a session: two devices of one user
-- are two writers, and a save by one within the window of the other's keeps
-- the text it replaces as a revision, so no text is lost whichever side of
-- an edit conflict wins.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('t23eve', 't23eve password') IS NOT NULL AS eve;
SELECT finote.login('t23eve', 't23eve password') ->> 'token' AS a \gset
SELECT finote.login('t23eve', 't23eve password') ->> 'token' AS b \gset
SET finote.revision_collapse = '1min';

-- Device A saves (v1 -> v2, a revision of v1); within the minute device B,
-- after its 412, keeps its own text on v2 (v2 -> v3): A's text is a revision.
SELECT finote.note_create(:'a', 'shared', 'the original text') ->> 'id' AS id \gset
SELECT finote.note_update(:'a', :'id', content => 'A''s text', if_version => 1) -> 'version' AS a_saved;
SELECT try(format('SELECT finote.note_update(%L, %L, content => %L, if_version => 1)',
                  :'b', :'id', 'B''s text')) AS b_conflict;
SELECT finote.note_update(:'b', :'id', content => 'B''s text', if_version => 2) -> 'version' AS b_kept_mine;
SELECT r ->> 'version' AS version, (finote.note_revision(:'a', :'id', (r ->> 'id')::uuid)) ->> 'content' AS content
  FROM jsonb_array_elements(finote.note_revisions(:'a', :'id') -> 'revisions') r;

-- B's own burst goes on collapsing onto the revision B wrote.
SELECT finote.note_update(:'b', :'id', content => 'B''s text, more', if_version => 3) -> 'version' AS b_autosave;
SELECT finote.note_update(:'b', :'id', content => 'B''s text, more and more') -> 'version' AS b_autosave;
SELECT jsonb_path_query_array(finote.note_revisions(:'a', :'id'), '$.revisions[*].version') AS versions;
-- A writes again: the text of B's burst is kept.
SELECT finote.note_update(:'a', :'id', content => 'A again') -> 'version' AS a_again;
SELECT r ->> 'version' AS version, (finote.note_revision(:'a', :'id', (r ->> 'id')::uuid)) ->> 'content' AS content
  FROM jsonb_array_elements(finote.note_revisions(:'a', :'id') -> 'revisions') r;

-- One session's burst still collapses: three saves, one revision, the text
-- from before the burst.
SELECT finote.note_create(:'a', 'burst', 'before the burst') ->> 'id' AS burst \gset
SELECT finote.note_update(:'a', :'burst', content => 'typing 1') -> 'version' AS v2;
SELECT finote.note_update(:'a', :'burst', content => 'typing 12') -> 'version' AS v3;
SELECT finote.note_update(:'a', :'burst', content => 'typing 123') -> 'version' AS v4;
SELECT r ->> 'version' AS version, (finote.note_revision(:'a', :'burst', (r ->> 'id')::uuid)) ->> 'content' AS content
  FROM jsonb_array_elements(finote.note_revisions(:'a', :'burst') -> 'revisions') r;

-- A restore keeps the text it replaces and records no writer: the next
-- save, even by the same session within the window, keeps the restored
-- text too (a revision without a writer is never collapsed onto).
SELECT finote.note_revisions(:'a', :'burst') -> 'revisions' -> 0 ->> 'id' AS first \gset
SELECT finote.note_restore(:'a', :'burst', :'first') -> 'version' AS restored;
SELECT finote.note_update(:'a', :'burst', content => 'after the restore') -> 'version' AS v6;
SELECT jsonb_path_query_array(finote.note_revisions(:'a', :'burst'), '$.revisions[*].version') AS versions;

-- The writer is a 16-byte digest, one per session, equal to no token hash,
-- and no API result carries it.
SELECT count(DISTINCT r.written_by) AS writers, min(octet_length(r.written_by)) AS bytes,
       count(*) FILTER (WHERE r.written_by IS NULL) AS without_writer,
       bool_or(r.written_by IN (SELECT s.token_hash FROM finote.sessions s)) AS is_a_token_hash
  FROM finote.revisions r JOIN finote.users u ON u.id = r.user_id WHERE u.username = 't23eve';
SELECT finote.note_revision(:'a', :'id', (finote.note_revisions(:'a', :'id') -> 'revisions' -> 0 ->> 'id')::uuid)
       ? 'written_by' AS revision_shows_writer,
       finote.note_revisions(:'a', :'id') -> 'revisions' -> 0 ? 'written_by' AS list_shows_writer;

-- A third session (a new login on device A) is a writer of its own.
SELECT finote.login('t23eve', 't23eve password') ->> 'token' AS a2 \gset
SELECT finote.note_update(:'a2', :'burst', content => 'from a new login') -> 'version' AS v7;
SELECT jsonb_path_query_array(finote.note_revisions(:'a', :'burst'), '$.revisions[*].version') AS versions;
