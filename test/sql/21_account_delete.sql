-- 1.2: account deletion. With the password, finote.account_delete deletes
-- the user and every row of theirs (sessions, notes, trash, revisions) in
-- one transaction, and nothing of another user's. A wrong password is
-- 28P01 and counts against the login budgets, like change_password.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('t21jo', 't21jo password') IS NOT NULL AS jo;
SELECT finote.register('t21kai', 't21kai password') IS NOT NULL AS kai;
SELECT finote.login('t21jo', 't21jo password') ->> 'token' AS jo \gset
SELECT finote.login('t21jo', 't21jo password') ->> 'token' AS jo_phone \gset
SELECT finote.login('t21kai', 't21kai password') ->> 'token' AS kai \gset

-- Each has notes, a revision, a note in the trash and sessions.
SET finote.revision_collapse = 0;
CREATE TEMP TABLE who AS SELECT id, username FROM finote.users WHERE username IN ('t21jo', 't21kai');
CREATE FUNCTION holdings() RETURNS TABLE (username text, notes bigint, trash bigint, revisions bigint, sessions bigint)
LANGUAGE sql AS $$
  SELECT w.username,
         (SELECT count(*) FROM finote.notes n WHERE n.user_id = w.id),
         (SELECT count(*) FROM finote.trash t WHERE t.user_id = w.id),
         (SELECT count(*) FROM finote.revisions r WHERE r.user_id = w.id),
         (SELECT count(*) FROM finote.sessions s WHERE s.user_id = w.id)
    FROM who w ORDER BY 1
$$;
SELECT count(*) FROM (
  SELECT finote.note_update(t, (finote.note_create(t, 'n', 'v1', tags => '{t}') ->> 'id')::uuid, content => 'v2')
    FROM unnest(ARRAY[:'jo', :'kai']) t, generate_series(1, 2)) s;
SELECT finote.note_delete(:'jo', (finote.note_create(:'jo', 'binned', 'x') ->> 'id')::uuid);
SELECT finote.note_delete(:'kai', (finote.note_create(:'kai', 'binned', 'x') ->> 'id')::uuid);
SELECT * FROM holdings();

-- A wrong password: 28P01, nothing deleted, and the attempt counted.
SELECT try(format('SELECT finote.account_delete(%L, %L, %L)', :'jo', 'wrong password', '10.21.0.1')) AS wrong;
SELECT * FROM holdings();
SELECT key, attempts FROM finote.attempts WHERE key LIKE '%t21jo%' ORDER BY key;
-- Spent: throttled like a login (PT429), the right password included.
SET finote.login_max_failures = 2;
SELECT try(format('SELECT finote.account_delete(%L, %L, %L)', :'jo', 'wrong password', '10.21.0.1')) AS second;
SELECT try(format('SELECT finote.account_delete(%L, %L, %L)', :'jo', 't21jo password', '10.21.0.1')) AS throttled;
RESET finote.login_max_failures;
SELECT * FROM holdings();
-- Input rules and the session come first.
SELECT try(format('SELECT finote.account_delete(%L, NULL)', :'jo')) AS no_password;
SELECT try($$SELECT finote.account_delete('not a token', 't21jo password')$$) AS no_session;
-- Another user's password does not delete jo, nor kai.
SELECT try(format('SELECT finote.account_delete(%L, %L, %L)', :'jo', 't21kai password', '10.21.0.2')) AS kais_password;

-- The right password: jo and all that was jo's go, kai's stays.
SELECT finote.account_delete(:'jo', 't21jo password', '10.21.0.2');
SELECT * FROM holdings();
SELECT count(*) AS jo_user FROM finote.users WHERE username = 't21jo';
SELECT try(format('SELECT finote.whoami(%L)', :'jo_phone')) AS other_session;
SELECT jsonb_array_length(finote.note_list(:'kai') -> 'notes') AS kai_notes;
-- The name is free again.
SELECT finote.register('t21jo', 'new t21jo password') ->> 'username' AS registered_again;
RESET finote.revision_collapse;
DROP FUNCTION holdings();
