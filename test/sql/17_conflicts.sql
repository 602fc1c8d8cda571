-- 1.2: edit conflicts. A note's version goes up by one on every real
-- change; note_update and note_delete with if_version refuse a stale one
-- with SQLSTATE PT412 and change nothing.
\i test/sql/include/setup.sql
\set VERBOSITY terse

-- try() with the error's detail: the versions, never the note's text.
CREATE FUNCTION try_detail(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ': ' || SQLERRM || ' / ' || coalesce(detail, '');
END
$$;

SELECT finote.register('t17ann', 't17ann password') IS NOT NULL AS ann;
SELECT finote.register('t17ben', 't17ben password') IS NOT NULL AS ben;
SELECT finote.login('t17ann', 't17ann password') ->> 'token' AS ann \gset
SELECT finote.login('t17ben', 't17ben password') ->> 'token' AS ben \gset

-- A new note is version 1, a JSON number.
SELECT finote.note_create(:'ann', 'secret title', 'secret text') AS n \gset
SELECT (:'n'::jsonb) -> 'version' AS created_version,
       jsonb_typeof((:'n'::jsonb) -> 'version') AS version_type;
SELECT (:'n'::jsonb) ->> 'id' AS id \gset

-- Each real change: version + 1; title, content, tags and pinned alike.
SELECT finote.note_update(:'ann', :'id', 'secret title 2') -> 'version' AS after_title;
SELECT finote.note_update(:'ann', :'id', content => 'secret text 2') -> 'version' AS after_content;
SELECT finote.note_update(:'ann', :'id', tags => '{a}') -> 'version' AS after_tags;
SELECT finote.note_update(:'ann', :'id', pinned => true) -> 'version' AS after_pinned;

-- A no-op save changes nothing: same version, same updated_at.
SELECT finote.note_get(:'ann', :'id') AS before \gset
SELECT finote.note_update(:'ann', :'id', 'secret title 2', 'secret text 2', true, '{A}')
       = :'before'::jsonb AS noop_unchanged;
SELECT finote.note_update(:'ann', :'id') = :'before'::jsonb AS empty_unchanged;

-- The matching version: the update applies.
SELECT n -> 'version' AS matched, n ->> 'title' AS title
  FROM finote.note_update(:'ann', :'id', 'secret title 3', if_version => 5) n;

-- A stale version: PT412 naming both versions, and nothing changes, no
-- revision is written.
SELECT finote.note_get(:'ann', :'id') AS before \gset
SELECT count(*) AS revisions_before FROM finote.revisions WHERE note_id = :'id' \gset
SELECT try_detail(format('SELECT finote.note_update(%L, %L, %L, %L, false, %L, 5)',
                         :'ann', :'id', 'lost title', 'lost text', '{b}')) AS stale_update;
SELECT finote.note_get(:'ann', :'id') = :'before'::jsonb AS update_changed_nothing;
SELECT count(*) = :revisions_before AS no_revision_written
  FROM finote.revisions WHERE note_id = :'id';
-- The message and detail hold no text of the note nor of the attempt.
SELECT try_detail(format('SELECT finote.note_update(%L, %L, %L, if_version => 1)',
                         :'ann', :'id', 'lost title')) !~ 'secret|lost' AS no_text_in_error;
-- Versions the note never had, either way.
SELECT try(format('SELECT finote.note_update(%L, %L, %L, if_version => 7)', :'ann', :'id', 'x'));
SELECT try(format('SELECT finote.note_update(%L, %L, %L, if_version => -1)', :'ann', :'id', 'x'));
-- A note that is not there (or another user's) is P0002, not PT412.
SELECT try(format('SELECT finote.note_update(%L, %L, %L, if_version => 1)', :'ann', gen_random_uuid(), 'x'));
SELECT try(format('SELECT finote.note_update(%L, %L, %L, if_version => 6)', :'ben', :'id', 'x'));
-- Input rules come first: a bad title fails as before, whatever the version.
SELECT try(format('SELECT finote.note_update(%L, %L, %L, if_version => 1)', :'ann', :'id', repeat('a', 201)));

-- A 1.1-style call (six positional arguments) works as in 1.1.
SELECT finote.note_update(:'ann', :'id', 'secret title 4', NULL, NULL, NULL) -> 'version' AS old_style;

-- Delete with a stale version: PT412, the note stays in the list.
SELECT try_detail(format('SELECT finote.note_delete(%L, %L, 6)', :'ann', :'id')) AS stale_delete;
SELECT finote.note_get(:'ann', :'id') ->> 'title' AS still_there;
SELECT count(*) AS in_trash FROM finote.trash WHERE id = :'id';
-- With the right version it goes, to the trash, keeping its version.
SELECT finote.note_delete(:'ann', :'id', 7);
SELECT try(format('SELECT finote.note_get(%L, %L)', :'ann', :'id')) AS gone;
SELECT version AS trashed_version FROM finote.trash WHERE id = :'id';
-- In the trash it is not there for update or delete, with or without a version.
SELECT try(format('SELECT finote.note_update(%L, %L, %L, if_version => 7)', :'ann', :'id', 'x'));
SELECT try(format('SELECT finote.note_delete(%L, %L, 7)', :'ann', :'id'));
SELECT try(format('SELECT finote.note_delete(%L, %L)', :'ann', :'id'));

-- Two writers: the first to commit wins, the second, holding the same
-- version, is refused instead of overwriting.
SELECT finote.note_create(:'ann', 'shared', 'v1') ->> 'id' AS sid \gset
SELECT (finote.note_update(:'ann', :'sid', content => 'laptop text', if_version => 1)) -> 'version' AS laptop;
SELECT try(format('SELECT finote.note_update(%L, %L, content => %L, if_version => 1)', :'ann', :'sid', 'phone text')) AS phone;
SELECT finote.note_get(:'ann', :'sid') ->> 'content' AS kept;

DROP FUNCTION try_detail(text);
