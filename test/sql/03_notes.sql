-- Notes: create, get, list (paging, search), update, delete, limits and
-- isolation between users.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('alice', 'alice password') IS NOT NULL AS alice;
SELECT finote.register('bob', 'bob password') IS NOT NULL AS bob;
SELECT finote.login('alice', 'alice password') ->> 'token' AS alice \gset
SELECT finote.login('bob', 'bob password') ->> 'token' AS bob \gset

-- create: the note JSON has the contract's keys.
SELECT finote.note_create(:'alice', 'Groceries', 'milk, eggs') AS n1 \gset
SELECT (:'n1'::jsonb) ?& '{id,title,content,created_at,updated_at}' AS note_keys,
       (:'n1'::jsonb) ->> 'title' AS title, (:'n1'::jsonb) ->> 'content' AS content,
       (:'n1'::jsonb) ->> 'created_at' = (:'n1'::jsonb) ->> 'updated_at' AS same_times;
SELECT (:'n1'::jsonb) ->> 'id' AS id1 \gset

-- Missing title or content is empty; the limits are characters, not bytes.
SELECT n ->> 'title' AS empty_title, n ->> 'content' AS empty_content
  FROM finote.note_create(:'alice', NULL, NULL) n;
SELECT length(finote.note_create(:'alice', repeat('é', 200), repeat('ü', 100000)) ->> 'content') AS max_sizes;
SELECT try(format('SELECT finote.note_create(%L, %L, %L)', :'alice', repeat('a', 201), ''));
SELECT try(format('SELECT finote.note_create(%L, %L, %L)', :'alice', '', repeat('a', 100001)));
SELECT try($$SELECT finote.note_create('bad token', 'x', 'y')$$);
SELECT try($$SELECT finote.note_create(NULL, 'x', 'y')$$);

-- get
SELECT finote.note_get(:'alice', :'id1') = :'n1'::jsonb AS get_returns_created;
SELECT try(format('SELECT finote.note_get(%L, %L)', :'alice', gen_random_uuid()));
SELECT try(format('SELECT finote.note_get(%L, NULL)', :'alice'));
SELECT try(format('SELECT finote.note_get(%L, %L)', :'alice', 'not-a-uuid'));

-- Another user's note behaves exactly like a missing one.
SELECT try(format('SELECT finote.note_get(%L, %L)', :'bob', :'id1'));
SELECT try(format('SELECT finote.note_update(%L, %L, %L)', :'bob', :'id1', 'mine now'));
SELECT try(format('SELECT finote.note_delete(%L, %L)', :'bob', :'id1'));
SELECT finote.note_list(:'bob') AS bob_list;
SELECT finote.note_get(:'alice', :'id1') ->> 'title' AS untouched;

-- update: NULL leaves a field; updated_at moves only on a real change.
SELECT pg_sleep(0.01);
SELECT finote.note_update(:'alice', :'id1') = :'n1'::jsonb AS noop_unchanged;
SELECT finote.note_update(:'alice', :'id1', content => 'milk, eggs, bread') AS u1 \gset
SELECT (:'u1'::jsonb) ->> 'title' AS title_kept, (:'u1'::jsonb) ->> 'content' AS content,
       (:'u1'::jsonb) ->> 'created_at' = (:'n1'::jsonb) ->> 'created_at' AS created_kept,
       ((:'u1'::jsonb) ->> 'updated_at')::timestamptz > ((:'n1'::jsonb) ->> 'updated_at')::timestamptz AS updated_moved;
SELECT finote.note_update(:'alice', :'id1', 'Shopping') ->> 'title' AS retitled;
SELECT n ->> 'title' AS emptied_title, n ->> 'content' AS emptied_content
  FROM finote.note_update(:'alice', :'id1', '', '') n;
SELECT try(format('SELECT finote.note_update(%L, %L, %L)', :'alice', :'id1', repeat('a', 201)));
SELECT try(format('SELECT finote.note_update(%L, %L, NULL, %L)', :'alice', :'id1', repeat('a', 100001)));
SELECT try(format('SELECT finote.note_update(%L, %L, %L)', :'alice', gen_random_uuid(), 'x'));

-- delete
SELECT finote.note_delete(:'alice', :'id1');
SELECT try(format('SELECT finote.note_get(%L, %L)', :'alice', :'id1'));
SELECT try(format('SELECT finote.note_delete(%L, %L)', :'alice', :'id1'));

