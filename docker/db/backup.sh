# shellcheck shell=bash
# backup.sh: pgBackRest in the finote-db image, sourced (never run) by the
# entrypoint (docker/db/entrypoint.sh) and by finote-backup (docker/backup.sh),
# installed as /usr/local/lib/finote/backup.sh. An image built on finote-db
# whose server is started otherwise (a Patroni member) sources it too: its
# clusters include the same archive.conf and push to the same stanza.

# the archiving settings every cluster of the image includes (archive.conf)
finote_archive_conf=/etc/postgresql/finote-archive.conf
finote_cipher_conf=/etc/pgbackrest/conf.d/finote-cipher.conf

# finote_backup_secret: as root. The repository's passphrase, from the file
# FINOTE_BACKUP_PASS_FILE (default /run/secrets/finote_backup_pass, the
# compose secret) into pgBackRest's conf.d, mode 0600, owner postgres: it
# never is in an environment variable, an argument list or a log. 1, with a
# message that names the file only, when there is no usable passphrase:
# then archive_command and backups fail (loudly) until there is one.
finote_backup_secret() {
  local file=${FINOTE_BACKUP_PASS_FILE:-/run/secrets/finote_backup_pass} pass tmp
  unset FINOTE_BACKUP_PASS_FILE
  if [ ! -r "$file" ] || [ -d "$file" ]; then
    echo "finote-db: no pgBackRest passphrase file at $file: WAL archiving and backups fail until there is one (docker/README.md, Backups with pgBackRest)" >&2
    return 1
  fi
  IFS= read -r pass <"$file" || true
  if [ ${#pass} -lt 20 ]; then
    echo "finote-db: the pgBackRest passphrase in $file is shorter than 20 characters; not used" >&2
    return 1
  fi
  install -d -m 0755 "${finote_cipher_conf%/*}"
  tmp=$(mktemp "${finote_cipher_conf%/*}/.cipher.XXXXXX")
  chmod 0600 "$tmp"
  # printf is bash's own: the passphrase is in no process's argument list
  printf '[global]\nrepo1-cipher-pass=%s\n' "$pass" >"$tmp"
  chown postgres:postgres "$tmp"
  mv -f "$tmp" "$finote_cipher_conf"
}

# finote_archive_include: as postgres, with PGDATA set. A cluster initialised
# before the image archived WAL gets archive.conf's include line appended,
# once; a new cluster has it already (initdb copies the sample config that
# setup.sh gave it).
finote_archive_include() {
  local conf=$PGDATA/postgresql.conf line="include_if_exists = '$finote_archive_conf'"
  [ -f "$conf" ] || return 0
  grep -qxF "$line" "$conf" || printf '\n# WAL archiving into pgBackRest (finote-db image)\n%s\n' "$line" >>"$conf"
}
