-- register, login, whoami, logout, change_password: success and every error.
\i test/sql/include/setup.sql
\set VERBOSITY terse

-- Usernames: 2 to 32 characters of A-Z a-z 0-9 _ . -, kept as typed.
SELECT finote.register('Ada.L_1-x', 'correct horse') - 'id' - 'created_at' AS registered;
SELECT (finote.register('ab', 'password')) ->> 'username' AS shortest;
SELECT (finote.register(repeat('z', 32), 'password')) ->> 'username' = repeat('z', 32) AS longest;
SELECT try($$SELECT finote.register('a', 'password')$$);
SELECT try($$SELECT finote.register(repeat('z', 33), 'password')$$);
SELECT try($$SELECT finote.register('has space', 'password')$$);
SELECT try($$SELECT finote.register('émile', 'password')$$);
SELECT try($$SELECT finote.register('', 'password')$$);
SELECT try($$SELECT finote.register(NULL, 'password')$$);
-- Unique case-insensitively.
SELECT try($$SELECT finote.register('ADA.l_1-X', 'other password')$$);

-- Passwords: 8 to 1024 bytes.
SELECT try($$SELECT finote.register('pw7', '1234567')$$);
SELECT try($$SELECT finote.register('pw8', '12345678') ->> 'username'$$);
SELECT try($$SELECT finote.register('pw1024', repeat('x', 1024)) ->> 'username'$$);
SELECT try($$SELECT finote.register('pw1025', repeat('x', 1025))$$);
SELECT try($$SELECT finote.register('pwnull', NULL)$$);
-- Bytes, not characters: 4 two-byte characters are 8 bytes.
SELECT try($$SELECT finote.register('pwmb', 'éééé') ->> 'username'$$);

-- The user JSON has exactly id, username, created_at; never a hash.
SELECT array_agg(k ORDER BY k) AS user_keys
  FROM jsonb_object_keys(finote.register('keys', 'password')) k;

-- Only an argon2id string is stored.
SELECT username, password_hash LIKE '$argon2id$v=19$m=19456,t=2,p=1$%' AS argon2id
  FROM finote.users WHERE username = 'Ada.L_1-x';

-- Login, with any case of the username.
SELECT finote.login('ada.l_1-X', 'correct horse') AS l \gset
SELECT array_agg(k ORDER BY k) AS login_keys FROM jsonb_object_keys(:'l'::jsonb) k;
SELECT (:'l'::jsonb) -> 'user' ->> 'username' AS username,
       length((:'l'::jsonb) ->> 'token') AS token_length,
       ((:'l'::jsonb) ->> 'expires_at')::timestamptz
         BETWEEN now() + interval '7 days' - interval '1 minute'
             AND now() + interval '7 days' + interval '1 minute' AS expires_in_7_days;
SELECT (:'l'::jsonb) ->> 'token' AS tok \gset

-- Bad credentials: same code and message for a wrong password and an
-- unknown or malformed username.
SELECT try($$SELECT finote.login('Ada.L_1-x', 'wrong horse')$$);
SELECT try($$SELECT finote.login('nobody', 'correct horse')$$);
SELECT try($$SELECT finote.login('no body!', 'correct horse')$$);
SELECT try($$SELECT finote.login('Ada.L_1-x', '')$$);
SELECT try($$SELECT finote.login(NULL, 'correct horse')$$);

-- whoami
SELECT finote.whoami(:'tok') ->> 'username' AS whoami;
SELECT try($$SELECT finote.whoami(NULL)$$);
SELECT try($$SELECT finote.whoami('')$$);
SELECT try($$SELECT finote.whoami('not a token')$$);
SELECT try(format('SELECT finote.whoami(%L)', repeat('A', 64)));
SELECT try(format('SELECT finote.whoami(%L)', left(:'tok', 63) ||
           CASE WHEN right(:'tok', 1) = 'A' THEN 'B' ELSE 'A' END));

-- Each login is its own session, with its own token.
SELECT finote.login('Ada.L_1-x', 'correct horse') ->> 'token' AS tok2 \gset
SELECT finote.login('Ada.L_1-x', 'correct horse') ->> 'token' AS tok3 \gset
SELECT :'tok' <> :'tok2' AND :'tok2' <> :'tok3' AS distinct_tokens;

-- logout revokes that session only; an unknown token is not an error.
SELECT finote.logout(:'tok3');
SELECT try(format('SELECT finote.whoami(%L)', :'tok3'));
SELECT finote.whoami(:'tok2') ->> 'username' AS still_logged_in;
SELECT try(format('SELECT finote.logout(%L)', :'tok3'));
SELECT try($$SELECT finote.logout('garbage')$$);
SELECT try($$SELECT finote.logout(NULL)$$);

-- change_password: checks the current password and the new one, then
-- revokes every other session and keeps the caller's.
SELECT try(format('SELECT finote.change_password(%L, %L, %L)', :'tok', 'wrong horse', 'battery staple'));
SELECT try(format('SELECT finote.change_password(%L, %L, %L)', :'tok', 'correct horse', 'short'));
SELECT try(format('SELECT finote.change_password(%L, %L, NULL)', :'tok', 'correct horse'));
SELECT try(format('SELECT finote.change_password(%L, %L, %L)', 'bad token', 'correct horse', 'battery staple'));
SELECT try(format('SELECT finote.change_password(%L, %L, %L)', :'tok', 'correct horse', 'battery staple'));
SELECT finote.whoami(:'tok') ->> 'username' AS caller_kept;
SELECT try(format('SELECT finote.whoami(%L)', :'tok2'));
SELECT try($$SELECT finote.login('Ada.L_1-x', 'correct horse')$$);
SELECT finote.login('Ada.L_1-x', 'battery staple') -> 'user' ->> 'username' AS new_password_works;
