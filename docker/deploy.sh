#!/usr/bin/env bash
# deploy.sh: roll out a Finote build on its Docker host, migration first, with
# the service answering throughout.
#
#   docker/deploy.sh [TAG]          TAG: image tag to deploy (default: FINOTE_TAG of docker/.env)
#
# Run on the host, in a checkout of the repository with docker/.env filled in
# (.github/workflows/deploy.yml runs it there over SSH). The steps:
#   1. pull the images of TAG (FINOTE_DEPLOY_PULL=0: they are on this host
#      already, built here with `docker compose build` or loaded);
#   2. make sure the database runs the new db image (it carries the new
#      extension files; the named volume stays as it is) and is healthy, and
#      the backup service (pgBackRest) runs the same image;
#   3. run the one-shot migrate service (CREATE EXTENSION IF NOT EXISTS finote;
#      ALTER EXTENSION finote UPDATE). If it fails the rollout STOPS here: the
#      shim that is running is not touched and goes on serving;
#   4. start a shim of the new image beside the running one(s), wait until it
#      is healthy (/readyz answers 200), then stop the old ones (SIGTERM: they
#      finish what is in flight and answer 503 to new requests, which the
#      proxy retries on the new shim) and remove them;
#   5. recreate the proxy only if its image changed (that drops its
#      connections for a moment).
# Exit status: 0 deployed; 1 refused or failed (the step is printed).
# Environment: FINOTE_ENV_FILE (docker/.env), FINOTE_DEPLOY_WAIT (120 s per
# wait), DOCKER_COMPOSE (the compose command; found by docker/lib.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
envfile=${FINOTE_ENV_FILE:-$here/.env}
wait_s=${FINOTE_DEPLOY_WAIT:-120}
[ $# -gt 0 ] && export FINOTE_TAG="$1"

step() { printf 'deploy: %s\n' "$*"; }
fail() { printf 'deploy: FAILED: %s\n' "$*" >&2; exit 1; }
compose() { "${compose_cmd[@]}" -f "$here/compose.yml" --env-file "$envfile" "$@"; }

[ -f "$envfile" ] || fail "$envfile is missing (cp docker/.env.example docker/.env and edit it)"
# values only: the comments copied from .env.example say "change-me" too
if grep -Eq '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*=.*change-me' "$envfile"; then
  fail "$envfile still has change-me values: $(grep -Eo '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*=.*change-me' "$envfile" | cut -d= -f1 | tr -d ' ' | tr '\n' ' ')"
fi
compose_cmd=()
finote_compose_cmd || fail "no compose command"

if [ "${FINOTE_DEPLOY_PULL:-1}" = 0 ]; then
  step "1/5 images of tag ${FINOTE_TAG:-from $envfile}: on this host already (FINOTE_DEPLOY_PULL=0)"
else
  step "1/5 pull images (tag ${FINOTE_TAG:-from $envfile})"
  compose pull db migrate shim proxy || fail "pull"
fi

step "2/5 database up (its volume is kept)"
compose up -d --no-deps db || fail "starting db"
finote_wait_healthy "$wait_s" "$(compose ps -q db)" || fail "db is not healthy after ${wait_s}s"
compose up -d --no-deps backup || fail "starting the backup service"

step "3/5 migrate (the running shim is untouched until this succeeds)"
if ! compose run --rm migrate; then
  fail "migration failed: rollout stopped; the running shim goes on serving the previous version"
fi

step "4/5 a new shim beside the running one, then the old one stopped"
mapfile -t old < <(compose ps -q shim)
compose up -d --no-deps --no-recreate --scale shim=$((${#old[@]} + 1)) shim || fail "starting the new shim"
mapfile -t new < <(compose ps -q shim | grep -vxF -f <(printf '%s\n' "${old[@]}" ''))
[ ${#new[@]} -gt 0 ] || fail "no new shim container was started"
if ! finote_wait_healthy "$wait_s" "${new[@]}"; then
  for c in "${new[@]}"; do docker logs --tail 50 "$c" >&2 || true; done
  docker rm -f "${new[@]}" >/dev/null || true
  fail "the new shim is not ready (/readyz) after ${wait_s}s; the old one goes on serving"
fi
if [ ${#old[@]} -gt 0 ]; then
  docker stop -t 30 "${old[@]}" >/dev/null || fail "stopping the old shim"
  docker rm "${old[@]}" >/dev/null || fail "removing the old shim"
fi

step "5/5 proxy"
proxy=$(compose ps -q proxy)
want=$(compose config | sed -n '/^  proxy:$/,/^  [a-z]/s/^    image: *//p')
if [ -n "$proxy" ] && [ "$(docker inspect --format '{{.Image}}' "$proxy")" = "$(docker image inspect --format '{{.Id}}' "$want" 2>/dev/null)" ]; then
  step "the proxy runs $want already: left as it is"
else
  compose up -d --no-deps proxy || fail "starting the proxy"
fi
step "done: $(compose ps)"
