#!/usr/bin/env bash
# docker-entrypoint.sh of the finote-db image: the official postgres image's
# documented interface on Debian's PostgreSQL.
#
#   docker-entrypoint.sh postgres [-c name=value ...]    (the image's CMD)
#   docker-entrypoint.sh -c name=value ...               (same: postgres is implied)
#   docker-entrypoint.sh OTHER ...                       runs OTHER as given
#
# As root it makes PGDATA and the socket directory postgres's own and runs
# itself again as postgres (setpriv execs: no process stays in between). On an
# empty PGDATA, and only then, it runs initdb with POSTGRES_USER (postgres)
# as the superuser and POSTGRES_PASSWORD as its password, allows password
# logins over the network (POSTGRES_HOST_AUTH_METHOD, scram-sha-256), creates
# POSTGRES_DB (POSTGRES_USER) and runs /docker-entrypoint-initdb.d/* (*.sh,
# *.sql, *.sql.gz) on a server that listens on its socket only, so that no
# client can see a half-made database. Each of POSTGRES_PASSWORD, _USER, _DB
# and _INITDB_ARGS may instead be read from the file named by NAME_FILE
# (Docker secrets). Finally it execs postgres without POSTGRES_PASSWORD (or
# PGPASSWORD) in its environment: the server is PID 1 and gets the
# container's signals itself (SIGINT fast shutdown, the STOPSIGNAL).
#
# Local connections (the socket directory /var/run/postgresql, which compose
# shares with the shim's container): on every start, before any server runs,
# secure_local_auth gives PGDATA's pg_hba.conf and pg_ident.conf the form
# below, so that a volume initialised by an older image (initdb's `trust`
# lines) is brought to it too. No `trust` line of initdb's is left; the
# superuser logs in over the socket only by `peer` as the OS user root or
# postgres of this container (docker exec, this script); every other role
# (the shim's) by password. A process of another container that shares the
# socket has a uid this image does not know (the shim's 10001), so peer
# refuses it whatever role it names.
#
# WAL archiving (docker/db/backup.sh): as root it writes pgBackRest's
# passphrase from the secret file FINOTE_BACKUP_PASS_FILE where only
# postgres reads it, and unsets the variable; every cluster includes
# /etc/postgresql/finote-archive.conf (one made before gets the line).
set -Eeuo pipefail
# shellcheck source=backup.sh
. /usr/local/lib/finote/backup.sh

# NAME from $NAME or from the file $NAME_FILE, not both
file_env() {
  local var=$1 def=${2:-} file_var="${1}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo "docker-entrypoint: both $var and $file_var are set; set one" >&2
    exit 1
  fi
  local val=$def
  if [ -n "${!var:-}" ]; then val=${!var}; elif [ -n "${!file_var:-}" ]; then val=$(<"${!file_var}"); fi
  export "$var"="$val"
  unset "$file_var"
}

# the pg_hba.conf lines of initdb (its default `trust`) that this script replaces
initdb_trust='^(local[[:space:]]+(all|replication)[[:space:]]+all|host[[:space:]]+(all|replication)[[:space:]]+all[[:space:]]+(127\.0\.0\.1/32|::1/128))[[:space:]]+trust[[:space:]]*$'
mark='# finote-db entrypoint (docker/db/entrypoint.sh): local connections'

# secure_local_auth SUPERUSER: the block `mark` first in pg_hba.conf (a
# previous one replaced), initdb's trust lines removed, and the peer map
# finote_local (root and postgres -> SUPERUSER only) in pg_ident.conf.
# Idempotent; lines of the operator's own are kept as they are.
secure_local_auth() {
  local su=$1 hba=$PGDATA/pg_hba.conf ident=$PGDATA/pg_ident.conf tmp
  tmp=$(mktemp "$PGDATA/.pg_hba.XXXXXX")
  {
    printf '%s\n' "$mark"
    printf 'local all %s peer map=finote_local\n' "$su"
    printf 'local all all scram-sha-256\n'
    printf 'host all all 127.0.0.1/32 scram-sha-256\n'
    printf 'host all all ::1/128 scram-sha-256\n'
    printf '%s\n' "# end of $mark"
    sed -e "\|^$mark\$|,\|^# end of $mark\$|d" "$hba" | grep -Ev "$initdb_trust" || true
  } >"$tmp"
  chmod 0600 "$tmp"
  mv -f "$tmp" "$hba"
  tmp=$(mktemp "$PGDATA/.pg_ident.XXXXXX")
  {
    grep -Ev '^finote_local[[:space:]]' "$ident" || true
    printf 'finote_local root %s\nfinote_local postgres %s\n' "$su" "$su"
  } >"$tmp"
  chmod 0600 "$tmp"
  mv -f "$tmp" "$ident"
}

[ "${1:0:1}" != - ] || set -- postgres "$@"
[ "$1" = postgres ] || exec "$@"

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  # only the server creates files where other containers find its socket
  chmod 0700 "$PGDATA"
  chmod 00755 /var/run/postgresql
  finote_backup_secret || true
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth" != trust ]; then
    cat >&2 <<'MSG'
docker-entrypoint: the database is uninitialized and POSTGRES_PASSWORD is not set.
  Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to the superuser's password.
  POSTGRES_HOST_AUTH_METHOD=trust allows every connection without one (never in production).
MSG
    exit 1
  fi
  # the password reaches initdb through a pipe, never argv or a file on disk
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of words
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    $POSTGRES_INITDB_ARGS
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  secure_local_auth "$POSTGRES_USER"

  env -u POSTGRES_PASSWORD -u PGPASSWORD \
    pg_ctl -D "$PGDATA" -w -t 60 -o "-c listen_addresses='' -p ${PGPORT:-5432}" start
  psql=(psql -X -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --dbname postgres)
  if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" -q -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  psql+=(--dbname "$POSTGRES_DB")
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh)
        if [ -x "$f" ]; then echo "docker-entrypoint: running $f"; "$f"
        else echo "docker-entrypoint: sourcing $f"; # shellcheck disable=SC1090
          . "$f"; fi ;;
      *.sql) echo "docker-entrypoint: running $f"; "${psql[@]}" -f "$f" ;;
      *.sql.gz) echo "docker-entrypoint: running $f"; gunzip -c "$f" | "${psql[@]}" ;;
      */\*) ;;
      *) echo "docker-entrypoint: ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo "docker-entrypoint: PostgreSQL init process complete; ready for start up."
else
  file_env POSTGRES_USER postgres
  secure_local_auth "$POSTGRES_USER"
  finote_archive_include
fi

# The server needs no password: keep the superuser's out of its environment
# (/proc/PID/environ) and of every process it starts (archive_command ...),
# on every start, not only the first.
unset POSTGRES_PASSWORD POSTGRES_PASSWORD_FILE PGPASSWORD
exec "$@"
