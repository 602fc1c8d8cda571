-- Hostile look-alikes with MORE SPECIFIC signatures (1.2.2, issue 20 finding
-- 1). 15_ and 22_ plant copies with the real signatures; but PostgreSQL
-- prefers public.jsonb_build_object(text, jsonb) to pg_catalog's VARIADIC
-- "any" wherever public is on the path, and public.->>(jsonb, jsonb) turns
-- b->>'key' into a call of it. Here, on top of include/hostile_plant.sql's
-- copies, mallory plants in public, for every function, aggregate and
-- operator name that occurs in the extension's SQL (read from
-- extension/*.c and sql/*.sql, not a hand list), variants whose polymorphic
-- or "any" arguments are concrete types, whose arguments are each in turn
-- another common type, and for VARIADIC ones every arity up to 8. public
-- is first on the database's and the caller's path; then every function of
-- the API runs, the attempt workers and the sweep included. None of the
-- look-alikes may be called: every API function runs with search_path
-- pg_catalog, pg_temp (its SET clause, or, for the attempt worker, set
-- before its first statement), where public is not searched at all and
-- pg_temp never for functions or operators.
\i test/sql/include/setup.sql
\set VERBOSITY terse
\i test/sql/include/hostile_plant.sql

-- The names the extension's SQL uses: words before "(" and operator tokens
-- of its C sources and scripts (C's own words and tokens come along; they
-- only add look-alikes), with the operators LIKE, ILIKE and IS DISTINCT FROM
-- stand for.
\set src `cat extension/*.c sql/finote--*.sql`
CREATE TEMP TABLE used_names AS
SELECT ARRAY(SELECT DISTINCT p.proname::text FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::regnamespace
                AND p.proname OPERATOR(pg_catalog.=) ANY (
                      SELECT m[1] FROM pg_catalog.regexp_matches(:'src', '([a-z_][a-z0-9_]*)\s*\(', 'g') m)
              ORDER BY 1) AS functions,
       ARRAY(SELECT DISTINCT o.oprname::text FROM pg_catalog.pg_operator o
              WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::regnamespace
                AND o.oprleft OPERATOR(pg_catalog.<>) 0
                AND o.oprname OPERATOR(pg_catalog.=) ANY (
                      SELECT m[1] FROM pg_catalog.regexp_matches(:'src', '([-+*/<>=~!@#%^&|?]+)', 'g') m
                      UNION ALL SELECT '~~' WHERE :'src' OPERATOR(pg_catalog.~) '\mLIKE\M'
                      UNION ALL SELECT '~~*' WHERE :'src' OPERATOR(pg_catalog.~) '\mILIKE\M'
                      UNION ALL SELECT '=' WHERE :'src' OPERATOR(pg_catalog.~) '\mIS DISTINCT FROM\M')
              ORDER BY 1) AS operators;
-- The ones an attacker would go for are among them.
SELECT functions OPERATOR(pg_catalog.@>) '{jsonb_build_object,jsonb_agg,make_interval,lower,now}'::text[]
         AS has_functions,
       operators OPERATOR(pg_catalog.@>) '{=,<,>,->>,@>,||,~~}'::text[] AS has_operators,
       pg_catalog.cardinality(functions) OPERATOR(pg_catalog.>) 20 AS many_functions
  FROM used_names;
GRANT SELECT ON used_names TO mallory;

SET ROLE mallory;
-- One look-alike: counts its calls like include/hostile_plant.sql's, then
-- answers NULL. 1 if created, 0 if PostgreSQL refuses that signature.
CREATE FUNCTION public.hostile_one(name text, args text[], result text, returns_set boolean) RETURNS integer
LANGUAGE plpgsql AS $one$
BEGIN
  EXECUTE pg_catalog.format(
    'CREATE FUNCTION public.%I(%s) RETURNS %s%s LANGUAGE plpgsql AS %L',
    name, pg_catalog.array_to_string(args, ', '), CASE WHEN returns_set THEN 'SETOF ' ELSE '' END, result,
    pg_catalog.format('BEGIN PERFORM pg_catalog.nextval(%L); RAISE WARNING %L; RETURN%s; END',
                      'public.hostile_calls', pg_catalog.concat('hostile specific ', name, ' called'),
                      CASE WHEN returns_set THEN '' ELSE ' NULL' END));
  RETURN 1;
