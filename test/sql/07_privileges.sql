-- Least privilege: a login role granted finote_api can call the API and
-- can read or change no table; a role without it can call nothing.
\i test/sql/include/setup.sql
\set VERBOSITY terse

CREATE ROLE finote_regress_app LOGIN IN ROLE finote_api;
CREATE ROLE finote_regress_stranger LOGIN;
SET ROLE finote_regress_app;
SELECT finote.register('hank', 'hank password') ->> 'username' AS via_api;
SELECT finote.login('hank', 'hank password') ->> 'token' AS tok \gset
SELECT finote.note_create(:'tok', 'from the app role', '') ->> 'title' AS note;
SELECT try('SELECT count(*) FROM finote.users');
SELECT try('SELECT count(*) FROM finote.sessions');
SELECT try('SELECT count(*) FROM finote.notes');
SELECT try($$UPDATE finote.users SET username = 'x'$$);
-- The throttle's table: login_failures before 1.1.3, attempts from 1.1.3.
SELECT replace(try(format(q, t)), t, '<throttle table>') AS throttle_table
  FROM (SELECT relname AS t FROM pg_class
         WHERE relnamespace = 'finote'::regnamespace
           AND relname IN ('login_failures', 'attempts')
         ORDER BY relname = 'attempts' DESC LIMIT 1) AS tt,
       (VALUES ('SELECT count(*) FROM finote.%s'), ('DELETE FROM finote.%s')) AS qs(q);
SELECT try($$SELECT finote._user_json(NULL::finote.users)$$);
SELECT try($$SET finote.login_max_failures = 1000$$);
RESET ROLE;

SET ROLE finote_regress_stranger;
SELECT try($$SELECT finote.register('ivan', 'ivan password')$$);
SELECT try(format('SELECT finote.whoami(%L)', :'tok'));
SELECT try('SELECT count(*) FROM finote.notes');
RESET ROLE;

DROP ROLE finote_regress_stranger;
DROP ROLE finote_regress_app;
