#!/usr/bin/env bash
# smoke.sh: the images on a real Docker engine, through compose and the proxy.
#
#   docker/smoke.sh          images FINOTE_REGISTRY/finote-{db,shim,proxy}:FINOTE_TAG
#
# CI's images job runs it, and so does `make test-docker` (test/docker/
# scenarios), with docker-compose v1 or the compose v2 plugin (docker/lib.sh
# picks one; DOCKER_COMPOSE overrides). It brings up a stack of its own: a
# project finote-smoke-PID, a volume of the same name, a free subnet, and the
# proxy on a port of 127.0.0.1 that the engine picks, a backup repository
# volume of its own and a passphrase in a temporary file. It checks: db -> migrate
# -> shim -> proxy order and readiness; register, login and a note over HTTP;
# migrate again is a no-op; recreating db and shim (new containers) keeps the
# note (the volume survives); the shim runs as `finote`; a failing migrate
# exits non-zero. At the end it removes everything it created, its volume
# included, and nothing else. Exit 0 when all passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
compose_cmd=()
finote_compose_cmd
project=finote-smoke-$$
env=$(mktemp)
pass=$(mktemp)
dc() { "${compose_cmd[@]}" -p "$project" -f "$here/compose.yml" --env-file "$env" "$@"; }
trap 'dc down -v --remove-orphans >/dev/null 2>&1 || true; rm -f "$env" "$pass"' EXIT
fail() { echo "smoke: FAILED: $*" >&2; dc logs --tail 30 >&2 || true; exit 1; }

secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
app_pw=$(secret)
net=$(finote_free_net)
secret >"$pass"
# .env.example with every value an operator must set replaced; comments kept
sed -e "s|^POSTGRES_PASSWORD=.*|POSTGRES_PASSWORD=$(secret)|" \
    -e "s|^FINOTE_APP_PASSWORD=.*|FINOTE_APP_PASSWORD=$app_pw|" \
    -e "s|^DATABASE_URL=postgresql://finote_app:[^@]*@|DATABASE_URL=postgresql://finote_app:$app_pw@|" \
    -e "s|^SESSION_SECRET=.*|SESSION_SECRET=$(secret)|" \
    -e "s|^FINOTE_HTTP_BIND=.*|FINOTE_HTTP_BIND=127.0.0.1:|" \
    -e "s|^FINOTE_VOLUME=.*|FINOTE_VOLUME=$project|" \
    -e "s|^FINOTE_BACKUP_VOLUME=.*|FINOTE_BACKUP_VOLUME=$project-backup|" \
    -e "s|^FINOTE_BACKUP_PASS_FILE=.*|FINOTE_BACKUP_PASS_FILE=$pass|" \
    -e "s|^FINOTE_NET=.*|FINOTE_NET=$net|" \
    -e "s|^NODE_ENV=.*|NODE_ENV=development|" \
    -e "/^FINOTE_REGISTRY=/d" -e "/^FINOTE_TAG=/d" "$here/.env.example" >"$env"

# the proxy's published address (the engine picks the port anew on each start)
base() { echo "http://$(dc port proxy 8080 | tail -n 1)"; }
# wait (30 s at most) until the proxy answers /readyz with 200
ready() {
  local i
  for ((i = 0; i < 60; i++)); do
    curl -fsS -m 2 -o /dev/null "$(base)/readyz" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}
api() { curl -fsS -m 10 -H 'Content-Type: application/json' "$@"; }

dc up -d || fail "up"
[ "$(docker inspect --format '{{.State.ExitCode}}' "$(dc ps -a -q migrate)")" = 0 ] || fail "migrate did not exit 0"
ready || fail "the proxy does not answer /readyz"
curl -fsS -m 5 "$(base)/healthz" >/dev/null || fail "/healthz"
api -X POST "$(base)/api/auth/register" -d '{"username":"smoke","password":"smoke-password"}' >/dev/null || fail "register"
token=$(api -X POST "$(base)/api/auth/login" -d '{"username":"smoke","password":"smoke-password"}' | finote_json_str token)
[ -n "$token" ] || fail "login gave no token"
api -X POST "$(base)/api/notes" -H "Authorization: Bearer $token" -d '{"title":"kept","content":"across recreation"}' >/dev/null || fail "note"
out=$(dc run --rm migrate) || fail "migrate again"
[[ $out == *'nothing to do'* ]] || fail "migrate again did something: $out"
dc up -d --force-recreate db shim >/dev/null || fail "recreate"
ready || fail "not ready after recreating db and shim"
notes=$(api "$(base)/api/notes" -H "Authorization: Bearer $token") || fail "list after recreation"
[ "$(finote_json_str title <<<"$notes")" = kept ] || fail "the note is gone after recreation: $notes"
[ "$(docker run --rm --entrypoint id "${FINOTE_REGISTRY:-ghcr.io/finote}/finote-shim:${FINOTE_TAG:-latest}" -un)" = finote ] || fail "the shim does not run as finote"
if dc run --rm -e PGDATABASE=nonexistent migrate >/dev/null 2>&1; then
  fail "a failing migrate exited 0"
fi
echo "smoke: ok"