EXCEPTION WHEN OTHERS THEN
  RETURN 0;
END
$one$;

CREATE FUNCTION public.hostile_specific(functions text[], operators text[]) RETURNS integer
LANGUAGE plpgsql AS $plant$
DECLARE
  types text[] := '{text,jsonb,uuid,integer,bigint,boolean,timestamptz,bytea,text[],inet}';
  poly text[] := '{"\"any\"",anyelement,anynonarray,anycompatible,anycompatiblenonarray,anyenum}';
  polyarray text[] := '{anyarray,anycompatiblearray}';
  f record;
  t text;
  r text;
  args text[];
  res text;
  i integer;
  planted integer := 0;
BEGIN
  FOR f IN
    SELECT p.proname::text AS name, p.proretset, p.provariadic OPERATOR(pg_catalog.<>) 0 AS variadic,
           p.prorettype::regtype::text AS result,
           ARRAY(SELECT a::regtype::text FROM pg_catalog.unnest(p.proargtypes) a) AS argtypes
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::regnamespace
       AND p.prokind OPERATOR(pg_catalog.=) 'f' AND p.proname OPERATOR(pg_catalog.=) ANY (functions)
  LOOP
    FOREACH t IN ARRAY types LOOP
      res := CASE WHEN f.result OPERATOR(pg_catalog.=) ANY (poly) THEN t
                  WHEN f.result OPERATOR(pg_catalog.=) ANY (polyarray) THEN t OPERATOR(pg_catalog.||) '[]'
                  ELSE f.result END;
      -- every polymorphic or "any" argument of type t
      args := ARRAY(SELECT CASE WHEN a OPERATOR(pg_catalog.=) ANY (poly) THEN t
                                WHEN a OPERATOR(pg_catalog.=) ANY (polyarray) THEN t OPERATOR(pg_catalog.||) '[]'
                                ELSE a END
                      FROM pg_catalog.unnest(f.argtypes) a);
      planted := planted OPERATOR(pg_catalog.+) public.hostile_one(f.name, args, res, f.proretset);
      -- each argument in turn of type t
      FOR i IN 1 .. pg_catalog.cardinality(f.argtypes) LOOP
        args := f.argtypes;
        args[i] := t;
        planted := planted OPERATOR(pg_catalog.+) public.hostile_one(f.name, args, res, f.proretset);
      END LOOP;
      -- VARIADIC: every arity up to 8, all of type t, and as (text, t) pairs
      IF f.variadic THEN
        FOR i IN 1 .. 8 LOOP
          planted := planted OPERATOR(pg_catalog.+)
                     public.hostile_one(f.name, pg_catalog.array_fill(t, ARRAY[i]), res, f.proretset);
          IF i OPERATOR(pg_catalog.%) 2 OPERATOR(pg_catalog.=) 0 THEN
            args := ARRAY(SELECT CASE WHEN k OPERATOR(pg_catalog.%) 2 OPERATOR(pg_catalog.=) 1 THEN 'text' ELSE t END
                            FROM pg_catalog.generate_series(1, i) k);
            planted := planted OPERATOR(pg_catalog.+) public.hostile_one(f.name, args, res, f.proretset);
          END IF;
        END LOOP;
      END IF;
    END LOOP;
  END LOOP;

  -- Aggregates of one argument, of each type.
  FOREACH t IN ARRAY types LOOP
    EXECUTE pg_catalog.format(
      'CREATE FUNCTION public.hostile_step(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L', t, t, t,
      'BEGIN PERFORM pg_catalog.nextval(''public.hostile_calls''); RETURN $2; END');
  END LOOP;
  FOR f IN
    SELECT DISTINCT p.proname::text AS name FROM pg_catalog.pg_proc p
     WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::regnamespace
       AND p.prokind OPERATOR(pg_catalog.=) 'a' AND p.pronargs OPERATOR(pg_catalog.=) 1
       AND p.proname OPERATOR(pg_catalog.=) ANY (functions)
  LOOP
    FOREACH t IN ARRAY types LOOP
      BEGIN
        EXECUTE pg_catalog.format('CREATE AGGREGATE public.%I(%s) (SFUNC = public.hostile_step, STYPE = %s)',
                                  f.name, t, t);
        planted := planted OPERATOR(pg_catalog.+) 1;
      EXCEPTION WHEN OTHERS THEN
        NULL;
      END;
    END LOOP;
  END LOOP;

  -- Operators: every pair of the types, for every name used.
  FOREACH t IN ARRAY types LOOP
    FOREACH r IN ARRAY types LOOP
      FOR f IN SELECT pg_catalog.unnest(operators) AS name LOOP
        res := coalesce((SELECT o.oprresult::regtype::text FROM pg_catalog.pg_operator o
                          WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::regnamespace
                            AND o.oprname OPERATOR(pg_catalog.=) f.name
                            AND o.oprleft OPERATOR(pg_catalog.=) t::regtype
                            AND o.oprright OPERATOR(pg_catalog.=) r::regtype),
                        (SELECT o.oprresult::regtype::text FROM pg_catalog.pg_operator o
                          WHERE o.oprname OPERATOR(pg_catalog.=) f.name
                            AND o.oprleft OPERATOR(pg_catalog.<>) 0 LIMIT 1));
        res := CASE WHEN res OPERATOR(pg_catalog.=) ANY (poly OPERATOR(pg_catalog.||) polyarray) THEN t ELSE res END;
        BEGIN
          EXECUTE pg_catalog.format(
            'CREATE FUNCTION public.hostile_specific_op(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L',
            t, r, res, 'BEGIN PERFORM pg_catalog.nextval(''public.hostile_calls''); RETURN NULL; END');
        EXCEPTION WHEN duplicate_function THEN
          NULL; -- made for another name of this pair
        END;
        BEGIN
          EXECUTE pg_catalog.format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.hostile_specific_op)',
                                    f.name, t, r);
          planted := planted OPERATOR(pg_catalog.+) 1;
        EXCEPTION WHEN OTHERS THEN
          NULL; -- the pair is planted already (include/hostile_plant.sql)
        END;
      END LOOP;
    END LOOP;
  END LOOP;
  RETURN planted;
