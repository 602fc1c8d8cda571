#!/usr/bin/env bash
# setup.sh: the final stage of docker/db.Dockerfile, as root in the image.
#
#   setup.sh DIR     DIR holds apt-install.sh, db-runtime.txt, entrypoint.sh,
#                    pgbackrest.conf, archive.conf and backup.sh
#
# Installs Debian's PostgreSQL $PG_MAJOR without the cluster its package would
# create (the entrypoint makes one in PGDATA, on an empty volume only), and
# lays out what the official postgres image's users rely on: the user
# postgres, /var/run/postgresql for the socket, PGDATA's parent, an empty
# /docker-entrypoint-initdb.d, listen_addresses = '*' in the sample config
# that initdb copies, and the entrypoint as docker-entrypoint.sh. pgBackRest:
# its configuration (pgbackrest.conf), the archiving settings every cluster
# includes (archive.conf, included by the sample config), the functions the
# entrypoint and finote-backup share (backup.sh), and the directory a
# restore into a new volume writes to (/var/lib/postgresql/restore).
set -euo pipefail
dir=${1:?usage: setup.sh DIR}
: "${PG_MAJOR:?PG_MAJOR is not set}" "${PGDATA:?PGDATA is not set}"

# postgresql-common first, told not to create the "main" cluster
"$dir/apt-install.sh" /dev/stdin <<<postgresql-common
sed -ri 's/^#?\s*(create_main_cluster)\s*=.*/\1 = false/' /etc/postgresql-common/createcluster.conf
grep -q '^create_main_cluster = false' /etc/postgresql-common/createcluster.conf
FINOTE_APT_CLEAN=1 "$dir/apt-install.sh" "$dir/db-runtime.txt"
[ ! -e "/var/lib/postgresql/$PG_MAJOR/main" ] || { echo "setup: a packaged cluster was created" >&2; exit 1; }

sample=/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample
sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$sample"
grep -q "^listen_addresses = '\*'" "$sample"
printf "\n# WAL archiving into pgBackRest (finote-db image)\ninclude_if_exists = '/etc/postgresql/finote-archive.conf'\n" >>"$sample"

install -d -m 0755 /etc/pgbackrest/conf.d /usr/local/lib/finote
install -m 0644 "$dir/pgbackrest.conf" /etc/pgbackrest/pgbackrest.conf
install -m 0644 "$dir/archive.conf" /etc/postgresql/finote-archive.conf
install -m 0644 "$dir/backup.sh" /usr/local/lib/finote/backup.sh
# Debian's sample at the old place, ignored once pgbackrest.conf exists: one
# configuration only
rm -f /etc/pgbackrest.conf
install -d -o postgres -g postgres -m 0700 /var/lib/pgbackrest /var/lib/postgresql/restore

install -d -o postgres -g postgres -m 3777 /var/run/postgresql
install -d -o postgres -g postgres -m 0700 "$PGDATA"
install -d /docker-entrypoint-initdb.d
install -m 0755 "$dir/entrypoint.sh" /usr/local/bin/docker-entrypoint.sh

# the entrypoint drops root with setpriv (util-linux): no gosu to install
command -v setpriv >/dev/null
