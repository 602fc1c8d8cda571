#!/usr/bin/env bash
# migrate.sh: bring the finote extension of one database to the installed version.
#
#   docker/migrate.sh [URL]        URL: postgresql://superuser@host:port/dbname
#
# The only migration step Finote has (extension/README.md, Versions and upgrades):
#   CREATE EXTENSION IF NOT EXISTS finote; ALTER EXTENSION finote UPDATE;
# done by the operator's tool, `finote-db migrate` (bin/finote-db, OPERATIONS.md):
# one transaction, each lock waited for at most FINOTE_LOCK_TIMEOUT and the
# attempt rolled back and tried again past it (up to FINOTE_MIGRATE_ATTEMPTS),
# so that a busy table does not queue the service's requests behind the
# migration, and the version checked after.
# Then the API login role, by `finote-db app-role`: $FINOTE_APP_ROLE
# (finote_app) is created if missing, with LOGIN, membership in finote_api
# and search_path = pg_catalog, pg_temp; when FINOTE_APP_PASSWORD is set it
# becomes that role's password (the one in the shim's DATABASE_URL). This
# script only waits for the server and says what changed.
#
# Connects as a superuser (finote is a C extension) to URL, or else to the
# server named by libpq's variables (PGHOST, PGPORT, PGUSER, PGDATABASE;
# PGPASSWORD for the password, never in a URL or argv), as the compose service
# does. The shim's DATABASE_URL (the API role) is never used. Waits up to
# FINOTE_MIGRATE_WAIT seconds (60) for the server to accept connections and
# be out of recovery (a restored cluster replays its WAL first).
# Exits 0 when the database is at the installed default version (a second run
# changes nothing), non-zero on any failure, having changed nothing then.
#
# The compose service `migrate` runs this (finote-migrate in the db image,
# beside finote-db) before the shim starts or is replaced;
# test/t/301_docker_scripts.t runs it against a private cluster.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
role=${FINOTE_APP_ROLE:-finote_app}
wait_s=${FINOTE_MIGRATE_WAIT:-60}

finote_db=$here/../bin/finote-db                  # in the repository
[ -x "$finote_db" ] || finote_db=$(command -v finote-db) ||
  { echo "migrate: finote-db (bin/finote-db) not found" >&2; exit 1; }
bindir=$("${PG_CONFIG:-pg_config}" --bindir)

# Without a URL, libpq's variables name the server: an empty postgresql://
# URL takes every part from them.
url=${1:-postgresql://}
case $url in
  postgres://* | postgresql://*) ;;
  *) echo "migrate: expected a postgresql:// URL, not '$url'" >&2; exit 2 ;;
esac

# A cluster restored by pgBackRest accepts read-only connections while it
# replays the archived WAL, before it is promoted: migrate waits for that too.
# why: what psql last said (a refused password ends the wait at once)
why=''
writable() {
  local out
  "$bindir/pg_isready" -q -d "$url" || return 1
  out=$("$bindir/psql" -X -qtA -d "$url" -c 'SELECT pg_catalog.pg_is_in_recovery()' 2>&1) || { why=$out; return 1; }
  [ "$out" = f ] || { why='the server is in recovery'; return 1; }
}
for ((i = 0; ; i++)); do
  if writable; then break; fi
  case $why in *"password authentication failed"*) echo "migrate: ${why#psql: }" >&2; exit 1 ;; esac
  if [ "$i" -ge "$wait_s" ]; then
    echo "migrate: the database did not accept connections out of recovery within ${wait_s}s${why:+ (${why#psql: })}" >&2
    exit 1
  fi
  sleep 1
done

run_psql() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 "$url" "$@"; }
query() { run_psql -tAc "$1"; }
before=$(query "SELECT extversion FROM pg_extension WHERE extname = 'finote'")

if ! DATABASE_URL=$url "$finote_db" migrate; then
  echo "migrate: FAILED at finote ${before:-(none)}; the transaction was rolled back, nothing changed" >&2
  exit 1
fi

if ! DATABASE_URL=$url FINOTE_APP_ROLE=$role "$finote_db" app-role >/dev/null; then
  echo "migrate: FAILED to set up the API role $role (the extension is migrated)" >&2
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