END
$plant$;

SELECT public.hostile_specific(functions, operators) OPERATOR(pg_catalog.>) 3000 AS planted
  FROM used_names;
RESET ROLE;

-- They would be reached by SQL that does not pin its path, as the shim's
-- was: jsonb_build_object in a view (which calls nothing) and what it uses,
-- and b->>'key' refused, the login of finding 1 turned into a 400.
CREATE TEMP VIEW unpinned AS SELECT jsonb_build_object('note', '{}'::jsonb) AS note;
SELECT (pg_catalog.pg_identify_object(d.refclassid, d.refobjid, 0)).identity AS unpinned_sql_uses
  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite w ON d.objid OPERATOR(pg_catalog.=) w.oid
 WHERE w.ev_class OPERATOR(pg_catalog.=) 'unpinned'::regclass
   AND d.refclassid OPERATOR(pg_catalog.=) ANY ('{pg_proc,pg_operator}'::regclass[])
 ORDER BY 1;
DROP VIEW unpinned;
SELECT try_q($$SELECT '{"username":"a"}'::jsonb ->> 'username'$$) AS unpinned_field;

-- The whole API of 1.2.2, every function and path.
SELECT pg_catalog.jsonb_extract_path_text(finote.register('specific24', 'specific password', '10.24.1.1'),
                                          'username') AS registered;
SELECT try_q($$SELECT finote.register('specific24', 'specific password', '10.24.1.1')$$) AS taken;
SELECT try_q($$SELECT finote.login('specific24', 'wrong password', '10.24.1.2')$$) AS wrong;
SELECT try_q($$SELECT finote.login('specific24', 'wrong password')$$) AS wrong_no_address;
SELECT pg_catalog.jsonb_extract_path_text(finote.login('specific24', 'specific password', '10.24.1.3'),
                                          'token') AS tok \gset
-- a dearer argon2id: this login rehashes the password
SET finote.password_opslimit = 3;
SELECT pg_catalog.jsonb_extract_path_text(finote.login('specific24', 'specific password'),
                                          'token') AS tok2 \gset
