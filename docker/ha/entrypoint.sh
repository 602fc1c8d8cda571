#!/usr/bin/env bash
# finote-patroni: the entrypoint of a cluster member (docker/ha/patroni.Dockerfile).
#
# Started as root, it writes pgBackRest's passphrase from the secret file
# FINOTE_BACKUP_PASS_FILE where only postgres reads it (docker/db/backup.sh,
# as the db image's entrypoint does: it is in no environment variable,
# argument list or log), then execs Patroni as postgres (setpriv: no process
# stays in between; Patroni is PID 1 and gets the container's signals).
# Without a passphrase the member runs all the same, and its archive_command
# fails, loudly in the server's log, until there is one.
set -euo pipefail
# shellcheck source=../db/backup.sh
. /usr/local/lib/finote/backup.sh
if [ "$(id -u)" = 0 ]; then
  finote_backup_secret || true
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
exec patroni /etc/finote/patroni.yml "$@"
