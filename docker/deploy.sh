#!/usr/bin/env bash
# deploy.sh: roll out a Finote build on its Docker host, migration first.
#
#   docker/deploy.sh [TAG]          TAG: image tag to deploy (default: FINOTE_TAG of docker/.env)
#
# Run on the host, in a checkout of the repository with docker/.env filled in
# (.github/workflows/deploy.yml runs it there over SSH). The steps:
#   1. pull the images of TAG;
#   2. make sure the database runs the new db image (it carries the new
#      extension files; the named volume stays as it is) and is healthy;
#   3. run the one-shot migrate service (CREATE EXTENSION IF NOT EXISTS finote;
#      ALTER EXTENSION finote UPDATE). If it fails the rollout STOPS here: the
#      shim that is running is not touched and goes on serving;
#   4. replace the shim alone (up -d --no-deps shim) and wait until it is
#      healthy, i.e. its /readyz answers 200.
# Exit status: 0 deployed; 1 refused or failed (the step is printed).
# DOCKER_COMPOSE overrides the compose command ("docker compose"; "docker-compose" for v1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
envfile=${FINOTE_ENV_FILE:-$here/.env}
wait_s=${FINOTE_DEPLOY_WAIT:-120}
read -r -a compose_cmd <<<"${DOCKER_COMPOSE:-docker compose}"
[ $# -gt 0 ] && export FINOTE_TAG="$1"

step() { printf 'deploy: %s\n' "$*"; }
fail() { printf 'deploy: FAILED: %s\n' "$*" >&2; exit 1; }
compose() { "${compose_cmd[@]}" -f "$here/compose.yml" --env-file "$envfile" "$@"; }

[ -f "$envfile" ] || fail "$envfile is missing (cp docker/.env.example docker/.env and edit it)"
if grep -q 'change-me' "$envfile"; then
  fail "$envfile still has change-me values"
fi

# Wait for a service's container to report healthy.
wait_healthy() {
  local service=$1 id status i
  for ((i = 0; i < wait_s; i += 2)); do
    id=$(compose ps -q "$service")
    status=$( [ -n "$id" ] && docker inspect --format '{{.State.Health.Status}}' "$id" 2>/dev/null || echo starting)
    [ "$status" = healthy ] && return 0
    sleep 2
  done
  return 1
}

step "1/4 pull images (tag ${FINOTE_TAG:-from $envfile})"
compose pull db migrate shim || fail "pull"

step "2/4 database up (the volume finote_pgdata is kept)"
compose up -d --no-deps db || fail "starting db"
wait_healthy db || fail "db is not healthy after ${wait_s}s"

step "3/4 migrate (the running shim is untouched until this succeeds)"
if ! compose run --rm migrate; then
  fail "migration failed: rollout stopped; the running shim goes on serving the previous version"
fi

step "4/4 replace the shim"
compose up -d --no-deps shim || fail "starting the new shim"
if ! wait_healthy shim; then
  compose logs --tail 50 shim >&2 || true
  fail "the new shim is not ready (/readyz) after ${wait_s}s"
fi
step "done: $(compose ps)"
