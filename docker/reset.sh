#!/usr/bin/env bash
# reset.sh: TOTAL RESET of a Docker deployment. DELETES ALL DATA.
#
#   docker/reset.sh --yes                        NODE_ENV is not production
#   docker/reset.sh --destroy-all-data --yes     NODE_ENV=production (.env.example's)
#
# The one command that removes the database volume (FINOTE_VOLUME,
# finote_pgdata): every user, session and note is gone. With NODE_ENV=
# production (in docker/.env or the environment) it refuses unless
# --destroy-all-data is given, whatever else is; on a terminal it asks for
# the volume's name, elsewhere it needs --yes. Then:
#   1. a backup, finote-before-reset-DATE.dump in FINOTE_BACKUP_DIR
#      (docker/backups), when db runs (a failed backup stops the reset:
#      nothing is deleted);
#   2. compose down (containers and networks; the volume is still there);
#   3. docker volume rm FINOTE_VOLUME;   <- the data is deleted here
#   4. compose up -d: initdb on the empty volume, migrate creates the extension.
# Environment: FINOTE_ENV_FILE (docker/.env), DOCKER_COMPOSE (docker/lib.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
envfile=${FINOTE_ENV_FILE:-$here/.env}
fail() { printf 'reset: %s\n' "$*" >&2; exit 1; }

yes=0 destroy=0
for a in "$@"; do
  case $a in
    --yes | -y) yes=1 ;;
    --destroy-all-data) destroy=1 ;;
    *) fail "usage: reset.sh [--yes] [--destroy-all-data]" ;;
  esac
done
[ -f "$envfile" ] || fail "$envfile is missing"
node_env=$(finote_env_value "$envfile" NODE_ENV production)
volume=$(finote_env_value "$envfile" FINOTE_VOLUME finote_pgdata)
if [ "$node_env" = production ] && [ $destroy -eq 0 ]; then
  fail "refusing: NODE_ENV=production. This deletes the volume $volume: every user, session and note. Take a backup (docker/README.md §4), then run: docker/reset.sh --destroy-all-data --yes"
fi
if [ $yes -eq 0 ]; then
  [ -t 0 ] || fail "refusing to delete the volume $volume without --yes (stdin is not a terminal)"
  printf 'reset: this deletes the volume %s and all its data.\nType its name to confirm: ' "$volume" >&2
  read -r answer || answer=
  [ "$answer" = "$volume" ] || fail "not confirmed; nothing changed"
fi
compose_cmd=()
finote_compose_cmd
compose() { "${compose_cmd[@]}" -f "$here/compose.yml" --env-file "$envfile" "$@"; }

db=$(compose ps -q db)
if [ -n "$db" ] && [ "$(docker inspect --format '{{.State.Running}}' "$db")" = true ]; then
  backups=${FINOTE_BACKUP_DIR:-$here/backups}
  mkdir -p "$backups"
  backup=$backups/finote-before-reset-$(date +%Y%m%d-%H%M%S).dump
  # shellcheck disable=SC2016  # expanded by the container's shell
  compose exec -T db sh -c 'pg_dump -U "$POSTGRES_USER" -Fc "$POSTGRES_DB"' >"$backup" ||
    { rm -f "$backup"; fail "the backup failed; nothing was deleted"; }
  echo "reset: backup $backup ($(wc -c <"$backup") bytes)"
else
  echo "reset: db is not running: no backup taken"
fi
compose down
if docker volume inspect "$volume" >/dev/null 2>&1; then
  docker volume rm "$volume" >/dev/null
  echo "reset: deleted the volume $volume"
fi
compose up -d
echo "reset: done: an empty database, extension created by migrate"
