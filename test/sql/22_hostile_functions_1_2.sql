-- Hostile look-alikes (15_hostile_functions) against the API of 1.2: the
-- same plants in public and pg_temp, public first in every search_path,
-- then every function 1.2 adds or changes, every path, including the
-- attempt workers of account_delete and the sweep of expired rows: none of
-- the look-alikes may ever be called.
\i test/sql/include/setup.sql
\set VERBOSITY terse
\i test/sql/include/hostile_plant.sql

SELECT finote.register('hostile12', 'hostile password', '10.12.0.1') IS NOT NULL AS registered;
SELECT pg_catalog.jsonb_extract_path_text(finote.login('hostile12', 'hostile password', '10.12.0.1'),
                                          'token') AS tok \gset
SELECT pg_catalog.jsonb_extract_path_text(finote.note_create(:'tok', 'title', 'words', true, '{T}'),
                                          'id') AS nid \gset
SET finote.revision_collapse = 0;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_update(:'tok', :'nid', 'title 2', NULL, NULL,
                                          '{t,u}', 1), 'version') AS updated;
SELECT try_q(pg_catalog.format('SELECT finote.note_update(%L, %L, %L, if_version => 1)', :'tok', :'nid', 'x')) AS stale;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_update(:'tok', :'nid', 'title 2'), 'version') AS noop;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_update(:'tok', :'nid', content => 'words 2'), 'version') AS again;
RESET finote.revision_collapse;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_update(:'tok', :'nid', content => 'words 3'), 'version') AS collapsed;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_revisions(:'tok', :'nid', 1), 'next_cursor') AS rcur \gset
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(
         finote.note_revisions(:'tok', :'nid', 1, :'rcur'), 'revisions')) AS revisions_page2;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_revisions(:'tok', :'nid'), 'revisions', '1', 'id') AS rid \gset
SELECT pg_catalog.jsonb_extract_path_text(finote.note_revision(:'tok', :'nid', :'rid'), 'title') AS revision;
SELECT try_q(pg_catalog.format('SELECT finote.note_revision(%L, %L, %L)', :'tok', :'nid', :'nid')) AS no_revision;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_restore(:'tok', :'nid', :'rid', 4), 'title') AS restored;
SELECT try_q(pg_catalog.format('SELECT finote.note_delete(%L, %L, 1)', :'tok', :'nid')) AS stale_delete;
SELECT finote.note_delete(:'tok', :'nid', 5);
SELECT pg_catalog.jsonb_extract_path_text(finote.note_create(:'tok', 'second', 'x'), 'id') AS nid2 \gset
SELECT finote.note_delete(:'tok', :'nid2');
SELECT pg_catalog.jsonb_extract_path_text(finote.trash_list(:'tok', 1), 'next_cursor') AS tcur \gset
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(finote.trash_list(:'tok', 1, :'tcur'), 'notes')) AS trash_page2;
SELECT pg_catalog.jsonb_extract_path_text(finote.trash_restore(:'tok', :'nid'), 'version') AS back;
SELECT finote.trash_delete(:'tok', :'nid2');
SELECT pg_catalog.string_agg(e, '' ORDER BY i)::jsonb IS NOT NULL AS export_revisions_parses
  FROM finote.export(:'tok', true) WITH ORDINALITY x(e, i);
SELECT pg_catalog.string_agg(e, '' ORDER BY i)::jsonb IS NOT NULL AS export_parses
  FROM finote.export(:'tok') WITH ORDINALITY x(e, i);
-- Expired rows for the sweep and purge to remove.
CREATE TEMP TABLE hostile12 AS SELECT id FROM finote.users WHERE username OPERATOR(pg_catalog.=) 'hostile12';
UPDATE finote.revisions SET created_at = '2000-01-01' WHERE user_id OPERATOR(pg_catalog.=) (SELECT id FROM hostile12);
SELECT pg_catalog.jsonb_extract_path_text(finote.note_update(:'tok', :'nid', content => 'sweeps'), 'version') AS sweep;
SELECT finote.note_delete(:'tok', :'nid');
UPDATE finote.trash SET deleted_at = '2000-01-01' WHERE user_id OPERATOR(pg_catalog.=) (SELECT id FROM hostile12);
SELECT finote.purge(10) OPERATOR(pg_catalog.>) 0 AS purged;
SET finote.revision_collapse = 0;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_create(:'tok', 'third', 'x'), 'id') AS nid3 \gset
SELECT pg_catalog.jsonb_extract_path_text(finote.note_update(:'tok', :'nid3', content => 'y'), 'version') AS v2;
RESET finote.revision_collapse;
SET finote.revisions_keep = 0;
SELECT finote.purge() OPERATOR(pg_catalog.>) 0 AS purged_counts;
RESET finote.revisions_keep;
SELECT try_q(pg_catalog.format('SELECT finote.account_delete(%L, %L, %L)', :'tok', 'wrong password', '10.12.0.2')) AS wrong;
SELECT finote.account_delete(:'tok', 'hostile password', '10.12.0.3');
SELECT try_q(pg_catalog.format('SELECT finote.whoami(%L)', :'tok')) AS deleted;

\i test/sql/include/hostile_check.sql
