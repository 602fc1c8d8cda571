-- A list or a search costs bounded work whatever q is and whatever the
-- notes hold (notes.c, search.c): q's words are lower-cased, kept once and
-- at most 8, of at most 64 bytes; a statement reads a bounded amount of note
-- text, and a page that ran out of it ends early with a next_cursor; a page
-- of JSON stops once it passes 1 MiB. Paging through still gives exactly
-- what ILIKE over all of the user's notes gives.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('eve', 'eve password') IS NOT NULL AS eve;
SELECT finote.register('ann', 'ann password') IS NOT NULL AS ann;
SELECT finote.login('eve', 'eve password') ->> 'token' AS eve \gset
SELECT finote.login('ann', 'ann password') ->> 'token' AS ann \gset

CREATE FUNCTION all_pages(token text, q text, lim int) RETURNS uuid[]
LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[] := '{}';
  page jsonb;
  cur text;
BEGIN
  LOOP
    page := finote.note_list(token, q, lim, cur);
    ids := ids || ARRAY(SELECT (e ->> 'id')::uuid FROM jsonb_array_elements(page -> 'notes') e);
    cur := page ->> 'next_cursor';
    EXIT WHEN cur IS NULL;
  END LOOP;
  RETURN ids;
END $$;
CREATE FUNCTION expected(owner text, q text) RETURNS uuid[]
LANGUAGE sql AS $$
  SELECT coalesce(array_agg(n.id ORDER BY n.pinned DESC, n.updated_at DESC, n.id DESC), '{}')
    FROM finote.notes n JOIN finote.users u ON u.id = n.user_id
   WHERE u.username = owner
     AND (n.title || ' ' || n.content) ILIKE ALL (
           SELECT '%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%'
             FROM regexp_split_to_table(btrim(coalesce(q, '')), '\s+') w WHERE w <> '')
$$;

-- The words: at most 8 different ones (repeats, case variants and words
-- another word contains do not count), each at most 64 bytes.
SELECT try($$SELECT finote.note_list('$$ || :'eve' || $$', 'a b c d e f g h i')$$) AS nine_words;
SELECT try($$SELECT finote.note_list('$$ || :'eve' || $$', repeat('x', 65))$$) AS long_word;
SELECT finote.note_list(:'eve', 'a b c d e f g h A B ab abc ' || repeat('h ', 500)) AS eight_words;
SELECT finote.note_list(:'eve', repeat('é', 32)) AS word_of_64_bytes;

-- eve has 30 notes of "a" * 99,999 + "b" (the attack of issue 14), and 20
-- of "a" * 99,000 and then 7 of the 8 words of :'worst' below and the
-- trigrams of the eighth; ann has a few small notes.
SELECT string_agg(repeat('a', 63) || chr(ascii('c') + i), ' ') AS worst FROM generate_series(0, 7) i \gset
SELECT count(*) AS eve_b_notes FROM generate_series(1, 30) i,
  LATERAL finote.note_create(:'eve', 'b note ' || i, repeat('a', 99999) || 'b') n;
SELECT count(*) AS eve_a_notes FROM generate_series(1, 20) i,
  LATERAL finote.note_create(:'eve', 'a note ' || i,
                             repeat('a', 99000) || ' ' || left(:'worst', 7 * 65) || 'aaj') n;
SELECT count(*) AS ann_notes FROM generate_series(1, 5) i,
  LATERAL finote.note_create(:'ann', 'note ' || i, 'b and c') n;

-- 510 one-letter words: one pattern (eight_words above: repeats do not
-- count). It took 9.9 s as 510 ILIKEs of each note. What a search costs in
-- time is make bench's to measure, not a test's: here, the work is bounded.
SELECT all_pages(:'eve', rtrim(repeat('b ', 510)), 100) = expected('eve', 'b') AS many_words_same;

-- Eight words of 64 bytes that almost match at every byte of 20 notes,
-- seven found at their ends, and the index finds the notes for the eighth:
-- the worst a search costs. The page ends when the budget is spent, early,
-- with a next_cursor, and the next pages go on from there.
SELECT jsonb_array_length(p -> 'notes') AS worst_notes, p ->> 'next_cursor' IS NOT NULL AS worst_more
  FROM finote.note_list(:'eve', :'worst', 100) p;
SELECT all_pages(:'eve', :'worst', 100) = expected('eve', :'worst') AS worst_same;

-- A short word the index cannot serve no longer reads all of a user's
-- notes: a page ends with its budget, with what it found so far.
SELECT jsonb_array_length(p -> 'notes') AS short_notes, p ->> 'next_cursor' IS NOT NULL AS short_more
  FROM finote.note_list(:'eve', 'z', 100) p;
SELECT all_pages(:'eve', 'z', 100) = expected('eve', 'z') AS short_same,
       all_pages(:'eve', 'B', 7) = expected('eve', 'b') AS short_b_same,
       all_pages(:'ann', 'b C', 2) = expected('ann', 'b c') AS ann_same;

-- A page ends before the note that would bring its JSON past 512 kB; a
-- single note larger than that is a page of its own. joe has 3 notes of
-- 100,000 control characters (600 kB of JSON each), then 40 of 20 kB.
SELECT finote.register('joe', 'joe password') IS NOT NULL AS joe;
SELECT finote.login('joe', 'joe password') ->> 'token' AS joe \gset
SELECT count(*) AS joe_big_notes FROM generate_series(1, 3) i,
  LATERAL finote.note_create(:'joe', 'control ' || i, repeat(chr(1), 100000)) n;
SELECT count(*) AS joe_notes FROM generate_series(1, 40) i,
  LATERAL finote.note_create(:'joe', 'x ' || i, repeat('x', 20000)) n;
SELECT jsonb_array_length(p -> 'notes') AS page_notes, length(p::text) <= 512 * 1024 AS within_512_kb,
       p ->> 'next_cursor' IS NOT NULL AS more
  FROM finote.note_list(:'joe', NULL, 100) p;
SELECT jsonb_array_length(p -> 'notes') AS big_page_notes, length(p::text) > 512 * 1024 AS one_big_note
  FROM finote.note_list(:'joe', NULL, 100, finote.note_list(:'joe', 'control', 1) ->> 'next_cursor') p;
SELECT all_pages(:'joe', NULL, 100) = expected('joe', NULL) AS big_same,
       cardinality(all_pages(:'joe', NULL, 100)) AS big_notes;

DROP FUNCTION all_pages(text, text, int);
DROP FUNCTION expected(text, text);
