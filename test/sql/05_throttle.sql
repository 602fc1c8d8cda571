-- Login throttling: after finote.login_max_failures failed logins for one
-- username within finote.login_failure_window, every attempt fails as too
-- many attempts (PT429), the right password included, until the window
-- passes. The failures survive the failing logins' rollback.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('erin', 'erin password') IS NOT NULL AS erin;
SELECT try($$SELECT finote.login('erin', 'wrong password')$$) FROM generate_series(1, 5);
SELECT count(*) AS recorded FROM finote.login_failures WHERE username_key = 'erin';
SELECT try($$SELECT finote.login('erin', 'erin password')$$) AS sixth_right_password;
SELECT try($$SELECT finote.login('ERIN', 'wrong password')$$) AS seventh;
-- Throttled attempts are not recorded, so they cannot extend the window.
SELECT count(*) AS still_recorded FROM finote.login_failures WHERE username_key = 'erin';

-- Other usernames are unaffected; unknown usernames are throttled alike.
SELECT finote.register('frank', 'frank password') IS NOT NULL AS frank;
SELECT finote.login('frank', 'frank password') -> 'user' ->> 'username' AS frank_ok;
SELECT try($$SELECT finote.login('ghost', 'any password')$$) FROM generate_series(1, 6);

-- Once the window has passed, the right password works again and clears
-- the username's failures.
UPDATE finote.login_failures SET failed_at = now() - interval '16 minutes' WHERE username_key = 'erin';
SELECT finote.login('erin', 'erin password') -> 'user' ->> 'username' AS after_window;
SELECT count(*) AS cleared FROM finote.login_failures WHERE username_key = 'erin';

-- Fewer failures than the limit, then success: the count starts over.
SELECT try($$SELECT finote.login('erin', 'wrong password')$$) FROM generate_series(1, 4);
SELECT finote.login('erin', 'erin password') -> 'user' ->> 'username' AS fourth_then_ok;
SELECT count(*) AS reset FROM finote.login_failures WHERE username_key = 'erin';

-- The settings: a stricter limit applies at once; recording a failure
-- purges failures older than the window for every username.
SET finote.login_max_failures = 1;
SELECT try($$SELECT finote.login('erin', 'wrong password')$$);
SELECT try($$SELECT finote.login('erin', 'erin password')$$);
RESET finote.login_max_failures;
UPDATE finote.login_failures SET failed_at = now() - interval '1 hour' WHERE username_key = 'ghost';
SELECT try($$SELECT finote.login('someone', 'wrong password')$$);
SELECT count(*) AS ghost_purged FROM finote.login_failures WHERE username_key = 'ghost';

-- A wrong current password in change_password counts too: a stolen session
-- cannot be used to guess the password.
SELECT finote.register('ivy', 'ivy password') IS NOT NULL AS ivy;
SELECT finote.login('ivy', 'ivy password') ->> 'token' AS ivy \gset
SELECT try(format('SELECT finote.change_password(%L, %L, %L)', :'ivy', 'guess ' || i, 'new password'))
  FROM generate_series(1, 6) i;
SELECT try($$SELECT finote.login('ivy', 'ivy password')$$) AS ivy_login_throttled;

-- The error's detail says when the throttle lifts: when the oldest failure
-- that still counts leaves the window (the shim's Retry-After). ivy's five
-- failures made 100 to 500 seconds ago leave 900 - 500 seconds.
UPDATE finote.login_failures f SET failed_at = now() - make_interval(secs => 100 * r.n)
  FROM (SELECT ctid, row_number() OVER (ORDER BY failed_at) AS n FROM finote.login_failures
         WHERE username_key = 'ivy') r
 WHERE f.ctid = r.ctid;
DO $$
DECLARE
  detail text;
BEGIN
  PERFORM finote.login('ivy', 'ivy password');
EXCEPTION WHEN SQLSTATE 'PT429' THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RAISE NOTICE 'throttled: %', detail;
END $$;
