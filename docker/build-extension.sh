#!/usr/bin/env bash
# build-extension.sh: build the finote extension and install it.
#
#   docker/build-extension.sh [DESTDIR]
#
# The build stage of docker/db.Dockerfile runs this with DESTDIR=/out and its
# final stage copies /out, and nothing else, over the postgres image. `make
# test` runs the same script on the host (test/t/301_docker_scripts.t).
#
# It is the host's build (the top-level PGXS Makefile: `make && make install`)
# done in a fresh copy of Makefile, extension/ and sql/, so that objects left
# in the source tree (another PostgreSQL's, or a build in progress) can never
# end up in the result. Without DESTDIR it installs into the server itself.
# Idempotent: a second run installs the same files again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
destdir=${1:-}
PG_CONFIG=${PG_CONFIG:-pg_config}
[ -z "$destdir" ] || { mkdir -p "$destdir"; destdir=$(cd "$destdir" && pwd); }

build=$(mktemp -d "${TMPDIR:-/tmp}/finote-ext.XXXXXX")
trap 'rm -rf "$build"' EXIT
cp -R "$root/Makefile" "$root/extension" "$root/sql" "$build/"
# only sources: a copied object would look up to date to make
find "$build" \( -name '*.o' -o -name '*.so' -o -name '*.bc' \) -delete

echo "build-extension: $("$PG_CONFIG" --version), sources from $root"
# the build directory's name stays out of the objects: the same sources give the same files
make -C "$build" -s PG_CONFIG="$PG_CONFIG" COPT="-ffile-prefix-map=$build=." >"$build/build.log" 2>&1 || { cat "$build/build.log" >&2; exit 1; }
make -C "$build" -s install PG_CONFIG="$PG_CONFIG" ${destdir:+DESTDIR="$destdir"} >/dev/null
echo "build-extension: installed into ${destdir:-/}:"
echo "  $destdir$("$PG_CONFIG" --pkglibdir)/finote.so"
echo "  $destdir$("$PG_CONFIG" --sharedir)/extension/finote.control and finote--*.sql"
