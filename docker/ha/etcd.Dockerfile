# A member of the etcd cluster that holds Patroni's leader lock and the
# cluster's dynamic configuration (docker/ha/compose.yml). Debian's etcd 3.5;
# every setting comes from ETCD_* variables (the compose file sets them).
#
#   docker build -f docker/ha/etcd.Dockerfile -t finote-etcd .
ARG DEBIAN_IMAGE=debian:trixie-slim
FROM ${DEBIAN_IMAGE}
COPY docker/apt-install.sh docker/packages/ha-etcd.txt /tmp/finote-setup/
RUN FINOTE_APT_CLEAN=1 /tmp/finote-setup/apt-install.sh /tmp/finote-setup/ha-etcd.txt && \
    install -d -o etcd -g etcd -m 0700 /var/lib/etcd/data
ENV ETCD_DATA_DIR=/var/lib/etcd/data \
    ETCDCTL_API=3
USER etcd
EXPOSE 2379 2380
ENTRYPOINT ["etcd"]
LABEL org.opencontainers.image.title="finote-etcd" \
      org.opencontainers.image.description="etcd (Debian) for the Finote cluster's Patroni"