RESET finote.password_opslimit;
SELECT pg_catalog.jsonb_extract_path_text(finote.whoami(:'tok'), 'username') AS whoami;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_create(:'tok', 'title', 'words here', true, '{T}'),
                                          'id') AS nid \gset
SELECT pg_catalog.jsonb_extract_path_text(finote.note_create(:'tok', 'second', 'x'), 'id') AS nid2 \gset
SELECT pg_catalog.jsonb_extract_path_text(finote.note_get(:'tok', :'nid'), 'title') AS got;
SET finote.revision_collapse = 0;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_update(:'tok', :'nid', 'title 2', NULL, false, '{u}', 1),
                                          'version') AS updated;
SELECT try_q(pg_catalog.format('SELECT finote.note_update(%L, %L, %L, if_version => 1)', :'tok', :'nid', 'x')) AS stale;
RESET finote.revision_collapse;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_update(:'tok', :'nid', content => 'more words'),
                                          'version') AS again;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_update(:'tok2', :'nid', content => 'other session'),
                                          'version') AS other_writer;
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(finote.note_list(:'tok'), 'notes')) AS listed;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_list(:'tok', NULL, 1), 'next_cursor') AS cur \gset
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(finote.note_list(:'tok', NULL, 1, :'cur'), 'notes')) AS next_page;
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(finote.note_list(:'tok', 'session'), 'notes')) AS searched;
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(finote.note_list(:'tok', 'ot', 20, NULL, 'U'), 'notes')) AS searched_tag;
SELECT finote.note_tags(:'tok') AS tags;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_revisions(:'tok', :'nid', 1), 'next_cursor') AS rcur \gset
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(
         finote.note_revisions(:'tok', :'nid', 1, :'rcur'), 'revisions')) AS revisions_page2;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_revisions(:'tok', :'nid'), 'revisions', '0', 'id') AS rid \gset
SELECT pg_catalog.jsonb_extract_path_text(finote.note_revision(:'tok', :'nid', :'rid'), 'content') AS revision;
SELECT pg_catalog.jsonb_extract_path_text(finote.note_restore(:'tok', :'nid', :'rid'), 'content') AS restored;
SELECT try_q(pg_catalog.format('SELECT finote.note_get(%L, %L)', :'tok', '00000000-0000-0000-0000-000000000000')) AS missing;
SELECT finote.note_delete(:'tok', :'nid2');
SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(finote.trash_list(:'tok'), 'notes')) AS trashed;
SELECT pg_catalog.jsonb_extract_path_text(finote.trash_restore(:'tok', :'nid2'), 'version') AS back;
SELECT finote.note_delete(:'tok', :'nid2', 2);
SELECT finote.trash_delete(:'tok', :'nid2');
SELECT pg_catalog.count(*) OPERATOR(pg_catalog.>) 3 AS export_rows FROM finote.export(:'tok', true);
SELECT finote.body_text(finote.body_json('{"title":"t","tags":["a"]}'), 'title') AS body_title,
       finote.body_tags(finote.body_json('{"title":"t","tags":["a"]}')) AS body_tags;
SELECT try_q($$SELECT finote.body_json('{"a":1,"a":2}')$$) AS duplicate;
SELECT try_q(pg_catalog.format('SELECT finote.change_password(%L, %L, %L, %L)', :'tok', 'wrong password',
                               'newer password', '10.24.1.3')) AS wrong_current;
SELECT finote.change_password(:'tok', 'specific password', 'newer password', '10.24.1.3');
SELECT try_q(pg_catalog.format('SELECT finote.whoami(%L)', :'tok2')) AS revoked;
SELECT finote.purge(10) OPERATOR(pg_catalog.>=) 0 AS purged;
SELECT finote.logout(:'tok2');
SELECT try_q(pg_catalog.format('SELECT finote.account_delete(%L, %L, %L)', :'tok', 'wrong password', '10.24.1.3')) AS wrong_delete;
SELECT finote.account_delete(:'tok', 'newer password', '10.24.1.3');
SELECT try_q(pg_catalog.format('SELECT finote.whoami(%L)', :'tok')) AS deleted;

DROP TABLE used_names;
\i test/sql/include/hostile_check.sql
