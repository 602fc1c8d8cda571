#!/usr/bin/env bash
# smoke.sh: the images on a real Docker engine (CI's images job; any host with one).
#
#   docker/smoke.sh          uses FINOTE_REGISTRY and FINOTE_TAG from the environment
#
# Brings the stack up from a throwaway env file and project, then checks:
# db -> migrate -> shim order and readiness; register, login and a note over
# HTTP; migrate again is a no-op; recreating db and shim (new containers)
# keeps the note (the volume survives); a failing migrate exits non-zero.
# Removes its containers and its own volume at the end (project finote-smoke,
# volume finote_pgdata of that engine: never run it on a production host).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "${FINOTE_SMOKE_I_KNOW_IT_DELETES_finote_pgdata:-}" = yes ] || {
  echo "smoke: refuses to run without FINOTE_SMOKE_I_KNOW_IT_DELETES_finote_pgdata=yes (it removes the volume at the end)" >&2
  exit 2
}
env=$(mktemp)
trap 'docker compose -p finote-smoke -f "$here/compose.yml" --env-file "$env" down -v >/dev/null 2>&1 || true; rm -f "$env"' EXIT
secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
app_pw=$(secret)
sed -e "s|^POSTGRES_PASSWORD=.*|POSTGRES_PASSWORD=$(secret)|" \
    -e "s|^FINOTE_APP_PASSWORD=.*|FINOTE_APP_PASSWORD=$app_pw|" \
    -e "s|^DATABASE_URL=.*|DATABASE_URL=postgresql://finote_app:$app_pw@db:5432/finote|" \
    -e "s|^SESSION_SECRET=.*|SESSION_SECRET=$(secret)|" \
    -e "s|^FINOTE_HTTP_BIND=.*|FINOTE_HTTP_BIND=127.0.0.1:3999|" \
    -e "s|^NODE_ENV=.*|NODE_ENV=development|" \
    -e "/^FINOTE_REGISTRY=/d" -e "/^FINOTE_TAG=/d" "$here/.env.example" >"$env"
dc() { docker compose -p finote-smoke -f "$here/compose.yml" --env-file "$env" "$@"; }
api() { curl -fsS -H 'Content-Type: application/json' "$@"; }
base=http://127.0.0.1:3999

dc up -d --wait
[ "$(docker inspect --format '{{.State.ExitCode}}' "$(dc ps -a -q migrate)")" = 0 ]
curl -fsS "$base/readyz" >/dev/null
curl -fsS "$base/healthz" >/dev/null
api -X POST "$base/api/auth/register" -d '{"username":"smoke","password":"smoke-password"}' >/dev/null
token=$(api -X POST "$base/api/auth/login" -d '{"username":"smoke","password":"smoke-password"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
api -X POST "$base/api/notes" -H "Authorization: Bearer $token" -d '{"title":"kept","content":"across recreation"}' >/dev/null
dc run --rm migrate | grep -q 'nothing to do'
dc up -d --wait --force-recreate db shim
api "$base/api/notes" -H "Authorization: Bearer $token" | grep -q '"title":"kept"'
[ "$(docker run --rm --entrypoint id "${FINOTE_REGISTRY:-ghcr.io/finote}/finote-shim:${FINOTE_TAG:-latest}" -un)" = finote ]
if dc run --rm -e PGDATABASE=nonexistent migrate; then
  echo "smoke: a failing migrate exited 0" >&2; exit 1
fi
echo "smoke: ok"
