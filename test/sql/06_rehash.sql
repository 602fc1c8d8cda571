-- A successful login upgrades a hash made with other argon2id settings.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('gina', 'gina password') IS NOT NULL AS gina;
SELECT substring(password_hash FROM '^\$argon2id\$v=19\$([^$]+)\$') AS params
  FROM finote.users WHERE username = 'gina';

SET finote.password_opslimit = 3;
SET finote.password_memlimit = '8MB';
SELECT try($$SELECT finote.login('gina', 'wrong password')$$);
SELECT substring(password_hash FROM '^\$argon2id\$v=19\$([^$]+)\$') AS after_failed_login
  FROM finote.users WHERE username = 'gina';
SELECT finote.login('gina', 'gina password') IS NOT NULL AS logged_in;
SELECT substring(password_hash FROM '^\$argon2id\$v=19\$([^$]+)\$') AS after_login
  FROM finote.users WHERE username = 'gina';
RESET finote.password_opslimit;
RESET finote.password_memlimit;
SELECT finote.login('gina', 'gina password') IS NOT NULL AS old_settings_again;
SELECT substring(password_hash FROM '^\$argon2id\$v=19\$([^$]+)\$') AS back_to_default
  FROM finote.users WHERE username = 'gina';

-- Settings are for superusers: the API role cannot weaken them.
SELECT context FROM pg_settings WHERE name = 'finote.password_memlimit';
