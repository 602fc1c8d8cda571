-- finote-db seed: three demo users and their notes, through the SQL API of
-- the installed version (tags and pinned when it has them). Users that exist
-- already are skipped. Prints one line per user:
--   skipped WHO | created WHO PASSWORD NOTES
SELECT EXISTS (SELECT FROM pg_catalog.pg_proc WHERE pronamespace = 'finote'::regnamespace
               AND proname = 'note_create' AND 'tags' = ANY (proargnames)) AS has_tags \gset
CREATE TEMP TABLE seed_notes (who text, n int, title text, content text, pinned boolean, tags text[]);
INSERT INTO seed_notes (who, n, title, content, pinned, tags) VALUES
 ('ayu', 1, 'Welcome to Finote', E'This is a demo account.\nNotes are private to their owner; try the search box.', true, '{finote}'),
 ('ayu', 2, 'Groceries', E'- beras 5 kg\n- telur\n- bawang merah, bawang putih\n- cabai rawit\n- kopi', false, '{home,shopping}'),
 ('ayu', 3, 'Rapat tim senin', E'Agenda:\n1. status rilis 1.1\n2. backup sebelum migrate\n3. on-call minggu depan', true, '{work}'),
 ('ayu', 4, 'Book list', E'The Pragmatic Programmer\nDesigning Data-Intensive Applications\nLaskar Pelangi', false, '{reading}'),
 ('ayu', 5, 'Resep nasi goreng', E'Bumbu: bawang putih, bawang merah, kecap manis, cabai.\nTumis bumbu, masukkan nasi, aduk rata, tambahkan telur.', false, '{home,recipes}'),
 ('ayu', 6, 'Ideas', 'A notes app whose logic lives in the database: every rule in one place.', false, '{}'),
 ('ayu', 7, 'Passwords policy', E'Never store passwords in notes.\nUse a password manager.', false, '{work,security}'),
 ('ayu', 8, '', 'A note without a title.', false, '{}'),
 ('ayu', 9, 'Travel: Yogyakarta', E'Borobudur at sunrise, Prambanan in the afternoon, gudeg for dinner.', false, '{travel}'),
 ('ayu', 10, 'Unicode ✓', E'Emoji 🗒️, accents café, CJK 笔记, RTL مرحبا', false, '{test}'),
 ('ayu', 11, 'Quarterly goals', E'Q1: ship tags\nQ2: sharing\nQ3: offline mode', false, '{work,planning}'),
 ('ayu', 12, 'Meeting notes 2026-11-20', E'Decided: migrations run before the new shim is deployed.\nOwner: ops.', false, '{work}'),
 ('budi', 1, 'Daftar belanja', E'- sabun\n- pasta gigi\n- susu', false, '{shopping}'),
 ('budi', 2, 'Workout plan', E'Mon: run 5 km\nWed: strength\nFri: swim', true, '{health}'),
 ('budi', 3, 'Server checklist', E'1. bin/finote-db backup\n2. bin/finote-db migrate\n3. replace the shim\n4. check /readyz', true, '{work,ops}'),
 ('budi', 4, 'Birthday gifts', E'Ibu: batik\nAdik: headphones', false, '{family}'),
 ('budi', 5, 'Bug: search with %', 'Searching for 100% or a_b must match those characters literally.', false, '{work,bugs}'),
 ('budi', 6, 'Reading: SQL', 'Window functions, LATERAL, keyset pagination instead of OFFSET.', false, '{reading}'),
 ('budi', 7, 'Long note', repeat(E'Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n', 40), false, '{}'),
 ('budi', 8, 'Car service', 'Oil change at 45,000 km; tyres next time.', false, '{}'),
 ('budi', 9, 'Podcast ideas', E'- interview a DBA\n- "zero downtime" myths', false, '{ideas}'),
 ('budi', 10, 'Kata sandi Wi-Fi tamu', 'Ada di balik router (bukan di sini).', false, '{home}'),
 ('citra', 1, 'Thesis outline', E'1. Introduction\n2. Related work\n3. Method\n4. Evaluation\n5. Conclusion', true, '{study}'),
 ('citra', 2, 'Papers to read', E'- The Log-Structured Merge-Tree\n- Spanner\n- Calvin', false, '{study,reading}'),
 ('citra', 3, 'Lab schedule', E'Tue 09:00-12:00\nThu 13:00-16:00', false, '{study}'),
 ('citra', 4, 'Recipe: rendang', E'Slow-cook beef with coconut milk and spices for 4 hours.', false, '{recipes}'),
 ('citra', 5, 'Plant care', E'Water the monstera on Sundays; the cactus once a month.', false, '{home}'),
 ('citra', 6, 'Quotes', E'"Make it work, make it right, make it fast." (Kent Beck)', false, '{}'),
 ('citra', 7, 'Budget November', E'Rent 40%\nFood 25%\nSavings 20%\nOther 15%', false, '{money}'),
 ('citra', 8, 'Conference talk', E'Title: Migrations without fear\nDemo: ALTER EXTENSION finote UPDATE', false, '{work,ideas}');
CREATE TEMP TABLE seed_users (who text, password text);
INSERT INTO seed_users VALUES ('ayu', 'ayu-demo-pass'), ('budi', 'budi-demo-pass'), ('citra', 'citra-demo-pass');
CREATE TEMP TABLE seed_done (who text);
INSERT INTO seed_done SELECT who FROM seed_users s
 WHERE EXISTS (SELECT FROM finote.users u WHERE lower(u.username) = s.who);
SELECT count(*) FILTER (WHERE finote.register(s.who, s.password) IS NOT NULL) AS registered
  FROM seed_users s WHERE s.who NOT IN (SELECT who FROM seed_done) \gset
CREATE TEMP TABLE seed_tokens AS
SELECT s.who, finote.login(s.who, s.password) OPERATOR(pg_catalog.->>) 'token' AS token
  FROM seed_users s WHERE s.who NOT IN (SELECT who FROM seed_done);
\if :has_tags
SELECT count(finote.note_create(t.token, n.title, n.content, n.pinned, n.tags)) AS notes
  FROM (SELECT * FROM seed_notes ORDER BY who, n) n JOIN seed_tokens t USING (who) \gset
\else
SELECT count(finote.note_create(t.token, n.title, n.content)) AS notes
  FROM (SELECT * FROM seed_notes ORDER BY who, n) n JOIN seed_tokens t USING (who) \gset
\endif
SELECT count(finote.logout(token)) AS logged_out FROM seed_tokens \gset
SELECT 'skipped ' || who FROM seed_done ORDER BY who;
SELECT 'created ' || who || ' ' || password || ' ' ||
       (SELECT count(*) FROM seed_notes n WHERE n.who = s.who)
  FROM seed_users s WHERE who NOT IN (SELECT who FROM seed_done) ORDER BY who;
