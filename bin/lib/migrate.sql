-- finote-db migrate: bring the extension to version :target, inside the
-- caller's one transaction (psql --single-transaction), and prove it.
-- Variables: target (a version the server offers), install (true when the
-- database has no finote yet), lock_timeout (how long a table lock may be
-- waited for before the attempt fails instead of queueing the service).
SET lock_timeout = :'lock_timeout';
-- The SQLSTATE in the error, for finote-db to tell a lock timeout (55P03,
-- tried again) from any other failure.
\set VERBOSITY verbose
\if :install
CREATE EXTENSION IF NOT EXISTS finote VERSION :'target';
\else
ALTER EXTENSION finote UPDATE TO :'target';
\endif
-- A DO block sees no psql variable: the target travels in a setting that
-- ends with the transaction.
SELECT pg_catalog.set_config('finote_db.target', :'target', true) AS target_set \gset
DO $$
BEGIN
  IF (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'finote')
     IS DISTINCT FROM pg_catalog.current_setting('finote_db.target') THEN
    RAISE EXCEPTION 'finote is not at % after the update', pg_catalog.current_setting('finote_db.target');
  END IF;
END
$$;
