-- pg_dump carries accounts, sessions and notes: dump, restore into a fresh
-- database, log in again (the "move local data to the server" scenario).
\set VERBOSITY terse

SELECT finote.register('june', 'june password') IS NOT NULL AS june;
SELECT finote.login('june', 'june password') ->> 'token' AS tok \gset
SELECT finote.note_create(:'tok', 'survives', 'a dump and a restore') ->> 'id' AS nid \gset
SELECT md5(string_agg(u::text, ',' ORDER BY id)) AS users_sum FROM finote.users u \gset
SELECT md5(string_agg(n::text, ',' ORDER BY user_id, id)) AS notes_sum FROM finote.notes n \gset
SELECT md5(string_agg(s::text, ',' ORDER BY user_id, token_hash)) AS sessions_sum FROM finote.sessions s \gset

\! "$(pg_config --bindir)/dropdb" --if-exists finote_regress_restored
\! "$(pg_config --bindir)/createdb" finote_regress_restored
\! "$(pg_config --bindir)/pg_dump" -Fc finote_regress | "$(pg_config --bindir)/pg_restore" --exit-on-error -d finote_regress_restored

\c finote_regress_restored
SELECT extversion FROM pg_extension WHERE extname = 'finote';
SELECT md5(string_agg(u::text, ',' ORDER BY id)) = :'users_sum' AS users_same FROM finote.users u;
SELECT md5(string_agg(n::text, ',' ORDER BY user_id, id)) = :'notes_sum' AS notes_same FROM finote.notes n;
SELECT md5(string_agg(s::text, ',' ORDER BY user_id, token_hash)) = :'sessions_sum' AS sessions_same FROM finote.sessions s;
-- The old session still works, and so does logging in again.
SELECT finote.note_get(:'tok', :'nid') ->> 'title' AS old_session;
SELECT finote.login('june', 'june password') ->> 'token' AS tok2 \gset
SELECT finote.note_get(:'tok2', :'nid') ->> 'content' AS new_session;
SELECT has_function_privilege('finote_api', 'finote.login(text,text)', 'EXECUTE') AS api_grant_restored,
       has_table_privilege('finote_api', 'finote.notes', 'SELECT') AS tables_still_private;
\c finote_regress
\! "$(pg_config --bindir)/dropdb" finote_regress_restored
