# shellcheck shell=bash
# common.sh: what make bench (run) and make bench-migrate (migrate-under-load)
# share: the build, the tuned private cluster, the data set, the bench users'
# sessions and request samples, the shim under test, and the cleanup.
# Sourced, never run: the caller cds to the repository root first and may
# set DB (the database of the data set) before sourcing.
#
# Knobs (environment): BENCH_USERS (10000) BENCH_NOTES (1000000) BENCH_SKEW
# (0.8) BENCH_SESSIONS (400) DB_POOL_MAX (5) FINOTE_THREADS (shim default)
# BENCH_BUILD (1) BENCH_SHIM_DIR (shim) BENCH_REUSE_DATA (0: regenerate)
# BENCH_PGPORT (54350) BENCH_HTTP_PORT (3330) BENCH_KEEP_CLUSTER (0: stop it
# at the end) BENCH_SHIM_DB (socket: the shim and pgbench reach the cluster
# by its Unix socket; tcp: by 127.0.0.1) BENCH_CPUS (shared: everything on every core; split:
# PostgreSQL on CPU 0, the load generator and the shim on the others).

ROOT=$PWD
BENCH=$ROOT/test/bench
STATE=$(test/bin/statedir)/bench
# Where a run's report goes; a developer promotes one that the docs cite by
# copying it into test/bench/results/ (test/bench/README.md).
RESULTS=$STATE/results
DATA=$STATE/files   # the workload files; $STATE/data is the cluster
PG_CONFIG=${PG_CONFIG:-pg_config}
PGBIN=$("$PG_CONFIG" --bindir)
PGPORT=${BENCH_PGPORT:-54350}
HTTP_PORT=${BENCH_HTTP_PORT:-3330}
DB=${DB:-finote_bench}
USERS=${BENCH_USERS:-10000}
NOTES=${BENCH_NOTES:-1000000}
SKEW=${BENCH_SKEW:-0.8}
NBENCH=${BENCH_SESSIONS:-400}
NPAIRS=20000
NSEARCH=5000
CPUS=${BENCH_CPUS:-shared}
POOL=${DB_POOL_MAX:-5}
SHIM_DB=${BENCH_SHIM_DB:-socket}
SHIM_DIR=${BENCH_SHIM_DIR:-$ROOT/shim}
SHIM_BIN=$SHIM_DIR/finote-shim
PASSWORD=bench-password-1
# shellcheck disable=SC2034 # the callers' names for their results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
SHIM_PID=
PEER_PID=

log() { printf '== %s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
psql_su() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres "$@"; }

bench_cleanup() {
  local pid
  for pid in "$SHIM_PID" "$PEER_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    fi
  done
  if [ "${BENCH_KEEP_CLUSTER:-0}" != 1 ]; then
    test/bin/pgcluster stop "$STATE" || true
  fi
}
trap bench_cleanup EXIT

for tool in wrk perl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (test/bin/deps installs it)" >&2; exit 1; }
done

# ---- CPUs ---------------------------------------------------------------------
# shared: wrk, the shim and PostgreSQL compete for every core, so the shim's
# and wrk's CPU per request lower the shim's side of the ratio while pgbench's
# lighter client costs the ceiling less. split: PostgreSQL gets CPU 0 alone
# in both halves of a round, the clients the other cores; the ratio then
# says how close the shim comes to keeping the database as busy as pgbench
# does, which is the question when the shim runs on its own cores or host.
case $CPUS in
  shared) CLIENT=() ;;
  split)
    [ "$(nproc)" -ge 2 ] || { echo "bench: BENCH_CPUS=split needs 2 CPUs" >&2; exit 1; }
    command -v taskset >/dev/null || { echo "bench: taskset (util-linux) is missing" >&2; exit 1; }
    CLIENT=(taskset -c "1-$(( $(nproc) - 1 ))") ;;
  *) echo "bench: BENCH_CPUS is shared or split, not '$CPUS'" >&2; exit 1 ;;
esac
# pids whose parent is $1
children() {
  perl -e 'my $p = shift; for my $f (glob "/proc/[0-9]*/stat") {
    open(my $h, "<", $f) or next; my $l = <$h>; next unless defined $l;   # gone meanwhile
    $l =~ s/^.*\) //; my @a = split / /, $l;
    print((($f =~ m{/proc/(\d+)/})[0]), "\n") if $a[1] == $p }' "$1"
}
postmaster() { head -1 "$STATE/data/postmaster.pid"; }
# The postmaster and its processes to CPU 0 (split) or to every CPU (shared,
# undoing an earlier split run's pinning of a kept cluster); backends forked
# later inherit the postmaster's.
pin_cluster() {
  local pm c cpus=0
  [ "$CPUS" = split ] || cpus="0-$(( $(nproc) - 1 ))"
  pm=$(postmaster)
  for c in "$pm" $(children "$pm"); do taskset -a -p -c "$cpus" "$c" >/dev/null; done
}

