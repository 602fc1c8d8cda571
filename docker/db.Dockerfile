# syntax=docker/dockerfile:1
# The Finote database: the official postgres image with the finote extension.
#
#   docker build -f docker/db.Dockerfile -t finote-db .     (context: the repository)
#
# The build stage compiles and installs the extension with the repository's
# own scripts (docker/apt-install.sh, docker/build-extension.sh), which `make
# test` also runs on the host; the final stage copies only the installed
# files. Nothing is compiled when a container starts. The image also carries
# docker/migrate.sh as `finote-migrate` (the compose service `migrate`) and the
# operator's tool bin/finote-db as `finote-db` (its support files, bin/lib,
# in /usr/local/share/finote-db), which it uses.
ARG PG_IMAGE=postgres:16-bookworm

FROM ${PG_IMAGE} AS build
WORKDIR /src
COPY docker/apt-install.sh docker/build-extension.sh docker/
COPY docker/packages/db-build.txt docker/packages/
RUN docker/apt-install.sh docker/packages/db-build.txt
COPY Makefile ./
COPY extension/ extension/
COPY sql/ sql/
RUN docker/build-extension.sh /out

FROM ${PG_IMAGE}
# finote.so's one library beyond the server's own (docker/packages/db-runtime.txt)
RUN --mount=type=bind,source=docker,target=/tmp/finote-docker \
    FINOTE_APT_CLEAN=1 /tmp/finote-docker/apt-install.sh /tmp/finote-docker/packages/db-runtime.txt
COPY --from=build /out/ /
# the migrate service: finote-migrate runs finote-db migrate (the operator's tool)
COPY bin/finote-db /usr/local/bin/finote-db
COPY bin/lib/ /usr/local/share/finote-db/
COPY docker/migrate.sh /usr/local/bin/finote-migrate
LABEL org.opencontainers.image.title="finote-db" \
      org.opencontainers.image.description="PostgreSQL 16 with the finote extension"
# The entrypoint, user, volume, port and STOPSIGNAL are the postgres image's.
