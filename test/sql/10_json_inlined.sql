-- 1.1.1: the JSON helpers inline down to to_char(), so the API's kept plans
-- never enter the SQL-function executor per row.
\i test/sql/include/setup.sql
CREATE FUNCTION plan_text(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || sql LOOP
    plan := plan || line || E'\n';
  END LOOP;
  RETURN plan;
END
$$;
SELECT plan_text('SELECT finote._note_json(n) FROM finote.notes n') ~ '_timestamp_json|_note_json' AS note_calls_a_function,
       plan_text('SELECT finote._note_json(n) FROM finote.notes n') ~ 'to_char' AS note_inlined;
SELECT plan_text('SELECT finote._user_json(u) FROM finote.users u') ~ '_timestamp_json|_user_json' AS user_calls_a_function,
       plan_text('SELECT finote._user_json(u) FROM finote.users u') ~ 'to_char' AS user_inlined;
SELECT provolatile FROM pg_proc WHERE oid = 'finote._timestamp_json'::regproc;
