-- samples.sql: who and what the workloads touch, in schema bench (read by
-- pgbench as finote_app) and exported to files for wrk (see run).
--
-- Bench users: the 10 heaviest users and :nbench - 10 drawn uniformly from
-- the rest, so pages come from both power users and ordinary ones. Their
-- sessions are minted later through finote.login (see run), never forged.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT setseed(0.17);

DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

CREATE TABLE bench.users AS
SELECT row_number() OVER (ORDER BY r) AS n, username, id, r, nnotes, NULL::text AS token
  FROM (SELECT u.username, u.id, substr(u.username, 2)::int AS r,
               (SELECT count(*) FROM finote.notes n WHERE n.user_id = u.id) AS nnotes
          FROM finote.users u
         WHERE u.username ~ '^u[0-9]{5}$'
           AND (substr(u.username, 2)::int <= 10
                OR u.id IN (SELECT id FROM finote.users WHERE username ~ '^u[0-9]{5}$'
                              AND substr(username, 2)::int > 10
                             ORDER BY random() LIMIT :nbench - 10))) s;
ALTER TABLE bench.users ADD PRIMARY KEY (n);

-- The JSON body of create and update, the same bytes wrk sends.
CREATE TABLE bench.body (b jsonb NOT NULL);
INSERT INTO bench.body
SELECT jsonb_build_object('title', 'Bench note ' || md5('title'),
                          'content', string_agg(w, ' '))
  FROM (SELECT (regexp_split_to_array(
                  'the quick brown fox jumps over the lazy dog while a careful reader '
                  'takes notes about meetings plans recipes books travel and ideas for later', ' '))[1 + (k % 25)] AS w
          FROM generate_series(1, 70) k) s;
