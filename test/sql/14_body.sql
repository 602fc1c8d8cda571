-- Request bodies (1.1.3, issue 13): finote.body_json parses a body without
-- ever quoting it in an error, refuses duplicate keys, \u0000 and lone
-- surrogates; body_text and body_tags refuse a field of the wrong JSON type,
-- naming the field.
\i test/sql/include/setup.sql
\set VERBOSITY default

-- The message and detail of an error: what PostgreSQL would log.
CREATE FUNCTION try_full(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  msg text; detail text; ctx text;
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ': ' || msg || coalesce(' / ' || nullif(detail, ''), '');
END
$$;

SELECT finote.body_json('{"username": "alice", "password": "TopSecretPw1"}') - 'password' AS parsed;
SELECT finote.body_json(NULL) IS NULL AS null_body;
-- Malformed, and the JSON jsonb cannot hold: one error, no input quoted.
SELECT b AS body_kind, try_full(format('SELECT finote.body_json(%L)', body)) AS result
  FROM (VALUES ('trailing comma', '{"username":"alice","password":"TopSecretPw1",}'),
               ('nul escape', '{"username":"alice","password":"TopSecretPw1\u0000"}'),
               ('lone surrogate', '{"password":"TopSecretPw1","x":"\ud800"}'),
               ('low surrogate', '{"password":"TopSecretPw1\udc00"}'),
               ('bad token', '{"password":TopSecretPw1}'),
               ('unterminated', '{"password":"TopSecretPw1'),
               ('duplicate key', '{"password":"TopSecretPw1","password":"other"}'),
               ('nested duplicate', '{"a":{"k":1,"j":2,"k":3}}'),
               ('huge number', '{"password":"TopSecretPw1","n":1e999999}')) AS t(b, body);
-- The same key in two different objects is fine.
SELECT finote.body_json('{"a":{"k":1},"b":{"k":2},"k":3}') AS distinct_objects;
-- Deep nesting is a limit of the server, not a crash.
SELECT try_full(format('SELECT finote.body_json(%L)', repeat('[', 100000))) ~ '^54001' AS too_deep;

-- Typed fields.
SELECT finote.body_text('{"title":"hello"}', 'title') AS title,
       finote.body_text('{"title":null}', 'title') IS NULL AS null_title,
       finote.body_text('{}', 'title') IS NULL AS absent_title;
SELECT f AS field_value, try_full(format('SELECT finote.body_text(%L, %L)', b, 'title')) AS result
  FROM (VALUES ('number', '{"title":42}'), ('boolean', '{"title":true}'),
               ('array', '{"title":["a"]}'), ('object', '{"title":{"a":1}}')) AS t(f, b);
SELECT try_full($$SELECT finote.body_text('[1]', 'title')$$) AS not_an_object;
SELECT finote.body_tags('{"tags":["a","B"]}') AS tags,
       finote.body_tags('{"tags":[]}') AS no_tags,
       finote.body_tags('{"tags":null}') IS NULL AS null_tags;
SELECT try_full($$SELECT finote.body_tags('{"tags":[1, true, {"k":"v"}, [2]]}')$$) AS mixed_tags,
       try_full($$SELECT finote.body_tags('{"tags":"a"}')$$) AS string_tags;

DROP FUNCTION try_full(text);
