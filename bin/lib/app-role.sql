-- finote-db app-role: the login role the shim connects as (its DATABASE_URL).
-- Variable: role. The password comes from the environment, FINOTE_APP_PASSWORD
-- (unset or empty leaves the role's password as it is), so that it is never
-- in a command line. Each step runs only when needed: a second run changes
-- nothing.
\set password ''
\getenv password FINOTE_APP_PASSWORD
SET client_min_messages = warning;
SELECT pg_catalog.format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'role') \gexec
SELECT pg_catalog.format('ALTER ROLE %I LOGIN', :'role')
 WHERE NOT (SELECT rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = :'role') \gexec
SELECT pg_catalog.format('GRANT finote_api TO %I', :'role')
 WHERE NOT pg_catalog.pg_has_role(:'role', 'finote_api', 'MEMBER') \gexec
SELECT pg_catalog.format('ALTER ROLE %I PASSWORD %L', :'role', :'password')
 WHERE :'password' <> '' \gexec