-- list: newest updated_at first, keyset pages that neither skip nor repeat.
SELECT finote.register('carol', 'carol password') IS NOT NULL AS carol;
SELECT finote.login('carol', 'carol password') ->> 'token' AS carol \gset
SELECT count(finote.note_create(:'carol', 'note ' || i, 'body ' || i))
  FROM generate_series(1, 45) i;
SELECT jsonb_array_length(finote.note_list(:'carol') -> 'notes') AS default_page;

CREATE TEMP TABLE pages AS
WITH RECURSIVE page(n, body) AS (
  SELECT 1, finote.note_list(:'carol', NULL, 10)
  UNION ALL
  SELECT n + 1, finote.note_list(:'carol', NULL, 10, body ->> 'next_cursor')
    FROM page WHERE body ->> 'next_cursor' IS NOT NULL
)
SELECT n, body FROM page;
SELECT n, jsonb_array_length(body -> 'notes') AS notes, body ->> 'next_cursor' IS NOT NULL AS more
  FROM pages ORDER BY n;
WITH listed AS (
  SELECT p.n, e.ord, e.note
    FROM pages p, jsonb_array_elements(p.body -> 'notes') WITH ORDINALITY e(note, ord)
)
SELECT count(*) AS listed, count(DISTINCT note ->> 'id') AS distinct_ids,
       bool_and(note ->> 'title' = 'note ' || (46 - row_number)) AS newest_first
  FROM (SELECT note, row_number() OVER (ORDER BY n, ord) FROM listed) s;

-- An edit moves a note to the front.
SELECT finote.note_list(:'carol', NULL, 45) -> 'notes' -> 44 ->> 'id' AS oldest \gset
SELECT finote.note_update(:'carol', :'oldest', 'edited') IS NOT NULL AS edited;
SELECT finote.note_list(:'carol', NULL, 1) -> 'notes' -> 0 ->> 'title' AS first_after_edit;

-- lim and cursor are checked.
SELECT jsonb_array_length(finote.note_list(:'carol', NULL, 100) -> 'notes') AS lim_100;
SELECT try(format('SELECT finote.note_list(%L, NULL, 0)', :'carol'));
SELECT try(format('SELECT finote.note_list(%L, NULL, 101)', :'carol'));
SELECT try(format('SELECT finote.note_list(%L, NULL, 10, %L)', :'carol', 'garbage'));
SELECT try(format('SELECT finote.note_list(%L, NULL, 10, %L)', :'carol', 'AQADA9Bx3zTPAtktkJtvSSGOHFu1wgud'));
SELECT jsonb_array_length(finote.note_list(:'carol', NULL, 10, '') -> 'notes') AS empty_cursor_is_first_page;
SELECT try($$SELECT finote.note_list('bad token')$$);

-- Search: every word, case-insensitive, in title or content; % and _ are
-- plain characters.
SELECT finote.note_create(:'alice', 'Meeting notes', 'Discuss the BUDGET with Bob') IS NOT NULL;
SELECT finote.note_create(:'alice', 'Budget 2027', 'grow 100% next year') IS NOT NULL;
SELECT finote.note_create(:'alice', 'snake_case', 'file_name.txt') IS NOT NULL;
SELECT finote.note_create(:'alice', 'plain', 'nothing 100 here, fileXname') IS NOT NULL;
CREATE FUNCTION titles(tok text, q text) RETURNS text[] LANGUAGE sql AS $$
  SELECT coalesce(array_agg(n ->> 'title' ORDER BY n ->> 'title'), '{}')
    FROM jsonb_array_elements(finote.note_list(tok, q, 100) -> 'notes') n
$$;
SELECT titles(:'alice', 'budget') AS budget;
SELECT titles(:'alice', '  BUDGET   bob ') AS two_words;
SELECT titles(:'alice', '100%') AS percent_literal;
SELECT titles(:'alice', 'e_n') AS underscore_literal;
SELECT titles(:'alice', 'notes discuss') AS across_title_and_content;
SELECT titles(:'alice', 'nowhere') AS no_match;
SELECT cardinality(titles(:'alice', '')) AS empty_q_all, cardinality(titles(:'alice', NULL)) AS null_q_all;
SELECT titles(:'bob', 'budget') AS bob_sees_nothing;
SELECT titles(:'carol', 'note 4') AS carol_search;
