# The Finote proxy: Debian's nginx with docker/proxy/, in front of finote-shim.
#
#   docker build -f docker/proxy.Dockerfile -t finote-proxy .   (context: the repository)
#
# The only service of docker/compose.yml with a published port. It runs
# docker/proxy/start.sh, which writes the listen and upstream lines from the
# environment (TLS when a certificate is mounted at /etc/finote/tls) and execs
# nginx as the unprivileged user www-data; docker/proxy/finote.conf says what
# nginx takes off the shim's hands.
ARG DEBIAN_IMAGE=debian:trixie-slim

FROM ${DEBIAN_IMAGE}
COPY docker/apt-install.sh docker/packages/proxy-runtime.txt /tmp/finote-setup/
RUN FINOTE_APT_CLEAN=1 /tmp/finote-setup/apt-install.sh /tmp/finote-setup/proxy-runtime.txt
COPY docker/proxy/ /usr/local/share/finote/proxy/
ENV FINOTE_PROXY_LISTEN=8080 \
    FINOTE_UPSTREAM=shim:3000 \
    FINOTE_TLS_DIR=/etc/finote/tls
USER www-data
EXPOSE 8080
# SIGQUIT: nginx finishes the requests in flight, then exits
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/usr/local/share/finote/proxy/start.sh"]
LABEL org.opencontainers.image.title="finote-proxy" \
      org.opencontainers.image.description="nginx in front of the Finote HTTP shim"
