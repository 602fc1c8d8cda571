-- POST /api/auth/login: argon2id-bound (finote.password_memlimit 19 MB, opslimit 2).
\set n random(1, :nusers)
SELECT finote.login('u' || lpad(:n::text, 5, '0'), 'bench-password-1');
