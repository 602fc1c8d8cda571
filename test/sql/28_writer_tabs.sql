-- 1.3: a writer per tab. Two tabs of one browser share a session; each
-- names itself (note_update's writer), and the collapse of autosaves
-- (finote.revision_collapse) applies only within one writer of one
-- session, so a save from the other tab within the window keeps the text
-- it replaces. Without a writer, 1.2.1's rule (the session) stays.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('t28tab', 't28tab password') IS NOT NULL AS tab;
SELECT finote.login('t28tab', 't28tab password') ->> 'token' AS s \gset
SELECT finote.login('t28tab', 't28tab password') ->> 'token' AS other \gset
SET finote.revision_collapse = '1min';
CREATE FUNCTION history(tok text, id uuid) RETURNS TABLE (version text, content text) LANGUAGE sql AS $$
  SELECT r ->> 'version', finote.note_revision(tok, id, (r ->> 'id')::uuid) ->> 'content'
    FROM jsonb_array_elements(finote.note_revisions(tok, id) -> 'revisions') r
$$;

-- Tab A saves, then within the minute tab B, same session, keeps its own
-- text: A's text stays in the history.
SELECT finote.note_create(:'s', 'shared', 'the original') ->> 'id' AS id \gset
SELECT finote.note_update(:'s', :'id', content => 'A''s text', writer => 'tab-a') -> 'version' AS a_saved;
SELECT finote.note_update(:'s', :'id', content => 'B''s text', writer => 'tab-b') -> 'version' AS b_saved;
SELECT * FROM history(:'s', :'id');
-- Tab B's own burst still collapses.
SELECT finote.note_update(:'s', :'id', content => 'B''s text, more', writer => 'tab-b') -> 'version' AS b_more;
SELECT finote.note_update(:'s', :'id', content => 'B''s text, more and more', writer => 'tab-b') -> 'version' AS b_more;
SELECT * FROM history(:'s', :'id');
-- The same writer name in another session is another writer.
SELECT finote.note_update(:'other', :'id', content => 'other session', writer => 'tab-b') -> 'version' AS other_session;
SELECT count(*) AS revisions FROM history(:'s', :'id');

-- Without a writer: 1.2.1's rule, the session's burst collapses.
SELECT finote.note_create(:'s', 'plain', 'before') ->> 'id' AS plain \gset
SELECT finote.note_update(:'s', :'plain', content => 'typing 1') -> 'version' AS v2;
SELECT finote.note_update(:'s', :'plain', content => 'typing 12') -> 'version' AS v3;
SELECT finote.note_update(:'s', :'plain', 'plain', 'typing 123', NULL, NULL, NULL) -> 'version' AS v4_positional;
SELECT * FROM history(:'s', :'plain');
-- and a save naming a writer after saves naming none is another writer
SELECT finote.note_update(:'s', :'plain', content => 'from a tab', writer => 'tab-a') -> 'version' AS v5;
SELECT * FROM history(:'s', :'plain');

-- Malformed writers: 22023, nothing changed.
SELECT try(format('SELECT finote.note_update(%L, %L, content => %L, writer => %L)', :'s', :'plain', 'never', w)) AS malformed
  FROM unnest(ARRAY['', 'has space', repeat('w', 65), 'tab/1', 'é']) AS w;
SELECT finote.note_update(:'s', :'plain', content => 'longest', writer => repeat('w', 64)) -> 'version' AS longest_ok;
SELECT finote.note_get(:'s', :'plain') ->> 'content' AS content;
SELECT has_function_privilege('finote_api', 'finote.note_update(text, uuid, text, text, boolean, text[], bigint, text)', 'EXECUTE') AS granted;
DROP FUNCTION history(text, uuid);