# ---- build ----------------------------------------------------------------------
bench_build() {
  [ "${BENCH_BUILD:-1}" = 1 ] || return 0
  log "build and install the extension; build the shim ($SHIM_DIR)"
  make -s PG_CONFIG="$PG_CONFIG" >/dev/null
  make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
  make -s -C "$SHIM_DIR" PG_CONFIG="$PG_CONFIG" >/dev/null
}

# ---- cluster --------------------------------------------------------------------
bench_cluster() {
  [ -x "$SHIM_BIN" ] || { echo "bench: no $SHIM_BIN" >&2; exit 1; }
  mkdir -p "$STATE" "$DATA" "$RESULTS"
  log "cluster $STATE on port $PGPORT"
  test/bin/pgcluster start "$STATE" "$PGPORT"
  # Sized for a 1 GB data set on a small machine; applied once, then a restart.
  local want="shared_buffers=512MB max_wal_size=4GB checkpoint_timeout=30min max_connections=200" have kv
  have=$(psql_su -d postgres -Atc "SELECT string_agg(name || '=' || setting || coalesce(unit,''), ' ') FROM pg_settings WHERE name IN ('shared_buffers','max_wal_size','checkpoint_timeout','max_connections')")
  if ! psql_su -d postgres -Atc "SHOW shared_buffers" | grep -qx 512MB; then
    log "tuning: $want (was: $have)"
    for kv in $want; do psql_su -d postgres -c "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'"; done
    test/bin/pgcluster stop "$STATE"
    test/bin/pgcluster start "$STATE" "$PGPORT"
  fi
  pin_cluster
  # The shim and pgbench reach the cluster the same way: by its Unix socket
  # (the default, as make run and the packages do), or over loopback TCP.
  # shellcheck disable=SC2034 # PGB_HOST is for run's pgbench
  case $SHIM_DB in
    socket) PGB_HOST=$(cd "$STATE" && pwd -P)/sock
            SHIM_URL=$(test/bin/pgcluster url "$STATE" "$PGPORT" finote_app "$DB") ;;
    tcp) PGB_HOST=127.0.0.1; SHIM_URL="postgresql://finote_app@127.0.0.1:$PGPORT/$DB" ;;
    *) echo "bench: BENCH_SHIM_DB is socket or tcp, not '$SHIM_DB'" >&2; exit 1 ;;
  esac
}

