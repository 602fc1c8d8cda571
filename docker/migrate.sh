#!/usr/bin/env bash
# migrate.sh: bring the finote extension of one database to the installed version.
#
#   docker/migrate.sh [CONNINFO]
#
# The only migration step Finote has (CONTRACT §1), in one transaction:
#   CREATE EXTENSION IF NOT EXISTS finote; ALTER EXTENSION finote UPDATE;
# and the API login role: $FINOTE_APP_ROLE (finote_app) is created if missing,
# with LOGIN and membership in finote_api; when FINOTE_APP_PASSWORD is set it
# becomes that role's password (so the shim's DATABASE_URL can log in with it).
#
# Connects as a superuser (finote is a C extension): CONNINFO if given, else
# libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). Waits up
# to FINOTE_MIGRATE_WAIT seconds (60) for the server to accept connections.
# Exits 0 when the database is at the installed default version (a second run
# changes nothing), non-zero on any failure, having changed nothing then.
#
# The compose service `migrate` runs this (as finote-migrate in the db image)
# before the shim starts or is replaced; test/t/301_docker_scripts.t runs it
# against a private cluster.
set -euo pipefail
conn=()
[ $# -gt 0 ] && conn=("$1")
ready_args=()
[ $# -gt 0 ] && ready_args=(-d "$1")
bindir=
if [ -n "${PG_CONFIG:-}" ] || ! command -v psql >/dev/null; then
  bindir="$("${PG_CONFIG:-pg_config}" --bindir)/"
fi
role=${FINOTE_APP_ROLE:-finote_app}
wait_s=${FINOTE_MIGRATE_WAIT:-60}

run_psql() { "${bindir}psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

for ((i = 0; ; i++)); do
  if "${bindir}pg_isready" -q ${ready_args[@]+"${ready_args[@]}"}; then break; fi
  if [ "$i" -ge "$wait_s" ]; then
    echo "migrate: the database did not accept connections within ${wait_s}s" >&2
    exit 1
  fi
  sleep 1
done

query() { run_psql ${conn[@]+"${conn[@]}"} -tAc "$1"; }
before=$(query "SELECT extversion FROM pg_extension WHERE extname = 'finote'")
target=$(query "SELECT default_version FROM pg_available_extensions WHERE name = 'finote'")
if [ -z "$target" ]; then
  echo "migrate: the finote extension is not installed on the server (docker/build-extension.sh)" >&2
  exit 1
fi

if ! run_psql ${conn[@]+"${conn[@]}"} -1 -v role="$role" -v password="${FINOTE_APP_PASSWORD:-}" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS finote;
ALTER EXTENSION finote UPDATE;
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN', :'role') \gexec
SELECT format('GRANT finote_api TO %I', :'role')
 WHERE NOT pg_has_role(:'role', 'finote_api', 'MEMBER') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password')
 WHERE :'password' <> '' \gexec
SQL
then
  echo "migrate: FAILED at finote ${before:-(none)}; the transaction was rolled back, nothing changed" >&2
  exit 1
fi

after=$(query "SELECT extversion FROM pg_extension WHERE extname = 'finote'")
if [ -z "$before" ]; then
  echo "migrate: created extension finote $after; API role $role ready"
elif [ "$before" = "$after" ]; then
  echo "migrate: finote $after is current; nothing to do"
else
  echo "migrate: updated finote $before -> $after"
fi
