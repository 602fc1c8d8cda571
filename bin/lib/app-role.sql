-- finote-db app-role: the login role the shim connects as (its DATABASE_URL).
-- Variable: role. The password arrives as a SCRAM-SHA-256 verifier in the
-- environment, FINOTE_APP_VERIFIER (scram.pl; empty leaves the role's
-- password as it is), so that no password is in a command line or reaches
-- the server. Each step runs only when needed: a second run changes nothing.
\set verifier ''
\getenv verifier FINOTE_APP_VERIFIER
SET client_min_messages = warning;
-- Not even the verifier goes to the server's log: a superuser (the
-- operator's usual DATABASE_URL) turns statement logging off for this
-- transaction; another role cannot, and logs what its settings say.
SELECT rolsuper AS is_superuser FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user \gset
\if :is_superuser
SET LOCAL log_statement = 'none';
SET LOCAL log_min_duration_statement = -1;
SET LOCAL log_min_error_statement = 'panic';
\endif
SELECT pg_catalog.format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) :'role') \gexec
SELECT pg_catalog.format('ALTER ROLE %I LOGIN', :'role')
 WHERE NOT (SELECT rolcanlogin FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) :'role') \gexec
SELECT pg_catalog.format('GRANT finote_api TO %I', :'role')
 WHERE NOT pg_catalog.pg_has_role(:'role', 'finote_api', 'MEMBER') \gexec
SELECT pg_catalog.format('ALTER ROLE %I PASSWORD %L', :'role', :'verifier')
 WHERE :'verifier' OPERATOR(pg_catalog.<>) '' \gexec
-- The role's own settings, which the shim also sends on its connections
-- and which PgBouncer drops: the search path, pg_catalog first and nothing
-- any role can create in (the shim names the extension's functions with
-- finote., so a look-alike function or operator planted in public, or in a
-- schema named after the role, is never what its statements call), and
-- generic plans (a custom plan would hold a request body, password
-- included, as a constant that EXPLAIN or auto_explain shows). Roles are
-- cluster-wide: so are these settings.
SELECT pg_catalog.format('ALTER ROLE %I SET %s', :'role', s.setting)
  FROM (VALUES ('search_path = pg_catalog, pg_temp', 'search_path=pg_catalog, pg_temp'),
               ('plan_cache_mode = force_generic_plan', 'plan_cache_mode=force_generic_plan'))
       AS s(setting, config)
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_db_role_setting d
                    WHERE d.setdatabase OPERATOR(pg_catalog.=) 0
                      AND d.setrole OPERATOR(pg_catalog.=)
                          (SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) :'role')
                      AND s.config OPERATOR(pg_catalog.=) ANY (d.setconfig)) \gexec
