-- Attempt budgets (1.1.3, issue 13): failed logins count per username and
-- client address, per address and per username; past a budget each further
-- attempt waits a delay that starts at 30 seconds and doubles, up to the
-- window, instead of a lockout. An attacker at one address cannot lock out
-- the owner at another. Registrations count per address.
\i test/sql/include/setup.sql
\set VERBOSITY terse

-- The SQLSTATE and the detail (which carries the wait), or 'ok'. The wait
-- is what is left of the delay when the attempt comes, so it is rounded up
-- to 5 s: a loaded machine may take a few seconds between two attempts.
CREATE FUNCTION try_wait(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  detail text;
  secs int;
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  secs := (regexp_match(detail, '^Retry after (\d+) seconds\.$'))[1]::int;
  IF secs IS NOT NULL THEN
    detail := format('Retry after %s seconds.', (secs + 4) / 5 * 5);
  END IF;
  RETURN SQLSTATE || ': ' || coalesce(nullif(detail, ''), SQLERRM);
END
$$;

SELECT finote.register('t13amy', 't13amy password') IS NOT NULL AS t13amy,
       finote.register('t13bob', 't13bob password') IS NOT NULL AS t13bob;

-- Five wrong passwords from 10.0.0.1: the next attempt from there waits 30
-- seconds, the right password included.
SELECT try_wait($$SELECT finote.login('t13amy', 'wrong', '10.0.0.1')$$) FROM generate_series(1, 5);
SELECT try_wait($$SELECT finote.login('t13amy', 't13amy password', '10.0.0.1')$$) AS from_attacker;
-- A refused attempt is not counted.
SELECT attempts FROM finote.attempts WHERE key = 'login:t13amy 10.0.0.1';
-- The owner at another address is not locked out.
SELECT finote.login('T13AMY', 't13amy password', '10.0.0.2') -> 'user' ->> 'username' AS owner_elsewhere;

-- Growing delays: once the wait has passed, each failure doubles it.
UPDATE finote.attempts SET blocked_until = now() - interval '1 second' WHERE key = 'login:t13amy 10.0.0.1';
SELECT try_wait($$SELECT finote.login('t13amy', 'wrong', '10.0.0.1')$$) AS sixth;
SELECT try_wait($$SELECT finote.login('t13amy', 'wrong', '10.0.0.1')$$) AS seventh;
UPDATE finote.attempts SET blocked_until = now() - interval '1 second' WHERE key = 'login:t13amy 10.0.0.1';
SELECT try_wait($$SELECT finote.login('t13amy', 'wrong', '10.0.0.1')$$) AS after_wait;
SELECT try_wait($$SELECT finote.login('t13amy', 'wrong', '10.0.0.1')$$) AS doubled;
-- ... up to the window.
SET finote.login_failure_window = '45s';
UPDATE finote.attempts SET blocked_until = now() - interval '1 second' WHERE key = 'login:t13amy 10.0.0.1';
SELECT try_wait($$SELECT finote.login('t13amy', 'wrong', '10.0.0.1')$$) AS capped;
SELECT try_wait($$SELECT finote.login('t13amy', 'wrong', '10.0.0.1')$$) AS capped_wait;
RESET finote.login_failure_window;

-- A key idle for a whole window is forgotten.
UPDATE finote.attempts SET expires_at = now() - interval '1 second' WHERE key = 'login:t13amy 10.0.0.1';
SELECT try_wait($$SELECT finote.login('t13amy', 't13amy password', '10.0.0.1')$$) AS forgotten;

-- A success gives the username's keys a fresh start and the address its
-- reservation back.
SELECT try_wait($$SELECT finote.login('t13bob', 'wrong', '10.0.0.3')$$) FROM generate_series(1, 4);
SELECT key, attempts FROM finote.attempts WHERE key LIKE '%10.0.0.3' OR key LIKE '%:t13bob' ORDER BY key;
SELECT finote.login('t13bob', 't13bob password', '10.0.0.3') -> 'user' ->> 'username' AS t13bob_ok;
SELECT key, attempts FROM finote.attempts WHERE key LIKE '%10.0.0.3' OR key LIKE '%:t13bob' ORDER BY key;

-- One address trying many usernames meets its own budget.
SET finote.login_address_max_failures = 3;
SELECT try_wait(format('SELECT finote.login(%L, %L, %L)', 't13user' || i, 'wrong', '10.0.0.4'))
  FROM generate_series(1, 4) i;
RESET finote.login_address_max_failures;

-- Many addresses against one username meet the account's budget: the owner
-- then waits too, but a delay, not a lockout.
SELECT finote.register('t13cora', 't13cora password') IS NOT NULL AS t13cora;
SET finote.login_account_max_failures = 3;
SELECT try_wait(format('SELECT finote.login(%L, %L, %L)', 't13cora', 'wrong', '10.1.0.' || i))
  FROM generate_series(1, 4) i;
SELECT try_wait($$SELECT finote.login('t13cora', 't13cora password', '10.1.1.1')$$) AS owner_waits;
RESET finote.login_account_max_failures;

-- IPv6 addresses count by /64.
SELECT finote.register('t13dora', 't13dora password') IS NOT NULL AS t13dora;
SET finote.login_max_failures = 1;
SELECT try_wait($$SELECT finote.login('t13dora', 'wrong', '2001:db8::1')$$) AS v6_first;
SELECT try_wait($$SELECT finote.login('t13dora', 'wrong', '2001:db8::ffff:2')$$) AS same_64;
SELECT try_wait($$SELECT finote.login('t13dora', 't13dora password', '2001:db8:0:1::1')$$) AS other_64;
RESET finote.login_max_failures;

-- Without an address (a shim older than 1.1.3, or SQL), the address-less
-- attempts of a username share one budget.
SELECT try_wait($$SELECT finote.login('t13dora', 'wrong')$$) FROM generate_series(1, 6);

-- A wrong current password in change_password spends the same budgets.
SELECT finote.register('t13erik', 't13erik password') IS NOT NULL AS t13erik;
SELECT finote.login('t13erik', 't13erik password', '10.2.0.1') ->> 'token' AS t13erik \gset
SELECT try_wait(format('SELECT finote.change_password(%L, %L, %L, %L)', :'t13erik', 'guess ' || i,
                       'new password', '10.2.0.1'))
  FROM generate_series(1, 6) i;

-- Registrations: each attempt past the input rules spends the address's
-- budget, a taken username included; other addresses have their own.
SET finote.register_max_per_address = 2;
SELECT try_wait($$SELECT finote.register('t13reg1', 'password', '10.3.0.1')$$) AS first;
SELECT try_wait($$SELECT finote.register('t13reg1', 'password', '10.3.0.1')$$) AS taken;
SELECT try_wait($$SELECT finote.register('t13reg2', 'password', '10.3.0.1')$$) AS over_budget;
SELECT try_wait($$SELECT finote.register('x', 'password', '10.3.0.1')$$) AS bad_input_first;
SELECT try_wait($$SELECT finote.register('t13reg2', 'password', '10.3.0.2')$$) AS other_address;
-- Without an address, registration has no budget (older shims).
SELECT try_wait(format('SELECT finote.register(%L, %L)', 't13noaddr' || i, 'password'))
  FROM generate_series(1, 3) i;
RESET finote.register_max_per_address;
SELECT count(*) AS registered FROM finote.users WHERE username LIKE 't13reg%' OR username LIKE 't13noaddr%';

-- The worker's role can do nothing but keep this table.
SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolbypassrls
  FROM pg_roles WHERE rolname = 'finote_throttle';
SELECT has_table_privilege('finote_throttle', 'finote.attempts', 'SELECT,INSERT,UPDATE,DELETE') AS attempts,
       has_table_privilege('finote_throttle', 'finote.users', 'SELECT') AS users,
       has_table_privilege('finote_throttle', 'finote.sessions', 'SELECT') AS sessions;

DROP FUNCTION try_wait(text);
