#!/usr/bin/env bash
# backup.sh: the compose service `backup` (finote-backup in the db image):
# pgBackRest's backups of db's cluster, on a schedule, and the operator's
# physical commands on the same repository.
#
#   finote-backup                  the schedule: the stanza created (when it is
#                                  not), `pgbackrest check`, a full backup when
#                                  the repository has none, then each day
#                                  at FINOTE_BACKUP_AT (01:00, UTC) a
#                                  differential backup, a full one on
#                                  FINOTE_BACKUP_FULL_DAY (7: Sunday; ISO weekday)
#   finote-backup COMMAND [ARG...] finote-db pitr COMMAND: stanza-create, check,
#                                  info, backup, restore (bin/finote-db)
#
# `docker compose run --rm backup info` runs a command; docker/README.md,
# "Backups with pgBackRest". Started as root, it writes the passphrase from
# the secret (docker/db/backup.sh) and runs everything else as postgres, which
# reaches the server by peer over the shared socket (pg1-user is
# POSTGRES_USER) and reads the data volume, mounted read-only. A failed
# scheduled backup is reported and tried again at the next time.
set -euo pipefail
# shellcheck source=db/backup.sh
. /usr/local/lib/finote/backup.sh
if [ "$(id -u)" = 0 ]; then
  finote_backup_secret
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
[ $# -eq 0 ] || exec finote-db pitr "$@"

at=${FINOTE_BACKUP_AT:-01:00} full_day=${FINOTE_BACKUP_FULL_DAY:-7}
[[ $at =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] || { echo "finote-backup: FINOTE_BACKUP_AT must be HH:MM (UTC), not '$at'" >&2; exit 2; }
[[ $full_day =~ ^[1-7]$ ]] || { echo "finote-backup: FINOTE_BACKUP_FULL_DAY must be 1 (Monday) to 7 (Sunday), not '$full_day'" >&2; exit 2; }
trap 'exit 0' TERM INT

finote-db pitr stanza-create
# check switches the WAL segment, which wakes the archiver at once: its
# pushes failed while there was no stanza, and it would otherwise try again
# only a minute later
finote-db pitr check
[[ $(finote-db pitr info --output=json) == *'"label"'* ]] || finote-db pitr backup --type=full
while :; do
  now=$(date -u +%s)
  next=$(date -u -d "today $at" +%s)
  [ "$next" -gt "$now" ] || next=$(date -u -d "tomorrow $at" +%s)
  type="diff"
  [ "$(date -u -d "@$next" +%u)" != "$full_day" ] || type=full
  echo "finote-backup: next: a $type backup at $(date -u -d "@$next" '+%Y-%m-%d %H:%M') UTC"
  # in the background, so that the trap ends the wait at once on docker stop
  sleep $((next - now)) &
  wait $!
  finote-db pitr backup --type="$type" ||
    echo "finote-backup: the $type backup FAILED (above); the next one is tried at its time" >&2
done
