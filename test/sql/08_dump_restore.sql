-- pg_dump carries accounts, sessions and notes: dump, restore into a fresh
-- database, log in again (the "move local data to the server" scenario).
-- pg_dump records CREATE EXTENSION without a version, so the restore is at
-- the server's default version: a dump of an older version arrives upgraded.
-- The comparison covers the columns every version has.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('june', 'june password') IS NOT NULL AS june;
SELECT finote.login('june', 'june password') ->> 'token' AS tok \gset
SELECT finote.note_create(:'tok', 'survives', 'a dump and a restore') ->> 'id' AS nid \gset
SELECT md5(string_agg(u::text, ',' ORDER BY id)) AS users_sum FROM finote.users u \gset
SELECT md5(string_agg((n.user_id, n.id, n.title, n.content, n.created_at, n.updated_at)::text,
                      ',' ORDER BY user_id, id)) AS notes_sum FROM finote.notes n \gset
SELECT md5(string_agg(s::text, ',' ORDER BY user_id, token_hash)) AS sessions_sum FROM finote.sessions s \gset

\! "$(pg_config --bindir)/dropdb" --if-exists finote_regress_restored
\! "$(pg_config --bindir)/createdb" finote_regress_restored
\! "$(pg_config --bindir)/pg_dump" -Fc finote_regress | "$(pg_config --bindir)/pg_restore" --exit-on-error -d finote_regress_restored

\c finote_regress_restored
SELECT extversion = default_version AS default_version
  FROM pg_extension, pg_available_extensions
 WHERE extname = 'finote' AND name = 'finote';
SELECT md5(string_agg(u::text, ',' ORDER BY id)) = :'users_sum' AS users_same FROM finote.users u;
SELECT md5(string_agg((n.user_id, n.id, n.title, n.content, n.created_at, n.updated_at)::text,
                      ',' ORDER BY user_id, id)) = :'notes_sum' AS notes_same FROM finote.notes n;
SELECT md5(string_agg(s::text, ',' ORDER BY user_id, token_hash)) = :'sessions_sum' AS sessions_same FROM finote.sessions s;
-- The old session still works, and so does logging in again.
SELECT finote.note_get(:'tok', :'nid') ->> 'title' AS old_session;
SELECT finote.login('june', 'june password') ->> 'token' AS tok2 \gset
SELECT finote.note_get(:'tok2', :'nid') ->> 'content' AS new_session;
SELECT has_function_privilege('finote_api', 'finote.login'::regproc, 'EXECUTE') AS api_grant_restored,
       has_table_privilege('finote_api', 'finote.notes', 'SELECT') AS tables_still_private;
\c finote_regress
\! "$(pg_config --bindir)/dropdb" finote_regress_restored
