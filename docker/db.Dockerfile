# The Finote database: Debian's PostgreSQL with the finote extension, and the
# official postgres image's interface (docker/db/entrypoint.sh).
#
#   docker build -f docker/db.Dockerfile -t finote-db .     (context: the repository)
#
# Built FROM a Debian base with Debian's PostgreSQL packages rather than FROM
# the official postgres image, so that the image `make test-docker` builds and
# runs is the image that ships (registry images cannot be pulled where the
# suite runs). docker/README.md shows how to add the extension to an official
# postgres:NN image instead. The classic builder builds it (no BuildKit).
#
# The build stage compiles and installs the extension with the repository's
# own scripts (docker/apt-install.sh, docker/build-extension.sh), which `make
# test` also runs on the host; the final stage copies only the installed
# files. Nothing is compiled when a container starts. The image also carries
# docker/migrate.sh as `finote-migrate` (the compose service `migrate`),
# docker/backup.sh as `finote-backup` (the compose service `backup`:
# pgBackRest) and the operator's tool bin/finote-db as `finote-db` (its
# support files, bin/lib, in /usr/local/share/finote-db), which both use.
ARG DEBIAN_IMAGE=debian:trixie-slim

FROM ${DEBIAN_IMAGE} AS build
ARG PG_MAJOR=17
ENV PG_MAJOR=${PG_MAJOR} \
    PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /src
COPY docker/apt-install.sh docker/build-extension.sh docker/
COPY docker/packages/db-build.txt docker/packages/
RUN docker/apt-install.sh docker/packages/db-build.txt
COPY Makefile ./
COPY extension/ extension/
COPY sql/ sql/
RUN docker/build-extension.sh /out

FROM ${DEBIAN_IMAGE}
ARG PG_MAJOR=17
# the official image's environment: PG_MAJOR, PATH to the server's binaries, PGDATA
ENV PG_MAJOR=${PG_MAJOR} \
    PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
# Debian's server without its packaged cluster, finote.so's libsodium, and the
# official image's directories and entrypoint (docker/db/setup.sh).
COPY docker/apt-install.sh docker/db/setup.sh docker/db/entrypoint.sh docker/packages/db-runtime.txt /tmp/finote-setup/
# pgBackRest: its configuration, the archiving settings, the shared functions
COPY docker/db/pgbackrest.conf docker/db/archive.conf docker/db/backup.sh /tmp/finote-setup/
RUN /tmp/finote-setup/setup.sh /tmp/finote-setup
COPY --from=build /out/ /
# the migrate service: finote-migrate runs finote-db migrate (the operator's tool)
COPY bin/finote-db /usr/local/bin/finote-db
COPY bin/lib/ /usr/local/share/finote-db/
COPY docker/migrate.sh /usr/local/bin/finote-migrate
# the backup service: pgBackRest's schedule and the operator's physical commands
COPY docker/backup.sh /usr/local/bin/finote-backup
# No VOLUME: a container of this image that is not the server (migrate, a
# backup, psql) would get an anonymous volume of its own every time. Data
# lives where it is mounted at PGDATA (compose: the named volume).
ENTRYPOINT ["docker-entrypoint.sh"]
# SIGINT is PostgreSQL's fast shutdown, as in the official image
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
LABEL org.opencontainers.image.title="finote-db" \
      org.opencontainers.image.description="PostgreSQL (Debian) with the finote extension"
