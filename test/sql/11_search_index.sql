-- 1.1.2: the search index. A list walks at most 500 notes in list order; a
-- search that has not filled its page by then asks notes_search_idx. Both
-- paths must give exactly what ILIKE over all of the user's notes gives.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT indexdef FROM pg_indexes WHERE schemaname = 'finote' AND indexname = 'notes_search_idx';
SELECT has_function_privilege('finote_api', 'finote._search_keys(uuid, text, text)', 'EXECUTE') AS api_may_call_keys;

-- The keys: the owner's (negative), then each distinct lower-cased byte
-- trigram without white space, as an int (3 bytes, big-endian).
SELECT k < 0 AS owner_key, count(*) FROM unnest(finote._search_keys(gen_random_uuid(), 'AbC', 'abc x')) k GROUP BY 1 ORDER BY 1;
SELECT array_agg(k ORDER BY k) FILTER (WHERE k >= 0) = ARRAY[(ascii('a') << 16) | (ascii('b') << 8) | ascii('c')] AS only_abc
  FROM unnest(finote._search_keys(gen_random_uuid(), 'AbC', 'abc x')) k;
SELECT cardinality(finote._search_keys('00000000-0000-0000-0000-000000000001', '', '')) AS empty_note_keys,
       finote._search_keys('00000000-0000-0000-0000-000000000001', '', '')
     = finote._search_keys('00000000-0000-0000-0000-000000000001', 'ab', 'c d') AS no_trigram_no_key;

SELECT finote.register('sam', 'sam password') IS NOT NULL AS sam;
SELECT finote.register('max', 'max password') IS NOT NULL AS max;
SELECT finote.login('sam', 'sam password') ->> 'token' AS sam \gset
SELECT finote.login('max', 'max password') ->> 'token' AS max \gset

-- sam has 1,300 notes, newest last written. "zebra" is in three of the
-- oldest (beyond the walk), "Mango" in one note in 40 (too rare to fill a
-- page within 500 notes), "ordinary" in every note; "x%y_z" and "ärger" in a
-- few. Some are pinned and tagged, so the order and the tag filter count.
SELECT count(*) AS sam_notes FROM generate_series(1, 1300) i,
  LATERAL finote.note_create(:'sam',
    'note ' || i,
    'an ordinary note, number ' || i
      || CASE WHEN i IN (3, 7, 11) THEN ' with a Zebra in it' ELSE '' END
      || CASE WHEN i % 40 = 0 THEN ' and a MANGO' ELSE '' END
      || CASE WHEN i IN (5, 900) THEN ' literally x%y_z' ELSE '' END
      || CASE WHEN i IN (6, 901) THEN ' voller ÄRGER' ELSE '' END,
    pinned => i % 97 = 0,
    tags => CASE WHEN i % 3 = 0 THEN '{three}'::text[] ELSE '{}' END) n;
-- max's notes hold the same words: they must never show up in sam's lists.
SELECT count(*) AS max_notes FROM generate_series(1, 30) i,
  LATERAL finote.note_create(:'max', 'zebra ' || i, 'mango ordinary x%y_z ärger') n;

-- What a list must return: every page, through the cursors, compared with
-- ILIKE over all of the owner's notes in list order.
CREATE FUNCTION all_pages(token text, q text, lim int, tag text DEFAULT NULL) RETURNS uuid[]
LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[] := '{}';
  page jsonb;
  cur text;
BEGIN
  LOOP
    page := finote.note_list(token, q, lim, cur, tag);
    ids := ids || ARRAY(SELECT (e ->> 'id')::uuid FROM jsonb_array_elements(page -> 'notes') e);
    cur := page ->> 'next_cursor';
    EXIT WHEN cur IS NULL;
  END LOOP;
  RETURN ids;
END $$;
CREATE FUNCTION expected(owner text, q text, tag text DEFAULT NULL) RETURNS uuid[]
LANGUAGE sql AS $$
  SELECT coalesce(array_agg(n.id ORDER BY n.pinned DESC, n.updated_at DESC, n.id DESC), '{}')
    FROM finote.notes n JOIN finote.users u ON u.id = n.user_id
   WHERE u.username = owner
     AND (tag IS NULL OR n.tags @> ARRAY[tag])
     AND (n.title || ' ' || n.content) ILIKE ALL (
           SELECT '%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%'
             FROM regexp_split_to_table(btrim(coalesce(q, '')), '\s+') w WHERE w <> '')
$$;

SELECT pg_stat_force_next_flush();
SELECT idx_scan AS index_scans_before FROM pg_stat_user_indexes WHERE indexrelname = 'notes_search_idx' \gset

SELECT q, lim, tag, cardinality(expected('sam', q, tag)) AS matches,
       all_pages(:'sam', q, lim, tag) = expected('sam', q, tag) AS same
  FROM (VALUES (NULL, 20, NULL), ('', 100, NULL), ('zebra', 20, NULL), ('ZEBRA', 1, NULL),
               ('mango', 20, NULL), ('mango', 5, NULL), ('Mango', 100, 'three'),
               ('ordinary', 20, NULL), ('ordinary mango', 20, NULL), ('zebra ordinary', 2, NULL),
               ('x%y_z', 20, NULL), ('x_y', 20, NULL), ('%', 20, NULL), ('ärger', 20, NULL),
               ('Ärger', 20, NULL), ('no-such-word', 20, NULL), ('12', 20, NULL), ('a 12', 20, NULL),
               ('  number   1299  ', 20, NULL), ('ordinary', 100, 'three')) t(q, lim, tag);
-- max sees only max's notes, whichever path served the search.
SELECT q, all_pages(:'max', q, 20) = expected('max', q) AS same, cardinality(all_pages(:'max', q, 20)) AS notes
  FROM (VALUES ('zebra'), ('mango'), ('ordinary')) t(q);

-- The rare words above went to the index: without it they would have
-- walked all 1,300 notes.
SELECT pg_stat_force_next_flush();
SELECT idx_scan > :index_scans_before AS index_used FROM pg_stat_user_indexes WHERE indexrelname = 'notes_search_idx';

-- Writes keep the index current: an edit that removes a rare word, one that
-- adds another to an old note (found through the index), a delete.
SELECT (finote.note_list(:'sam', 'zebra', 20) -> 'notes' -> 0 ->> 'id') AS zebra_note \gset
SELECT finote.note_update(:'sam', :'zebra_note', content => 'no stripes any more') ->> 'content' AS edited;
SELECT finote.note_update(:'sam', (SELECT id FROM finote.notes WHERE title = 'note 100'),
                          content => 'a quagga now') ->> 'title' AS quagga_title;
-- The edit made it the newest note: 520 newer ones put it beyond the walk.
SELECT count(*) AS newer FROM generate_series(1, 520) i, LATERAL finote.note_create(:'sam', 'later ' || i, 'ordinary') n;
SELECT jsonb_array_length(finote.note_list(:'sam', 'zebra') -> 'notes') AS zebras,
       finote.note_list(:'sam', 'quagga') -> 'notes' -> 0 ->> 'title' AS quagga;
SELECT finote.note_delete(:'sam', (finote.note_list(:'sam', 'quagga') -> 'notes' -> 0 ->> 'id')::uuid);
SELECT finote.note_list(:'sam', 'quagga') AS no_quagga;

DROP FUNCTION all_pages(text, text, int, text);
DROP FUNCTION expected(text, text, text);
