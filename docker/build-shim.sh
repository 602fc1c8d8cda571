#!/usr/bin/env bash
# build-shim.sh: build finote-shim and install it with its web app.
#
#   docker/build-shim.sh [DESTDIR]
#
# Installs  DESTDIR/usr/local/bin/finote-shim
#           DESTDIR/usr/local/share/finote/www/          (FINOTE_WEB_ROOT)
#           DESTDIR/usr/local/share/finote/openapi.json  (also built into the binary)
#           DESTDIR/usr/local/bin/finote-healthcheck     (docker/healthcheck.sh)
# The build stage of docker/shim.Dockerfile runs this with DESTDIR=/out and the
# runtime stage copies /out; `make test` runs it on the host
# (test/t/301_docker_scripts.t). Like build-extension.sh it builds a fresh copy
# of shim/ with shim/Makefile, the host's build. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
destdir=${1:-}
PG_CONFIG=${PG_CONFIG:-pg_config}
[ -z "$destdir" ] || { mkdir -p "$destdir"; destdir=$(cd "$destdir" && pwd); }

build=$(mktemp -d "${TMPDIR:-/tmp}/finote-shim.XXXXXX")
trap 'rm -rf "$build"' EXIT
cp -R "$root/shim" "$build/"
rm -f "$build/shim/finote-shim" "$build/shim/finote-shim-asan" "$build/shim"/*.o

# shim/Makefile's CFLAGS, without the build directory's name in the objects
make -C "$build/shim" -s PG_CONFIG="$PG_CONFIG" CFLAGS="-O2 -g -ffile-prefix-map=$build=." finote-shim >"$build/build.log" 2>&1 || { cat "$build/build.log" >&2; exit 1; }
install -d "$destdir/usr/local/bin" "$destdir/usr/local/share/finote"
install -m 0755 "$build/shim/finote-shim" "$destdir/usr/local/bin/finote-shim"
install -m 0755 "$root/docker/healthcheck.sh" "$destdir/usr/local/bin/finote-healthcheck"
install -m 0644 "$root/shim/openapi.json" "$destdir/usr/local/share/finote/openapi.json"
rm -rf "$destdir/usr/local/share/finote/www"
cp -R "$root/shim/www" "$destdir/usr/local/share/finote/www"
chmod -R a+rX,go-w "$destdir/usr/local/share/finote"
echo "build-shim: installed finote-shim, its web app and openapi.json into ${destdir:-/}usr/local"
