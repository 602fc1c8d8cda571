-- pairs.sql: after the bench users have tokens, the request samples.
--   bench.tokens  (n, token)       list and create: one bench user each
--   bench.get     (n, token, id)   get and update: :npairs (user, note) pairs,
--                                  user uniform among bench users, note
--                                  uniform among that user's notes
--   bench.search  (n, token, q)    :nsearch searches for a word (4+ letters)
--                                  of one of that user's notes
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT setseed(0.23);

CREATE TABLE bench.tokens AS SELECT n, token FROM bench.users;
ALTER TABLE bench.tokens ADD PRIMARY KEY (n);

CREATE TABLE bench.get AS
SELECT k AS n, u.token,
       (SELECT id FROM finote.notes nt WHERE nt.user_id = u.id
         ORDER BY nt.id OFFSET floor(x.f * u.nnotes)::int LIMIT 1) AS id
  FROM (SELECT k, 1 + floor(random() * (SELECT count(*) FROM bench.users))::int AS un,
               random() AS f
          FROM generate_series(1, :npairs) k) x
  JOIN bench.users u ON u.n = x.un;
ALTER TABLE bench.get ADD PRIMARY KEY (n);

CREATE TABLE bench.search AS
SELECT k AS n, u.token,
       (SELECT lower(w) FROM finote.notes nt,
               regexp_split_to_table(nt.title || ' ' || nt.content, '[^A-Za-z]+') w
         WHERE nt.user_id = u.id
           AND nt.id = (SELECT id FROM finote.notes n2 WHERE n2.user_id = u.id
                         ORDER BY n2.id OFFSET floor(x.f * u.nnotes)::int LIMIT 1)
           AND length(w) >= 4
         ORDER BY random() LIMIT 1) AS q
  FROM (SELECT k, 1 + floor(random() * (SELECT count(*) FROM bench.users))::int AS un,
               random() AS f
          FROM generate_series(1, :nsearch) k) x
  JOIN bench.users u ON u.n = x.un;
DELETE FROM bench.search WHERE q IS NULL;
-- keep n dense for random(1, nsearch)
CREATE TABLE bench.search2 AS SELECT row_number() OVER (ORDER BY n) AS n, token, q FROM bench.search;
DROP TABLE bench.search;
ALTER TABLE bench.search2 RENAME TO search;
ALTER TABLE bench.search ADD PRIMARY KEY (n);

GRANT USAGE ON SCHEMA bench TO finote_app;
GRANT SELECT ON ALL TABLES IN SCHEMA bench TO finote_app;
ANALYZE bench.tokens, bench.get, bench.search, bench.body;
