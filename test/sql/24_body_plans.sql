-- No secret folded into a plan (1.2.2, issue 20 finding 8). Until 1.2.1
-- finote.body_json, body_text and body_tags were IMMUTABLE, and a custom
-- plan of the shim's login statement held the password as a constant of its
-- own, the folded result of body_text: EXPLAIN VERBOSE showed
-- finote.login('alice', 'PLAN-SECRET-PW', ...). From 1.2.2 they are
-- VOLATILE, which the planner never runs. A custom plan still holds each
-- bind parameter as a constant, the body among them; a generic plan (the
-- shim's) holds none.
\i test/sql/include/setup.sql

SELECT p.proname, p.provolatile
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'finote'::regnamespace AND p.proname LIKE 'body\_%'
 ORDER BY 1;

SELECT finote.register('plan_alice', 'PLAN-SECRET-PW') ->> 'username' AS registered;

-- The shim's login statement (shim/routes.c, the 1.1.3 row), prepared as the
-- shim prepares it: $1 the session, $2 the body, $8 the client's address.
PREPARE login_route(text, text, text, text, text, text, text, text) AS
  SELECT r, r->>'token' AS token
    FROM (SELECT finote.body_json($2) AS b) AS body,
         finote.login(finote.body_text(b, 'username'), finote.body_text(b, 'password'), $8::inet) AS r;

-- The plan's text, for the checks below.
CREATE FUNCTION plan_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
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

-- A custom plan: the body is there, as the bind value it is, but no
-- constant of the password alone, and login's arguments are still calls.
SET plan_cache_mode = force_custom_plan;
EXPLAIN (VERBOSE, COSTS OFF)
  EXECUTE login_route(NULL, '{"username":"plan_alice","password":"PLAN-SECRET-PW"}',
                      NULL, NULL, NULL, NULL, NULL, '10.24.0.1');
SELECT pg_catalog.strpos(plan, '''PLAN-SECRET-PW''') = 0 AS no_password_constant,
       pg_catalog.strpos(plan, 'finote.login(finote.body_text(') > 0 AS login_reads_the_body
  FROM plan_of($$EXECUTE login_route(NULL, '{"username":"plan_alice","password":"PLAN-SECRET-PW"}',
                                     NULL, NULL, NULL, NULL, NULL, '10.24.0.1')$$) plan;

-- A generic plan holds no value of the request at all.
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF)
  EXECUTE login_route(NULL, '{"username":"plan_alice","password":"PLAN-SECRET-PW"}',
                      NULL, NULL, NULL, NULL, NULL, '10.24.0.1');
SELECT pg_catalog.strpos(plan, 'PLAN-SECRET-PW') = 0 AS no_password
  FROM plan_of($$EXECUTE login_route(NULL, '{"username":"plan_alice","password":"PLAN-SECRET-PW"}',
                                     NULL, NULL, NULL, NULL, NULL, '10.24.0.1')$$) plan;
RESET plan_cache_mode;

-- The statement still logs in.
EXECUTE login_route(NULL, '{"username":"plan_alice","password":"PLAN-SECRET-PW"}',
                    NULL, NULL, NULL, NULL, NULL, '10.24.0.1') \gset route_
SELECT length(:'route_token') AS token_length;

DEALLOCATE login_route;
DROP FUNCTION plan_of(text);
