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

CREATE ROLE mallory LOGIN;
GRANT CREATE ON SCHEMA public TO mallory;
SET ROLE mallory;
-- nextval is not rolled back with a failing login.
CREATE SEQUENCE public.hostile_calls;
GRANT ALL ON SEQUENCE public.hostile_calls TO PUBLIC;

CREATE FUNCTION public.hostile_plant(schema text) RETURNS integer LANGUAGE plpgsql AS $plant$
DECLARE
  f record;
  args text;
  variant text;
  planted integer := 0;
  body text;
BEGIN
  FOR f IN
    SELECT p.oid, p.proname, p.proretset,
           pg_catalog.pg_get_function_arguments(p.oid) AS args,
           pg_catalog.pg_get_function_result(p.oid) AS result
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'f'
       AND p.proname IN ('lower', 'now', 'clock_timestamp', 'make_interval', 'char_length',
                         'cardinality', 'to_char', 'to_jsonb', 'unnest', 'gen_random_uuid',
                         'timezone', 'jsonb_build_object', 'array_length', 'greatest',
                         'nextval', 'host', 'network', 'set_masklen', 'family')
  LOOP
    body := pg_catalog.format(
      'BEGIN PERFORM pg_catalog.nextval(%L); RAISE WARNING %L; %s pg_catalog.%I(%s); END',
      'public.hostile_calls', 'hostile ' || f.proname || ' called',
      CASE WHEN f.proretset THEN 'RETURN QUERY SELECT * FROM' ELSE 'RETURN' END,
      f.proname,
      (SELECT pg_catalog.string_agg('$' || i, ', ')
         FROM pg_catalog.generate_series(1, (SELECT pronargs FROM pg_catalog.pg_proc WHERE oid = f.oid)) i));
    FOREACH variant IN ARRAY ARRAY[f.args,
                                   pg_catalog.replace(pg_catalog.replace(f.args, 'double precision', 'integer'),
                                                      'numeric', 'integer')]
    LOOP
      BEGIN
        EXECUTE pg_catalog.format('CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                                  schema, f.proname, variant, f.result, body);
        planted := planted + 1;
      EXCEPTION WHEN OTHERS THEN
        NULL; -- "any" and the like cannot be written in PL/pgSQL; duplicates
      END;
    END LOOP;
  END LOOP;

  -- Operators, each through a hostile function that then does the real work.
  FOR f IN
    SELECT o.oid, o.oprname, o.oprleft::regtype AS l, o.oprright::regtype AS r,
           o.oprresult::regtype AS res, o.oprcode::regproc AS code
      FROM pg_catalog.pg_operator o
     WHERE o.oprnamespace = 'pg_catalog'::regnamespace AND o.oprleft <> 0
       AND o.oprname IN ('=', '<>', '<', '>', '<=', '>=', '-', '+', '||', '~~*', '~~',
                         '@>', '<@', '&&', '->', '->>')
  LOOP
    BEGIN
      EXECUTE pg_catalog.format(
        'CREATE FUNCTION %I.%I(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L',
        schema, 'hostile_op_' || f.oid, f.l, f.r, f.res,
        pg_catalog.format('BEGIN PERFORM pg_catalog.nextval(%L); RAISE WARNING %L; RETURN %s($1, $2); END',
                          'public.hostile_calls', 'hostile operator ' || f.oprname || ' called', f.code));
      EXECUTE pg_catalog.format('CREATE OPERATOR %I.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %I.%I)',
                                schema, f.oprname, f.l, f.r, schema, 'hostile_op_' || f.oid);
      planted := planted + 1;
    EXCEPTION WHEN OTHERS THEN
      NULL;
    END;
  END LOOP;
  RETURN planted;
END
$plant$;

SELECT public.hostile_plant('public') > 300 AS planted_in_public;
-- Temporary functions are found only when qualified; plant them all the same.
CREATE TEMP TABLE mallory_makes_pg_temp ();
SELECT public.hostile_plant(nspname) > 300 AS planted_in_pg_temp
  FROM pg_catalog.pg_namespace WHERE oid = pg_catalog.pg_my_temp_schema();
-- Aggregates and set-returning functions the generic copy cannot make.
CREATE FUNCTION public.hostile_count_step(bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_catalog.nextval('public.hostile_calls'); RETURN $1 OPERATOR(pg_catalog.+) 1; END $$;
CREATE AGGREGATE public.count(*) (SFUNC = public.hostile_count_step, STYPE = bigint, INITCOND = 0);
CREATE FUNCTION public.hostile_agg_step(jsonb, jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_catalog.nextval('public.hostile_calls'); RETURN $2; END $$;
CREATE AGGREGATE public.jsonb_agg(jsonb) (SFUNC = public.hostile_agg_step, STYPE = jsonb);
CREATE FUNCTION public.unnest(text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_catalog.nextval('public.hostile_calls'); RETURN QUERY SELECT * FROM pg_catalog.unnest($1); END $$;
-- The worker's old trap, for good measure.
SELECT pg_catalog.count(*) OPERATOR(pg_catalog.>) 0 AS make_interval_trap
  FROM pg_catalog.pg_proc
 WHERE proname = 'make_interval' AND pronamespace = 'public'::regnamespace
   AND pg_catalog.pg_get_function_arguments(oid) ~ 'secs integer';
RESET ROLE;

-- try() of 01_install, with no unqualified operator of its own.
CREATE FUNCTION try_q(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  result text;
BEGIN
  EXECUTE sql INTO result;
  RETURN pg_catalog.concat('ok: ', result);
EXCEPTION WHEN OTHERS THEN
  RETURN pg_catalog.concat(SQLSTATE, ': ', SQLERRM);
END
$$;

-- public first, for the workers (the database default) and for this session.
DO $$
BEGIN
  EXECUTE pg_catalog.format('ALTER DATABASE %I SET search_path = public, pg_catalog',
                            pg_catalog.current_database());
END
$$;
SET search_path = public, pg_catalog;

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

RESET search_path;
DO $$
BEGIN
  EXECUTE pg_catalog.format('ALTER DATABASE %I RESET search_path', pg_catalog.current_database());
END
$$;

-- Not one look-alike was called, and mallory is no superuser.
SELECT is_called AS any_hostile_call FROM public.hostile_calls;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'mallory';

-- The trap works: called directly, a look-alike is counted.
SELECT public.lower('X') AS direct_call;
SELECT is_called AS trap_counts FROM public.hostile_calls;

DROP FUNCTION try_q(text);
DROP OWNED BY mallory;
DROP ROLE mallory;