# ---- data -----------------------------------------------------------------------
# bench_dataset VERSION: the data set in $DB, with finote at VERSION (the
# default version when empty). Regenerated unless BENCH_REUSE_DATA=1 finds
# one made with the same settings; a reused one at another version than
# asked for is updated to the default (make bench) or regenerated (a given
# VERSION).
bench_dataset() {
  local version=${1:-} meta have_meta have_version t0 hash
  [[ $version =~ ^([0-9]+(\.[0-9]+)*)?$ ]] || { echo "bench: not a version: '$version'" >&2; exit 1; }
  meta="users=$USERS notes=$NOTES skew=$SKEW corpus=v1"
  have_meta=$(psql_su -d "$DB" -Atc "SELECT v FROM bench_meta" 2>/dev/null || true)
  have_version=$(psql_su -d "$DB" -Atc "SELECT extversion FROM pg_extension WHERE extname = 'finote'" 2>/dev/null || true)
  # Regenerated on every run by default: create and update change the data
  # set, and a run should start from the same one as the last (~3.5 min here).
  if [ "${BENCH_REUSE_DATA:-0}" != 1 ] || [ "$have_meta" != "$meta" ] ||
     { [ -n "$version" ] && [ "$have_version" != "$version" ]; }; then
    log "generate data set: $meta${version:+ at finote $version}"
    t0=$(date +%s)
    psql_su -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    # shellcheck disable=SC2016 # the quotes are SQL's, $version expands
    psql_su -d "$DB" -c "CREATE EXTENSION finote${version:+ VERSION '$version'}" \
      -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'finote_app') THEN CREATE ROLE finote_app LOGIN IN ROLE finote_api; END IF; END \$\$"
    # One real argon2id hash (made by finote.register with the current
    # settings), shared by every generated user.
    hash=$(psql_su -d "$DB" -Atc "SELECT finote.register('bench_template', '$PASSWORD') IS NOT NULL" \
           -c "SELECT password_hash FROM finote.users WHERE username = 'bench_template'" | tail -1)
    # Real English running text, present on every Debian system (base-files).
    cat /usr/share/common-licenses/* | tr -s ' \t\r\n\f\v' '\n' | sed -e 's/\\/\\\\/g' -e '/^$/d' >"$DATA/words.txt"
    psql_su -d "$DB" -v users="$USERS" -v notes="$NOTES" -v skew="$SKEW" \
      -v hash="$hash" -f "$BENCH/sql/generate.sql" <"$DATA/words.txt"
    psql_su -d "$DB" -c "CREATE TABLE bench_meta (v text)" -c "INSERT INTO bench_meta VALUES ('$meta')"
    log "generated in $(( $(date +%s) - t0 )) s"
  else
    log "reuse data set: $meta"
    [ -n "$version" ] || psql_su -d "$DB" -c "ALTER EXTENSION finote UPDATE"
  fi
}

# bench_describe: the data set as JSON, for the report.
bench_describe() {
  psql_su -d "$DB" -Atc "SELECT json_build_object('users', (SELECT count(*) FROM finote.users), 'notes', (SELECT count(*) FROM finote.notes), 'notes_size', pg_size_pretty(pg_total_relation_size('finote.notes')), 'max_notes_per_user', (SELECT max(c) FROM (SELECT count(*) c FROM finote.notes GROUP BY user_id) s), 'median_notes_per_user', (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY c) FROM (SELECT count(*) c FROM finote.notes GROUP BY user_id) s), 'avg_note_bytes', (SELECT round(avg(octet_length(title) + octet_length(content))) FROM (SELECT title, content FROM finote.notes TABLESAMPLE SYSTEM (1)) s))"
}

# bench_samples: sessions for the bench users through finote.login, and the
# request samples (schema bench, and files in $DATA for wrk).
bench_samples() {
  local k
  log "samples: $NBENCH bench users, sessions through finote.login"
  psql_su -d "$DB" -v nbench="$NBENCH" -f "$BENCH/sql/samples.sql"
  # argon2id-bound: two backends in parallel, one per core
  for k in 0 1; do
    psql_su -d "$DB" -c "UPDATE bench.users SET token = finote.login(username, '$PASSWORD') ->> 'token' WHERE n % 2 = $k" &
  done
  wait
  psql_su -d "$DB" -v npairs="$NPAIRS" -v nsearch="$NSEARCH" -f "$BENCH/sql/pairs.sql"
  NSEARCH=$(psql_su -d "$DB" -Atc "SELECT count(*) FROM bench.search")
  psql_su -d "$DB" -Atc "COPY (SELECT token FROM bench.tokens ORDER BY n) TO STDOUT" >"$DATA/tokens.tsv"
  psql_su -d "$DB" -Atc "COPY (SELECT token, id FROM bench.get ORDER BY n) TO STDOUT" >"$DATA/get.tsv"
  psql_su -d "$DB" -Atc "COPY (SELECT token, q FROM bench.search ORDER BY n) TO STDOUT" >"$DATA/search.tsv"
  psql_su -d "$DB" -Atc "COPY (SELECT username FROM finote.users WHERE username ~ '^u[0-9]{5}\$' ORDER BY username) TO STDOUT" >"$DATA/users.txt"
  psql_su -d "$DB" -Atc "SELECT b::text FROM bench.body" >"$DATA/body.json"
}

# bench_shim: the shim on 127.0.0.1:$HTTP_PORT against $DB, its access log
# in $STATE/shim-access.log; returns once it answers /healthz.
bench_shim() {
  log "start the shim on 127.0.0.1:$HTTP_PORT (DB_POOL_MAX=$POOL)"
  : >"$STATE/shim-access.log"
  PORT=$HTTP_PORT FINOTE_LISTEN_ADDR=127.0.0.1 DB_POOL_MAX=$POOL \
    DATABASE_URL="$SHIM_URL" \
    SESSION_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
    "${CLIENT[@]}" "$SHIM_BIN" >"$STATE/shim-access.log" 2>"$STATE/shim.log" &
  SHIM_PID=$!
  for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cat "$STATE/shim.log" >&2
  exit 1
}

# bench_peer PORT: the Node peer (test/bench/peer: Express and a pg pool of
# DB_POOL_MAX connections making the shim's calls, the kind of stack the
# shim replaced) on 127.0.0.1:PORT against $DB, PEER_PID set. Its packages
# come from the npm registry, by its lockfile (npm ci, as the browser tests
# do); without node or the registry PEER_PID stays empty and the log says so.
bench_peer() {
  local port=$1
  if command -v npm >/dev/null && [ ! -d "$BENCH/peer/node_modules" ]; then
    log "Node peer: npm ci"
    (cd "$BENCH/peer" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
      log "Node peer: npm ci failed"
  fi
  if ! command -v node >/dev/null; then
    log "Node peer: skipped, node is missing"
  elif [ ! -d "$BENCH/peer/node_modules" ]; then
    log "Node peer: skipped, its packages are missing (npm ci in test/bench/peer)"
  else
    log "start the Node peer on 127.0.0.1:$port"
    PORT=$port DB_POOL_MAX=$POOL DATABASE_URL=$SHIM_URL \
      "${CLIENT[@]}" node "$BENCH/peer/server.js" >"$STATE/peer.log" 2>&1 &
    PEER_PID=$!
    for _ in $(seq 50); do
      curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
      sleep 0.2
    done
    cat "$STATE/peer.log" >&2
    exit 1
  fi
}
