-- User data through the API of whatever version is installed (the 1.0 calls
-- work at every version; pinned and tags when the version has them): the
-- rows guarantees 2 and 7 of finote-release check carry through an upgrade
-- (from 1.2 the delete fills the trash and each first update a revision).
-- Ends with one line 'data: N users, N sessions, N notes'.
SELECT EXISTS (SELECT FROM pg_catalog.pg_proc WHERE pronamespace = 'finote'::regnamespace
               AND proname = 'note_create' AND 'tags' = ANY (proargnames)) AS has_tags \gset
SELECT finote.register('Ana', 'ana password 1') IS NOT NULL AS r1,
       finote.register('bayu.s', 'bayu password 2') IS NOT NULL AS r2,
       finote.register('C_3', 'c3 password 33') IS NOT NULL AS r3 \gset
SELECT finote.login('ana', 'ana password 1') ->> 'token' AS ana \gset
SELECT finote.login('Ana', 'ana password 1') ->> 'token' AS ana2 \gset
SELECT finote.login('bayu.s', 'bayu password 2') ->> 'token' AS bayu \gset
SELECT finote.login('bayu.s', 'bayu password 2') ->> 'token' AS bayu2 \gset
SELECT finote.login('C_3', 'c3 password 33') ->> 'token' AS c3 \gset
SELECT finote.note_create(:'ana', 'First', 'hello') ->> 'id' AS n1 \gset
SELECT finote.note_create(:'ana', '', '') IS NOT NULL AS n2 \gset
SELECT finote.note_create(:'ana', E'quotes '' " \\ and\nnewlines', E'tab\there; 100% a_b') IS NOT NULL AS n3 \gset
SELECT finote.note_create(:'ana', 'Unicode ✓ 笔记', 'émoji 🗒️ مرحبا') IS NOT NULL AS n4 \gset
SELECT finote.note_create(:'bayu', repeat('t', 200), repeat(E'long line\n', 5000)) IS NOT NULL AS n5 \gset
SELECT finote.note_create(:'bayu', 'to delete', 'gone') ->> 'id' AS n6 \gset
SELECT finote.note_create(:'c3', 'C', NULL) ->> 'id' AS n7 \gset
SELECT finote.note_update(:'ana', :'n1', content => 'hello, edited') IS NOT NULL AS u1 \gset
SELECT finote.note_update(:'c3', :'n7', title => 'C, renamed') IS NOT NULL AS u2 \gset
SELECT finote.note_delete(:'bayu', :'n6') IS NULL AS d1 \gset
SELECT finote.logout(:'ana2') IS NULL AS l1 \gset
\if :has_tags
SELECT finote.note_create(:'ana', 'tagged', 'with tags', true, ARRAY['Work', 'home']) IS NOT NULL AS t1 \gset
SELECT finote.note_update(:'c3', :'n7', pinned => true, tags => ARRAY['x']) IS NOT NULL AS t2 \gset
\endif
SELECT finote.change_password(:'bayu', 'bayu password 2', 'bayu password 3') IS NULL AS cp \gset
SELECT count(*) AS users FROM finote.users \gset
SELECT 'data: ' || :'users' || ' users, ' || (SELECT count(*) FROM finote.sessions) || ' sessions, '
       || (SELECT count(*) FROM finote.notes) || ' notes';
