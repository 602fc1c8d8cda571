-- The attempt server (1.2.2, issue 25): the budgets of 13_attempts are kept
-- by one long-lived background worker per database instead of a worker per
-- reservation, and count failures only. What a single session can show:
-- logins start no process per attempt, an attempt cut short counts as a
-- failure (its reservation survives the rollback), and a correct login
-- never spends the budget. Concurrency is in test/t/119_login_concurrency.t.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('t26amy', 't26amy password', '10.26.0.1') IS NOT NULL AS t26amy;
SELECT finote.login('t26amy', 't26amy password', '10.26.0.1') -> 'user' ->> 'username' AS first_login;

-- One server for the database, connected to it, not a superuser's session:
-- it runs its statements as finote_throttle.
SELECT count(*) AS servers, bool_and(datname = current_database()) AS this_database
  FROM pg_stat_activity WHERE backend_type = 'finote attempt server';

-- Correct logins count nothing: ten of them, then the budget is whole.
SELECT count(finote.login('t26amy', 't26amy password', '10.26.0.1')) AS correct_logins
  FROM generate_series(1, 10);
SELECT count(*) AS rows_after_correct_logins FROM finote.attempts WHERE key LIKE '%t26amy%';
-- ... and a correct login starts no process: the server is the same one.
SELECT pid AS server_pid FROM pg_stat_activity WHERE backend_type = 'finote attempt server' \gset
SELECT finote.login('t26amy', 't26amy password', '10.26.0.1') IS NOT NULL AS again;
SELECT pid = :server_pid AS same_server FROM pg_stat_activity WHERE backend_type = 'finote attempt server';

-- A wrong password counts at once, committed by the server before the error.
SELECT try($$SELECT finote.login('t26amy', 'wrong', '10.26.0.1')$$) AS wrong;
SELECT key, attempts FROM finote.attempts WHERE key LIKE '%t26amy%' OR key LIKE '%10.26.0.1' ORDER BY key;

-- Inside a transaction that rolls back: the failure stays counted.
BEGIN;
SAVEPOINT s;
SELECT try($$SELECT finote.login('t26amy', 'wrong again', '10.26.0.1')$$) AS wrong_in_savepoint;
ROLLBACK TO SAVEPOINT s;
ROLLBACK;
SELECT attempts AS after_rollback FROM finote.attempts WHERE key = 'login:t26amy 10.26.0.1';

-- An attempt cut short after its hash counts as failed, right password or
-- not: a cancel must not be a free guess. Here statement_timeout expires
-- during a slow hash (about 0.7 s) and is noticed as the login rehashes the
-- password at today's cost, before the login could end. The server records
-- it on its own: wait for it (at most 10 s).
SET finote.password_opslimit = 32;
SET finote.password_memlimit = '64MB';
SELECT finote.register('t26slow', 't26slow password') IS NOT NULL AS t26slow;
RESET finote.password_opslimit;
RESET finote.password_memlimit;
SET statement_timeout = '300ms';
SELECT finote.login('t26slow', 't26slow password', '10.26.0.2');
RESET statement_timeout;
DO $$
BEGIN
  FOR i IN 1..100 LOOP
    EXIT WHEN EXISTS (SELECT FROM finote.attempts WHERE key = 'address:10.26.0.2');
    PERFORM pg_sleep(0.1);
  END LOOP;
END
$$;
SELECT key, attempts FROM finote.attempts WHERE key LIKE '%10.26.0.2' ORDER BY key;

-- A correct login clears the username's keys; the address keeps its count.
SELECT finote.login('t26amy', 't26amy password', '10.26.0.1') -> 'user' ->> 'username' AS cleared;
SELECT key, attempts FROM finote.attempts WHERE key LIKE '%t26amy%' OR key LIKE '%10.26.0.1' ORDER BY key;

-- Registrations count every attempt, as before.
SET finote.register_max_per_address = 1;
SELECT try($$SELECT finote.register('t26reg1', 'password', '10.26.0.3')$$) IS NOT NULL AS first;
SELECT try($$SELECT finote.register('t26reg2', 'password', '10.26.0.3')$$) AS over_budget;
RESET finote.register_max_per_address;

-- The API functions of 1.2.2 name their 1.2.2 symbols.
SELECT p.proname, regexp_replace(p.prosrc, '^finote_', '') AS symbol
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'finote' AND p.proname IN ('register', 'login', 'change_password', 'account_delete')
 ORDER BY 1;
