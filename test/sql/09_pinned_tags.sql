-- 1.1: pinned notes and tags.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('kim', 'kim password') IS NOT NULL AS kim;
SELECT finote.register('lee', 'lee password') IS NOT NULL AS lee;
SELECT finote.login('kim', 'kim password') ->> 'token' AS kim \gset
SELECT finote.login('lee', 'lee password') ->> 'token' AS lee \gset

-- A 1.0-style call still works and gets the defaults.
SELECT n ->> 'title' AS title, n -> 'pinned' AS pinned, n -> 'tags' AS tags
  FROM finote.note_create(:'kim', 'plain', 'old style') n;

-- Tags are lower-cased, unique per note and sorted.
SELECT n ->> 'title' AS title, n -> 'pinned' AS pinned, n -> 'tags' AS tags
  FROM finote.note_create(:'kim', 'tagged', 'x', false, '{Work,urgent,WORK,Ärger}') n;
SELECT n -> 'tags' AS tags
  FROM finote.note_create(:'kim', 'pinned one', 'y', pinned => true, tags => '{home}') n;
SELECT n -> 'tags' AS no_tags FROM finote.note_create(:'kim', 'empty tags', 'z', tags => '{}') n;

-- Tag rules: at most 20, each 1 to 32 characters, no commas or controls.
SELECT jsonb_array_length(finote.note_create(:'kim', 'twenty', '', tags =>
         (SELECT array_agg('t' || i) FROM generate_series(1, 20) i)) -> 'tags') AS twenty;
SELECT try(format('SELECT finote.note_create(%L, %L, %L, tags => %L)', :'kim', 't', '',
           (SELECT array_agg('t' || i) FROM generate_series(1, 21) i)));
SELECT try(format('SELECT finote.note_create(%L, %L, %L, tags => %L) -> %L', :'kim', 'long tag', '', ARRAY[repeat('é', 32)], 'tags'));
SELECT try(format('SELECT finote.note_create(%L, %L, %L, tags => %L)', :'kim', 't', '', ARRAY[repeat('a', 33)]));
SELECT try(format('SELECT finote.note_create(%L, %L, %L, tags => %L)', :'kim', 't', '', ARRAY['a,b']));
SELECT try(format('SELECT finote.note_create(%L, %L, %L, tags => %L)', :'kim', 't', '', ARRAY[E'tab\there']));
SELECT try(format('SELECT finote.note_create(%L, %L, %L, tags => %L)', :'kim', 't', '', ARRAY[U&'c1\0085']));
SELECT try(format('SELECT finote.note_create(%L, %L, %L, tags => %L)', :'kim', 't', '', ARRAY['']));
SELECT try(format('SELECT finote.note_create(%L, %L, %L, tags => %L::text[])', :'kim', 't', '', '{ok,NULL}'));
SELECT try(format('SELECT finote.note_create(%L, %L, %L, tags => %L::text[])', :'kim', 't', '', '{{a},{b}}'));
SELECT count(*) AS nothing_written FROM finote.notes n JOIN finote.users u ON u.id = n.user_id
 WHERE u.username = 'kim' AND n.title = 't';

-- Pinned first, then newest updated_at; paging keeps that order across the
-- boundary between pinned and unpinned notes.
SELECT finote.note_create(:'kim', 'second pinned', '', pinned => true) IS NOT NULL;
CREATE FUNCTION list_titles(tok text, q text DEFAULT NULL, tag text DEFAULT NULL)
RETURNS text[] LANGUAGE sql AS $$
  SELECT coalesce(array_agg(n ->> 'title' ORDER BY ord), '{}')
    FROM jsonb_array_elements(finote.note_list(tok, q, 100, NULL, tag) -> 'notes')
         WITH ORDINALITY e(n, ord)
$$;
SELECT list_titles(:'kim') AS all_notes;
WITH RECURSIVE page(n, body) AS (
  SELECT 1, finote.note_list(:'kim', NULL, 2)
  UNION ALL
  SELECT n + 1, finote.note_list(:'kim', NULL, 2, body ->> 'next_cursor')
    FROM page WHERE body ->> 'next_cursor' IS NOT NULL
)
SELECT array_agg(e ->> 'title' ORDER BY n, ord) = list_titles(:'kim') AS paged_same_order
  FROM page, jsonb_array_elements(body -> 'notes') WITH ORDINALITY x(e, ord);

-- Filter by tag, case-insensitively, with or without a search.
SELECT list_titles(:'kim', NULL, 'WORK') AS tag_work;
SELECT list_titles(:'kim', NULL, 'home') AS tag_home;
SELECT list_titles(:'kim', NULL, 'nope') AS tag_none;
SELECT list_titles(:'kim', 'x', 'work') AS tag_and_search,
       list_titles(:'kim', 'y', 'work') AS tag_and_other_search;
SELECT list_titles(:'lee', NULL, 'work') AS other_user;

-- Update: pinning is not an edit (updated_at stays); tags are.
SELECT finote.note_list(:'kim', 'plain', 1) -> 'notes' -> 0 AS plain \gset
SELECT n -> 'pinned' AS pinned, n ->> 'updated_at' = (:'plain'::jsonb) ->> 'updated_at' AS updated_at_kept
  FROM finote.note_update(:'kim', ((:'plain'::jsonb) ->> 'id')::uuid, pinned => true) n;
SELECT list_titles(:'kim') AS after_pinning;
SELECT n -> 'tags' AS tags, n ->> 'updated_at' > (:'plain'::jsonb) ->> 'updated_at' AS updated_at_moved
  FROM finote.note_update(:'kim', ((:'plain'::jsonb) ->> 'id')::uuid, tags => '{Later}') n;
SELECT n -> 'tags' AS same_tags_kept, n -> 'pinned' AS still_pinned
  FROM finote.note_update(:'kim', ((:'plain'::jsonb) ->> 'id')::uuid, title => 'plain, retitled') n;
SELECT n -> 'tags' AS tags_cleared
  FROM finote.note_update(:'kim', ((:'plain'::jsonb) ->> 'id')::uuid, tags => '{}') n;
SELECT try(format('SELECT finote.note_update(%L, %L, tags => %L)', :'kim',
           (:'plain'::jsonb) ->> 'id', ARRAY['a,b']));
SELECT try(format('SELECT finote.note_update(%L, %L, pinned => true)', :'lee',
           (:'plain'::jsonb) ->> 'id'));

-- The user's tags with counts, sorted by tag; another user's are not seen.
SELECT t ->> 'tag' AS tag, (t ->> 'count')::int AS count
  FROM jsonb_array_elements(finote.note_tags(:'kim') -> 'tags') t
 WHERE t ->> 'tag' !~ '^t[0-9]+$';
SELECT finote.note_tags(:'lee') AS lee_tags;
SELECT try($$SELECT finote.note_tags('bad token')$$);
