# The Finote HTTP shim: finote-shim, its shared libraries and the web app.
#
#   docker build -f docker/shim.Dockerfile -t finote-shim .   (context: the repository)
#
# The build stage compiles with the repository's scripts (docker/apt-install.sh,
# docker/build-shim.sh), which `make test` also runs on the host. The runtime
# stage holds finote-shim, the libraries it links (docker/packages/
# shim-runtime.txt), shim/www, openapi.json and the health probe, and runs as
# the unprivileged user finote.
ARG DEBIAN_IMAGE=debian:trixie-slim

FROM ${DEBIAN_IMAGE} AS build
WORKDIR /src
COPY docker/apt-install.sh docker/
COPY docker/packages/shim-build.txt docker/packages/
RUN docker/apt-install.sh docker/packages/shim-build.txt
# what the runtime stage runs, kept apart so that it is rebuilt only when they change
COPY docker/apt-install.sh docker/add-user.sh docker/packages/shim-runtime.txt /setup/
COPY shim/ shim/
COPY docker/build-shim.sh docker/healthcheck.sh docker/
RUN docker/build-shim.sh /out

FROM ${DEBIAN_IMAGE}
COPY --from=build /setup/ /tmp/finote-setup/
RUN FINOTE_APT_CLEAN=1 /tmp/finote-setup/apt-install.sh /tmp/finote-setup/shim-runtime.txt \
 && /tmp/finote-setup/add-user.sh
COPY --from=build /out/ /
ENV PORT=3000 \
    NODE_ENV=production \
    FINOTE_WEB_ROOT=/usr/local/share/finote/www
USER finote
EXPOSE 3000
# finote-shim finishes the requests in flight on SIGTERM, then exits 0.
STOPSIGNAL SIGTERM
# Liveness. Readiness (/readyz: database reachable, extension version spoken)
# is compose's healthcheck: docker/compose.yml.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["finote-healthcheck", "/healthz"]
ENTRYPOINT ["finote-shim"]
LABEL org.opencontainers.image.title="finote-shim" \
      org.opencontainers.image.description="Finote HTTP API and web app"
