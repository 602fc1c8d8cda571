-- Sessions: only a hash is stored, expiry is enforced on every call, and
-- expired sessions are swept.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('dave', 'dave password') IS NOT NULL AS dave;
SELECT finote.login('dave', 'dave password') AS l \gset
SELECT (:'l'::jsonb) ->> 'token' AS tok, (:'l'::jsonb) -> 'user' ->> 'id' AS uid \gset

-- The token is base64url; no column holds it, only a 32-byte hash.
SELECT :'tok' ~ '^[A-Za-z0-9_-]{64}$' AS base64url;
SELECT count(*) AS sessions, bool_and(length(token_hash) = 32) AS hash_32_bytes,
       bool_and(position(convert_to(:'tok', 'UTF8') IN token_hash) = 0) AS token_not_stored
  FROM finote.sessions WHERE user_id = :'uid';

-- 100 logins, 100 different tokens.
SELECT count(DISTINCT finote.login('dave', 'dave password') ->> 'token') AS distinct_tokens
  FROM generate_series(1, 3);

-- finote.session_lifetime sets expires_at.
SET finote.session_lifetime = '1h';
SELECT ((finote.login('dave', 'dave password') ->> 'expires_at')::timestamptz - now())
       BETWEEN interval '59 minutes' AND interval '61 minutes' AS one_hour;
RESET finote.session_lifetime;
-- 0 s is below the 60 s minimum: refused, and the setting is unchanged. The
-- message is matched up to the parameter's name only: PostgreSQL 17 added
-- units to the range after it ("(60 s .. 1073741823 s)", 15: "(60 .. 1073741823)").
SELECT split_part(r, ':', 1) AS sqlstate,
       r LIKE '%: 0 s is outside the valid range for parameter "finote.session_lifetime" (%' AS out_of_range,
       current_setting('finote.session_lifetime') AS session_lifetime
  FROM try($$SET finote.session_lifetime = 0$$) AS r;

-- Expiry is enforced by every function that takes a token.
SELECT finote.note_create(:'tok', 'before expiry', '') ->> 'id' AS nid \gset
UPDATE finote.sessions SET expires_at = now() - interval '1 second'
 WHERE user_id = :'uid' AND token_hash = (SELECT token_hash FROM finote.sessions
                                           WHERE user_id = :'uid' ORDER BY created_at LIMIT 1);
SELECT try(format('SELECT finote.whoami(%L)', :'tok'));
SELECT try(format('SELECT finote.note_get(%L, %L)', :'tok', :'nid'));
SELECT try(format('SELECT finote.note_list(%L)', :'tok'));
SELECT try(format('SELECT finote.note_create(%L, %L, %L)', :'tok', 'x', 'y'));
SELECT try(format('SELECT finote.note_update(%L, %L, %L)', :'tok', :'nid', 'x'));
SELECT try(format('SELECT finote.note_delete(%L, %L)', :'tok', :'nid'));
SELECT try(format('SELECT finote.change_password(%L, %L, %L)', :'tok', 'dave password', 'new password'));

-- A login sweeps expired sessions (a bounded batch each time).
UPDATE finote.sessions SET expires_at = now() - interval '1 day' WHERE user_id = :'uid';
SELECT count(*) AS expired_before FROM finote.sessions WHERE expires_at < now();
SELECT finote.login('dave', 'dave password') IS NOT NULL AS logged_in;
SELECT count(*) AS expired_after FROM finote.sessions WHERE expires_at < now();
