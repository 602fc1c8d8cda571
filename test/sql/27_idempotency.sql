-- 1.3: idempotency keys. A write sent with a key is done once: the same
-- request again answers what the first answered, without doing the work
-- again (the retry of a create whose answer was lost after its commit);
-- the key with another request is refused; keys are per user, bounded per
-- user, and expire.
\i test/sql/include/setup.sql
\set VERBOSITY terse

SELECT finote.register('t27ann', 't27ann password') IS NOT NULL AS ann;
SELECT finote.register('t27bob', 't27bob password') IS NOT NULL AS bob;
SELECT finote.login('t27ann', 't27ann password') ->> 'token' AS ann \gset
SELECT finote.login('t27bob', 't27bob password') ->> 'token' AS bob \gset

-- The statement the shim sends for a keyed POST /api/notes (shim/routes.c,
-- KEYED): the claim, then the create and its store only when the claim
-- found no answer.
CREATE FUNCTION keyed_create(tok text, k text, body text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT a FROM (
    SELECT CASE WHEN c IS NULL
                THEN finote.idempotency_store(tok, k,
                       (SELECT jsonb_build_object('body', jsonb_build_object('note', n),
                                                  'etag', n ->> 'version')
                          FROM (SELECT finote.body_json(body) AS b) AS x,
                               finote.note_create(tok, finote.body_text(b, 'title'),
                                                  finote.body_text(b, 'content')) AS n))
                ELSE c END AS a
      FROM (SELECT finote.idempotency_claim(tok, k, 'POST /api/notes', body) AS c OFFSET 0) AS claim
    OFFSET 0) AS w
$$;
CREATE FUNCTION notes_of(tok text) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM jsonb_array_elements(finote.note_list(tok, lim => 100) -> 'notes')
$$;

-- The first request: done, its answer kept.
SELECT keyed_create(:'ann', 'key-1', '{"title":"once","content":"c"}') AS first \gset
SELECT :'first'::jsonb -> 'body' -> 'note' ->> 'title' AS title,
       :'first'::jsonb ->> 'etag' AS etag, :'first'::jsonb ? 'replayed' AS replayed;
-- Its connection broke after the commit; the retry with the same key and
-- body: the same answer, marked replayed, and still one note.
SELECT keyed_create(:'ann', 'key-1', '{"title":"once","content":"c"}') AS again \gset
SELECT (:'again'::jsonb - 'replayed') = :'first'::jsonb AS same_answer,
       :'again'::jsonb ->> 'replayed' AS replayed, notes_of(:'ann') AS notes;
-- The same key with another body, or for another route: 422 (PTK22).
SELECT try(format('SELECT keyed_create(%L, %L, %L)', :'ann', 'key-1', '{"title":"twice","content":"c"}')) AS other_body;
SELECT try(format('SELECT finote.idempotency_claim(%L, %L, %L, %L)', :'ann', 'key-1',
                  'POST /api/import', '{"title":"once","content":"c"}')) AS other_route;
SELECT notes_of(:'ann') AS notes;
-- Another user's key of the same name never matches: bob's create is done.
SELECT keyed_create(:'bob', 'key-1', '{"title":"once","content":"c"}') ? 'replayed' AS bob_replayed;
SELECT notes_of(:'bob') AS bob_notes;
SELECT count(*) AS key_rows FROM finote.idempotency_keys WHERE key = 'key-1';

-- A write that fails keeps no key: the same key may be sent again.
SELECT try(format('SELECT keyed_create(%L, %L, %L)', :'ann', 'key-2', '{"title":' || to_json(repeat('x', 201)) || '}')) AS too_long;
SELECT count(*) AS key_2_rows FROM finote.idempotency_keys WHERE key = 'key-2';
SELECT keyed_create(:'ann', 'key-2', '{"title":"second try","content":"c"}') -> 'body' -> 'note' ->> 'title' AS key_2;

-- Malformed keys: 22023; none of them is stored.
SELECT try(format('SELECT keyed_create(%L, %L, %L)', :'ann', k, '{"title":"x"}')) AS malformed
  FROM unnest(ARRAY['', 'with space', repeat('k', 256), E'tab\there', 'é']) AS k;
SELECT try(format('SELECT keyed_create(%L, %L, %L)', :'ann', repeat('k', 255), '{"title":"longest key"}')) LIKE 'ok:%' AS longest_key_ok;
-- No session: 28000; a store without its claim: refused.
SELECT try(format('SELECT finote.idempotency_claim(%L, %L, %L)', 'nonsense', 'k', 'POST /api/notes')) AS no_session;
SELECT try(format('SELECT finote.idempotency_store(%L, %L, %L)', :'ann', 'never-claimed', '{}')) AS unclaimed;

-- The bound: at finote.idempotency_keys_max live keys a claim is PTK29
-- with the time until the oldest expires; nothing is forgotten early.
SET finote.idempotency_keys_max = 4;
SELECT count(*) AS ann_keys FROM finote.idempotency_keys k JOIN finote.users u ON u.id = k.user_id WHERE u.username = 't27ann';
SELECT keyed_create(:'ann', 'key-4', '{"title":"fourth"}') -> 'body' -> 'note' ->> 'title' AS key_4;
SELECT try(format('SELECT keyed_create(%L, %L, %L)', :'ann', 'key-5', '{"title":"fifth"}')) AS over_bound;
-- a repeat of a kept key is still answered at the bound
SELECT keyed_create(:'ann', 'key-1', '{"title":"once","content":"c"}') ->> 'replayed' AS replay_at_bound;
-- and bob's keys are his own
SELECT keyed_create(:'bob', 'key-5', '{"title":"bob fifth"}') ? 'replayed' AS bob_not_bounded_by_ann;

-- Expiry: a key past finote.idempotency_key_lifetime is no longer matched
-- (the same key does the work again) and is swept by finote.purge.
UPDATE finote.idempotency_keys SET expires_at = now() - interval '1 second'
 WHERE key = 'key-1' AND user_id = (SELECT id FROM finote.users WHERE username = 't27ann');
SELECT keyed_create(:'ann', 'key-1', '{"title":"once","content":"c"}') ? 'replayed' AS expired_replayed;
SELECT notes_of(:'ann') AS notes;
UPDATE finote.idempotency_keys SET expires_at = now() - interval '1 second';
SELECT finote.purge() >= 6 AS purged;
SELECT count(*) AS keys_left FROM finote.idempotency_keys;
RESET finote.idempotency_keys_max;

-- An account's keys go with it.
SELECT keyed_create(:'bob', 'gone', '{"title":"x"}') IS NOT NULL AS bob_key;
SELECT finote.account_delete(:'bob', 't27bob password');
SELECT count(*) AS bob_keys FROM finote.idempotency_keys WHERE key = 'gone';

-- The API role may claim and store, not read the table.
SELECT has_function_privilege('finote_api', 'finote.idempotency_claim(text, text, text, text)', 'EXECUTE') AS claim,
       has_function_privilege('finote_api', 'finote.idempotency_store(text, text, jsonb)', 'EXECUTE') AS store,
       has_table_privilege('finote_api', 'finote.idempotency_keys', 'SELECT') AS reads_table;

DROP FUNCTION keyed_create(text, text, text);
DROP FUNCTION notes_of(text);
