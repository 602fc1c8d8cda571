#!/usr/bin/env bash
# finote-post-bootstrap: Patroni's bootstrap.post_bootstrap (patroni.yml).
# Patroni runs it once in the cluster's life, on the member that ran initdb,
# while that member is the leader and no replica exists yet, with a
# superuser connection URL as $1 (its password in PGPASSFILE). It creates
# the database POSTGRES_DB (finote) and the finote extension in it with the
# operator's tool, finote-db migrate. Replicas are clones of this member, so
# the extension is created on the leader only, once; later versions come by
# `finote-db migrate` (the compose service migrate), on the leader too.
set -euo pipefail
url=${1:?usage: finote-post-bootstrap SUPERUSER_URL}
db=${POSTGRES_DB:-finote}
lib=/usr/local/share/finote-db
psql -X -q -v ON_ERROR_STOP=1 -d "$url" -v db="$db" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') \gexec
SQL
DATABASE_URL=$(perl "$lib/url.pl" withdb "$url" "$db") finote-db migrate
