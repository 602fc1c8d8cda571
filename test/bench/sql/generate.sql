-- generate.sql: the bench data set, written straight into finote's tables.
--
-- Run as a superuser on a database where finote is installed, with psql
-- variables:  users  notes  skew
--             hash (one argon2id string, shared by every generated user);
-- the word file (one word a line) on standard input.
--
-- Users u00001..uNNNNN; user of rank r owns about notes * r^-skew / sum
-- notes (a power law: with 10,000 users, 1,000,000 notes and skew 0.8 the
-- heaviest user has ~35,000 notes, the median user ~40). Titles and
-- contents are windows of real English text (the word file), so word
-- frequencies, and therefore search selectivities, are natural: common
-- words match most notes, rare ones almost none. Timestamps spread over
-- two years; 2% of notes are pinned and a third carry tags (1.1).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';
SELECT setseed(0.42);

CREATE TEMP TABLE words (i serial PRIMARY KEY, w text NOT NULL);
\copy words (w) FROM pstdin

-- Chunks of running text: 20,000 passages of 8-60 words, 5,000 titles of
-- 2-7 words, each starting at a random word.
CREATE TEMP TABLE passages AS
SELECT k AS i, (SELECT string_agg(w, ' ' ORDER BY i) FROM words
                 WHERE i >= s.start AND i < s.start + s.len) AS txt
  FROM (SELECT k, 1 + (random() * ((SELECT count(*) FROM words) - 61))::int AS start,
               8 + (random() * 52)::int AS len
          FROM generate_series(1, 20000) k) s;
CREATE UNIQUE INDEX ON passages (i);

CREATE TEMP TABLE titles AS
SELECT k AS i, initcap(left(txt, 1)) || substr(txt, 2) AS txt
  FROM (SELECT k, (SELECT string_agg(w, ' ' ORDER BY i) FROM words
                    WHERE i >= s.start AND i < s.start + s.len) AS txt
          FROM (SELECT k, 1 + (random() * ((SELECT count(*) FROM words) - 8))::int AS start,
                       2 + (random() * 5)::int AS len
                  FROM generate_series(1, 5000) k) s) t;
CREATE UNIQUE INDEX ON titles (i);

-- Users, heaviest first.
INSERT INTO finote.users (id, username, password_hash, created_at)
SELECT gen_random_uuid(), 'u' || lpad(r::text, 5, '0'), :'hash',
       now() - interval '3 years' + r * interval '1 minute'
  FROM generate_series(1, :users) r;

CREATE TEMP TABLE plan AS
WITH ranked AS (
  SELECT id, substr(username, 2)::int AS r FROM finote.users WHERE username ~ '^u[0-9]{5}$'
), total AS (
  SELECT sum(power(r, -:skew)) AS s FROM ranked
)
SELECT id AS user_id, r, greatest(1, round(:notes * power(r, -:skew) / s))::int AS n
  FROM ranked, total;

-- Notes, one user after another (the primary key and the list index grow
-- locally). Each note: a title, 1-4 passages, two years of history.
INSERT INTO finote.notes (user_id, id, title, content, created_at, updated_at, pinned, tags)
SELECT x.user_id, gen_random_uuid(), t.txt,
       p1.txt || coalesce(E'\n\n' || p2.txt, '') || coalesce(E'\n\n' || p3.txt, '')
              || coalesce(E'\n\n' || p4.txt, ''),
       x.upd - x.age, x.upd, x.pin,
       CASE WHEN x.tagr < 0.10 THEN '{work}'::text[]
            WHEN x.tagr < 0.20 THEN '{ideas,work}'
            WHEN x.tagr < 0.28 THEN '{personal}'
            WHEN x.tagr < 0.33 THEN '{reading,todo}'
            ELSE '{}' END
  FROM (SELECT p.user_id, p.r,
               1 + (random() * 4999)::int AS ti,
               1 + (random() * 19999)::int AS c1,
               CASE WHEN random() < 0.6 THEN 1 + (random() * 19999)::int END AS c2,
               CASE WHEN random() < 0.3 THEN 1 + (random() * 19999)::int END AS c3,
               CASE WHEN random() < 0.1 THEN 1 + (random() * 19999)::int END AS c4,
               now() - random() * interval '730 days' AS upd,
               random() * interval '30 days' AS age,
               random() < 0.02 AS pin,
               random() AS tagr
          FROM plan p, generate_series(1, p.n) g) x
  JOIN titles t ON t.i = x.ti
  JOIN passages p1 ON p1.i = x.c1
  LEFT JOIN passages p2 ON p2.i = x.c2
  LEFT JOIN passages p3 ON p3.i = x.c3
  LEFT JOIN passages p4 ON p4.i = x.c4
 ORDER BY x.r;

VACUUM (ANALYZE) finote.users, finote.notes;
CHECKPOINT;
