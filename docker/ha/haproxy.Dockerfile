# The Finote cluster's database address: HAProxy forwards each connection to
# the member whose Patroni answers 200 on /primary (docker/ha/haproxy.cfg).
#
#   docker build -f docker/ha/haproxy.Dockerfile -t finote-haproxy .
ARG DEBIAN_IMAGE=debian:trixie-slim
FROM ${DEBIAN_IMAGE}
COPY docker/apt-install.sh docker/packages/ha-haproxy.txt /tmp/finote-setup/
RUN FINOTE_APT_CLEAN=1 /tmp/finote-setup/apt-install.sh /tmp/finote-setup/ha-haproxy.txt
COPY docker/ha/haproxy.cfg /etc/haproxy/haproxy.cfg
USER haproxy
EXPOSE 5000
# SIGUSR1: soft stop, the connections in flight finish
STOPSIGNAL SIGUSR1
ENTRYPOINT ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
LABEL org.opencontainers.image.title="finote-haproxy" \
      org.opencontainers.image.description="HAProxy routing to the Patroni leader of the Finote cluster"
