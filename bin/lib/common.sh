# shellcheck shell=bash
# common.sh: what bin/finote-db (the operator's tool) and bin/finote-release
# (the release engineer's tool) share: messages, the connection named by
# DATABASE_URL, psql, and the extension's versions as the server sees them.
# Sourced, never run; the caller sets PROG and LIB (this directory) first.

EXT=finote
PG_CONFIG=${PG_CONFIG:-pg_config}

say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

BINDIR=$("$PG_CONFIG" --bindir 2>/dev/null) || die "cannot run '$PG_CONFIG --bindir' (set PG_CONFIG)"
for tool in psql pg_dump pg_restore; do
  [ -x "$BINDIR/$tool" ] || die "$BINDIR/$tool not found (set PG_CONFIG)"
done

# url MODE URL [ARG]: see url.pl (mask, nopass, pass, withdb, env).
url() { perl "$LIB/url.pl" "$@"; }

# Reads DATABASE_URL into MASKED (for messages) and CONN (for argv, without
# the password); the password goes to PGPASSWORD, never to argv or a message.
need_url() {
  [ -n "${DATABASE_URL:-}" ] ||
    die "DATABASE_URL is not set (a libpq URL, e.g. postgresql://postgres@127.0.0.1:54300/finote)"
  MASKED=$(url mask "$DATABASE_URL") || die "DATABASE_URL is not a postgresql:// URL"
  CONN=$(url nopass "$DATABASE_URL")
  local pw
  pw=$(url pass "$DATABASE_URL")
  [ -n "$pw" ] && export PGPASSWORD="$pw"
  export PGAPPNAME=$PROG PGTZ=UTC PGDATESTYLE=ISO PGCLIENTENCODING=UTF8
  # It runs as the DBA, often a superuser: no statement of its own may
  # resolve a name through a schema another role can create objects in.
  export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning -c search_path=pg_catalog,pg_temp"
  return 0
}

# psql on a connection string: psql_on CONN [psql args...]
psql_on() {
  local conn=$1; shift
  "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$conn" "$@"
}
# One value (or rows, unaligned) from the target database.
q() { psql_on "$CONN" -At -c "$1"; }

connect_or_die() {
  local err
  err=$("$BINDIR/psql" -X -q -At -d "$CONN" -c 'SELECT 1' 2>&1 >/dev/null) ||
    die "cannot connect to $MASKED: $(printf '%s' "$err" | head -3 | sed 's/^psql: //')"
}

installed_version() { q "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = '$EXT'"; }
default_version() { q "SELECT default_version FROM pg_catalog.pg_available_extensions WHERE name = '$EXT'"; }
available_versions() {
  q "SELECT version FROM pg_catalog.pg_available_extension_versions WHERE name = '$EXT'" | sort -V | tr '\n' ' ' | sed 's/ $//'
}
# update_path FROM TO: "1.0--1.1--1.2", empty when there is none.
update_path() {
  q "SELECT path FROM pg_catalog.pg_extension_update_paths('$EXT') WHERE source = '$1' AND target = '$2'"
}
path_scripts() { # 1.0--1.1--1.2 -> finote--1.0--1.1.sql finote--1.1--1.2.sql
  local IFS=' ' prev='' v out=()
  for v in ${1//--/ }; do
    [ -n "$prev" ] && out+=("$EXT--$prev--$v.sql")
    prev=$v
  done
  printf '%s\n' "${out[*]}"
}
valid_version() { [[ $1 =~ ^[A-Za-z0-9_.]+$ && $1 != *--* ]]; }

# usage: the caller's header comment, from its second line to `set -euo`.
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
