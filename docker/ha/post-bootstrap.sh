#!/usr/bin/env bash
# finote-post-bootstrap: Patroni's bootstrap.post_bootstrap (patroni.yml).
# Patroni runs it once in the cluster's life, on the member that ran initdb,
# while that member is the leader and no replica exists yet, with a
# superuser connection string as $1, which this script does not need: it
# connects by the server's socket as postgres (peer, pg_hba in patroni.yml).
# It creates the database POSTGRES_DB (finote) and the finote extension in it
# with the operator's tool, finote-db migrate. Replicas are clones of this
# member, so the extension is created on the leader only, once; later
# versions come by `finote-db migrate` (the compose service migrate), on the
# leader too.
set -euo pipefail
db=${POSTGRES_DB:-finote}
sock=/var/run/postgresql
psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -d postgres -v db="$db" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = :'db') \gexec
SQL
DATABASE_URL="postgresql://postgres@/$db?host=$sock" finote-db migrate
