-- 1.2: history. A change of title, content or tags keeps the replaced
-- state as a revision; autosaves within finote.revision_collapse keep one;
-- finote.revisions_keep and finote.revisions_max_age bound them; a restore
-- is a change, and can be undone.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('t18cat', 't18cat password') IS NOT NULL AS cat;
SELECT finote.register('t18dan', 't18dan password') IS NOT NULL AS dan;
SELECT finote.login('t18cat', 't18cat password') ->> 'token' AS cat \gset
SELECT finote.login('t18dan', 't18dan password') ->> 'token' AS dan \gset

-- Every change its revision (no collapse window).
SET finote.revision_collapse = 0;
SELECT finote.note_create(:'cat', 'draft', 'one', tags => '{x}') ->> 'id' AS id \gset
SELECT finote.note_update(:'cat', :'id', content => 'one two') -> 'version' AS v2;
SELECT finote.note_update(:'cat', :'id', content => 'one two three') -> 'version' AS v3;
SELECT finote.note_update(:'cat', :'id', 'final', tags => '{x,y}') -> 'version' AS v4;
-- Pinning is not an edit: a new version, no revision. A no-op: neither.
SELECT finote.note_update(:'cat', :'id', pinned => true) -> 'version' AS v5_pinned;
SELECT finote.note_update(:'cat', :'id', 'final') -> 'version' AS v5_noop;

-- Newest first, the version each held, without the text but its size.
SELECT r ->> 'version' AS version, r ->> 'title' AS title, r -> 'tags' AS tags,
       r -> 'pinned' AS pinned, r -> 'content_length' AS content_length,
       r ? 'content' AS has_content, r ?& '{id,created_at}' AS has_keys
  FROM jsonb_array_elements(finote.note_revisions(:'cat', :'id') -> 'revisions') r;
SELECT finote.note_revisions(:'cat', :'id') -> 'next_cursor' AS no_more;

-- Pages: neither skip nor repeat.
SELECT finote.note_revisions(:'cat', :'id', 2) AS p1 \gset
SELECT jsonb_path_query_array(:'p1'::jsonb, '$.revisions[*].version') AS page1,
       (:'p1'::jsonb) ->> 'next_cursor' AS cursor1;
SELECT jsonb_path_query_array(finote.note_revisions(:'cat', :'id', 2, (:'p1'::jsonb) ->> 'next_cursor'),
                              '$.revisions[*].version') AS page2;
SELECT try(format('SELECT finote.note_revisions(%L, %L, 2, %L)', :'cat', :'id', 'x1'));
SELECT try(format('SELECT finote.note_revisions(%L, %L, 2, %L)', :'cat', :'id', '99999999999999999999'));
SELECT try(format('SELECT finote.note_revisions(%L, %L, 0)', :'cat', :'id'));
SELECT try(format('SELECT finote.note_revisions(%L, %L, 101)', :'cat', :'id'));
SELECT try(format('SELECT finote.note_revisions(%L, %L)', :'cat', gen_random_uuid()));
SELECT try(format('SELECT finote.note_revisions(%L, %L)', :'dan', :'id')) AS other_user;
SELECT try(format('SELECT finote.note_revisions(%L, NULL)', :'cat'));

-- One revision, whole.
SELECT finote.note_revisions(:'cat', :'id') -> 'revisions' -> 2 ->> 'id' AS r1 \gset
SELECT r ->> 'version' AS version, r ->> 'title' AS title, r ->> 'content' AS content,
       r ->> 'note_id' = :'id' AS note_id, r -> 'tags' AS tags
  FROM finote.note_revision(:'cat', :'id', :'r1') r;
SELECT try(format('SELECT finote.note_revision(%L, %L, %L)', :'cat', :'id', gen_random_uuid()));
SELECT try(format('SELECT finote.note_revision(%L, %L, %L)', :'dan', :'id', :'r1')) AS other_user;
SELECT try(format('SELECT finote.note_revision(%L, %L, NULL)', :'cat', :'id'));

-- Restore version 1: its title, content and tags come back (pinned stays),
-- as a new version; the replaced text is a revision, so it can be undone.
SELECT n ->> 'title' AS title, n ->> 'content' AS content, n -> 'tags' AS tags,
       n -> 'pinned' AS pinned, n -> 'version' AS version
  FROM finote.note_restore(:'cat', :'id', :'r1') n;
SELECT r ->> 'version' AS newest_version, r ->> 'title' AS newest_title
  FROM (SELECT finote.note_revisions(:'cat', :'id', 1) -> 'revisions' -> 0 AS r) s;
