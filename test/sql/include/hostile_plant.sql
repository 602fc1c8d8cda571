-- The hostile look-alikes of test/sql/15_hostile_functions.sql, planted for
-- a suite that then runs the API (15 for 1.1.3's, 22 for 1.2's), with
-- try_q() and public first in the search_path; include/hostile_check.sql
-- then shows that none was called, and removes them.
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
                         'nextval', 'host', 'network', 'set_masklen', 'family',
                         'octet_length', 'left', 'to_json', 'jsonb_extract_path')
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
