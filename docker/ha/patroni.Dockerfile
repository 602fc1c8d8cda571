# A Finote cluster member: the finote-db image (Debian's PostgreSQL 17 with
# the finote extension, finote-db and finote-migrate) with Patroni on top,
# which runs that PostgreSQL as leader or replica (docker/ha/compose.yml).
#
#   docker build -f docker/ha/patroni.Dockerfile \
#     --build-arg FINOTE_DB_IMAGE=ghcr.io/finote/finote-db:latest -t finote-patroni .
#
# Layered FROM the db image rather than built beside it, so that the server
# and the extension files of a member are byte for byte the ones the
# single-host image ships, and a new finote-db image makes new members with
# one rebuild; its pgBackRest configuration and archiving settings
# (docker/db) are the members' too. The db image's entrypoint is not used:
# Patroni runs initdb (the first member only; the others clone it with
# pg_basebackup), writes pg_hba.conf and postgresql.conf from
# docker/ha/patroni.yml and the environment, and starts and stops the server
# itself.
ARG FINOTE_DB_IMAGE=ghcr.io/finote/finote-db:latest
FROM ${FINOTE_DB_IMAGE}
COPY docker/apt-install.sh docker/packages/ha-patroni.txt /tmp/finote-setup/
RUN FINOTE_APT_CLEAN=1 /tmp/finote-setup/apt-install.sh /tmp/finote-setup/ha-patroni.txt
COPY docker/ha/patroni.yml /etc/finote/patroni.yml
COPY docker/ha/post-bootstrap.sh /usr/local/bin/finote-post-bootstrap
COPY docker/ha/entrypoint.sh /usr/local/bin/finote-patroni
# Patroni and the server run as postgres (the entrypoint drops root once it
# has written pgBackRest's passphrase). A member's volume is mounted at
# /var/lib/finote-members/NAME (compose.yml): postgres's own, so that a new
# volume is too
RUN install -d -o postgres -g postgres -m 0700 /var/lib/finote-members \
      /var/lib/finote-members/pg1 /var/lib/finote-members/pg2 /var/lib/finote-members/pg3
EXPOSE 5432 8008
# SIGTERM: Patroni stops PostgreSQL (fast shutdown) and releases the leader
# lock, so that a replica takes over at once instead of after the ttl
STOPSIGNAL SIGTERM
ENTRYPOINT ["finote-patroni"]
CMD []
# healthy while Patroni says its PostgreSQL runs (GET /health: 200), as
# leader or replica, asked by the shim image's bash-only probe
# (docker/healthcheck.sh; no interpreter to start on a busy host). The first
# start (initdb and the extension, or a clone of the leader) may take
# minutes.
COPY docker/healthcheck.sh /usr/local/bin/finote-healthcheck
HEALTHCHECK --interval=5s --timeout=10s --start-period=300s --retries=3 \
    CMD ["env", "PORT=8008", "FINOTE_HEALTH_TIMEOUT=8", "finote-healthcheck", "/health"]
LABEL org.opencontainers.image.title="finote-patroni" \
      org.opencontainers.image.description="A Finote cluster member: PostgreSQL with the finote extension under Patroni"
