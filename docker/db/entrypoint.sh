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
# (Docker secrets). Finally it execs postgres: the server is PID 1 and gets
# the container's signals itself (SIGINT fast shutdown, the STOPSIGNAL).
set -Eeuo pipefail

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

[ "${1:0:1}" != - ] || set -- postgres "$@"
[ "$1" = postgres ] || exec "$@"

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
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
  unset POSTGRES_PASSWORD
  echo "docker-entrypoint: PostgreSQL init process complete; ready for start up."
fi

exec "$@"