SELECT finote.note_revisions(:'cat', :'id', 1) -> 'revisions' -> 0 ->> 'id' AS undo \gset
SELECT n ->> 'title' AS undone_title, n ->> 'content' AS undone_content, n -> 'version' AS version
  FROM finote.note_restore(:'cat', :'id', :'undo') n;
-- With a stale if_version a restore is refused and changes nothing.
SELECT try(format('SELECT finote.note_restore(%L, %L, %L, 3)', :'cat', :'id', :'r1'));
SELECT finote.note_get(:'cat', :'id') -> 'version' AS still_7;
SELECT n -> 'version' AS restored_at_7 FROM finote.note_restore(:'cat', :'id', :'r1', 7) n;
SELECT try(format('SELECT finote.note_restore(%L, %L, %L)', :'cat', :'id', gen_random_uuid()));
SELECT try(format('SELECT finote.note_restore(%L, %L, %L)', :'dan', :'id', :'r1')) AS other_user;
-- Restoring what the note holds already changes nothing.
SELECT finote.note_restore(:'cat', :'id', :'r1') -> 'version' AS noop_restore;

-- The collapse window: a burst of autosaves keeps one revision, the text
-- from before the burst; a restore always keeps one.
SET finote.revision_collapse = '1h';
SELECT finote.note_create(:'cat', 'typing', 'a') ->> 'id' AS tid \gset
SELECT count(finote.note_update(:'cat', :'tid', content => repeat('a', i)))
  FROM generate_series(2, 20) i;
SELECT finote.note_get(:'cat', :'tid') -> 'version' AS version_20;
SELECT count(*) AS burst_revisions, min(content) AS before_burst
  FROM finote.revisions WHERE note_id = :'tid';
SELECT finote.note_restore(:'cat', :'tid',
         (SELECT id FROM finote.revisions WHERE note_id = :'tid')) ->> 'content' AS restored;
SELECT count(*) AS after_restore FROM finote.revisions WHERE note_id = :'tid';
-- Once the newest revision is older than the window, the next change keeps one.
UPDATE finote.revisions SET created_at = created_at - interval '2 hours' WHERE note_id = :'tid';
SELECT finote.note_update(:'cat', :'tid', content => 'later') -> 'version' AS later;
SELECT count(*) AS after_window FROM finote.revisions WHERE note_id = :'tid';
RESET finote.revision_collapse;
SHOW finote.revision_collapse;

-- revisions_keep: the newest N per note, kept at each change.
SET finote.revision_collapse = 0;
SET finote.revisions_keep = 3;
SELECT finote.note_create(:'cat', 'kept', '0') ->> 'id' AS kid \gset
SELECT count(finote.note_update(:'cat', :'kid', content => i::text)) FROM generate_series(1, 10) i;
SELECT array_agg(version ORDER BY version) AS newest_three FROM finote.revisions WHERE note_id = :'kid';
-- Lowered further, finote.purge trims every note.
SET finote.revisions_keep = 1;
SELECT finote.purge() >= 2 AS purged_counts;
SELECT array_agg(version ORDER BY version) AS newest_one FROM finote.revisions WHERE note_id = :'kid';
SET finote.revisions_keep = 0;
SELECT finote.note_update(:'cat', :'kid', content => 'no history') -> 'version' AS v12;
SELECT count(*) AS none_kept FROM finote.revisions WHERE note_id = :'kid';
RESET finote.revisions_keep;

-- revisions_max_age: older revisions go, by finote.purge ...
SELECT finote.note_create(:'cat', 'aged', '0') ->> 'id' AS aid \gset
SELECT count(finote.note_update(:'cat', :'aid', content => i::text)) FROM generate_series(1, 4) i;
UPDATE finote.revisions SET created_at = now() - interval '91 days'
 WHERE note_id = :'aid' AND version <= 2;
SELECT finote.purge() AS purged_old;
SELECT array_agg(version ORDER BY version) AS young_ones FROM finote.revisions WHERE note_id = :'aid';
SET finote.revisions_max_age = '1d';
UPDATE finote.revisions SET created_at = now() - interval '2 days' WHERE note_id = :'aid';
SELECT finote.purge(1) AS one_at_a_time, finote.purge(10) AS the_rest, finote.purge() AS nothing_left;
RESET finote.revisions_max_age;
RESET finote.revision_collapse;
SELECT try('SELECT finote.purge(0)');
SELECT try('SELECT finote.purge(100001)');
