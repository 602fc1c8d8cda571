-- Hostile look-alikes (issue 13, finding 1). A role that may create
-- functions in public plants, in public and in its pg_temp, a copy of every
-- function and operator the extension's SQL uses, with the same signatures
-- and with integer variants of float and numeric arguments (which would be
-- exact matches for integer arguments, like public.make_interval(integer)
-- was for the failed-login worker). public even comes before pg_catalog in
-- the database's default search_path (what the background worker starts
-- with) and in the caller's. Then the whole API runs, the attempt workers
-- included: none of the look-alikes may ever be called.
\i test/sql/include/setup.sql
\set VERBOSITY terse

\i test/sql/include/hostile_plant.sql

-- The whole API, every path: statements below use no unqualified operator.
SELECT finote.register('hostile_user', 'hostile password', '10.6.0.1') IS NOT NULL AS registered;
SELECT try_q($$SELECT finote.register('hostile_user', 'hostile password', '10.6.0.1')$$) AS taken;
SELECT try_q($$SELECT finote.register('hostile_other', 'hostile password') IS NOT NULL$$) AS no_address;
SELECT try_q($$SELECT finote.login('hostile_user', 'wrong password', '10.6.0.2')$$) AS wrong;
SELECT try_q($$SELECT finote.login('hostile_user', 'wrong password', '2001:db8::7')$$) AS wrong_v6;
SELECT try_q($$SELECT finote.login('no such user', 'wrong password', '10.6.0.2')$$) AS malformed;
SELECT try_q($$SELECT finote.login('hostile_user', 'wrong password')$$) AS wrong_no_address;
SELECT pg_catalog.jsonb_extract_path_text(finote.login('hostile_user', 'hostile password', '10.6.0.3'),
                                          'token') AS tok \gset
SELECT pg_catalog.jsonb_extract_path_text(finote.whoami(:'tok'), 'username') AS whoami;
SELECT pg_catalog.jsonb_extract_path_text(
         finote.note_create(:'tok', 'hostile title', 'hostile content words', true,
                            '{Tag1,tag2}'), 'id') AS nid \gset
SELECT pg_catalog.jsonb_extract_path_text(finote.note_create(:'tok', 'second', 'plain'), 'id') AS nid2 \gset
SELECT pg_catalog.jsonb_extract_path_text(finote.note_get(:'tok', :'nid'), 'title') AS got;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_update(:'tok', :'nid', 'new title', NULL, false,
                                                             '{tag3}'), 'title') AS updated;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_update(:'tok', :'nid2', 'second'), 'title') AS unchanged;
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(finote.note_list(:'tok'), 'notes')) AS listed;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_list(:'tok', NULL, 1), 'next_cursor') AS cur \gset
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(finote.note_list(:'tok', NULL, 1, :'cur'), 'notes')) AS next_page;
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(finote.note_list(:'tok', 'content wor'), 'notes')) AS searched;
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(finote.note_list(:'tok', 'ti', 20, NULL, 'TAG3'), 'notes')) AS searched_tag;
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(finote.note_list(:'tok', NULL, 20, NULL, 'tag3'), 'notes')) AS tagged;
SELECT finote.note_tags(:'tok') AS tags;
SELECT try_q(pg_catalog.format('SELECT finote.note_get(%L, %L)', :'tok', '00000000-0000-0000-0000-000000000000')) AS missing;
SELECT finote.note_delete(:'tok', :'nid2');
SELECT try_q(pg_catalog.format('SELECT finote.change_password(%L, %L, %L, %L)', :'tok', 'wrong password',
                             'newer password', '10.6.0.3')) AS wrong_current;
SELECT finote.change_password(:'tok', 'hostile password', 'newer password', '10.6.0.3');
SELECT finote.change_password(:'tok', 'newer password', 'hostile password');
SELECT finote.logout(:'tok');
SELECT try_q(pg_catalog.format('SELECT finote.whoami(%L)', :'tok')) AS logged_out;
SELECT finote.body_text(finote.body_json('{"title":"t","tags":["a"]}'), 'title') AS body_title,
       finote.body_tags(finote.body_json('{"title":"t","tags":["a"]}')) AS body_tags;
SELECT try_q($$SELECT finote.body_json('{"a":1,"a":2}')$$) AS duplicate;

\i test/sql/include/hostile_check.sql
