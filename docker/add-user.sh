#!/usr/bin/env bash
# add-user.sh: the unprivileged account finote-shim runs as in its image.
#
#   docker/add-user.sh [ROOT]
#
# Adds user and group `finote` (uid/gid 10001, no home, no shell) to the
# system under ROOT (default /), unless the user exists. The shim image's
# runtime stage runs it; test/t/301_docker_scripts.t runs it on a copy of the
# host's /etc (useradd --prefix), so the host's accounts are never touched.
set -euo pipefail
root=${1:-/}
name=finote
id=10001
if grep -q "^$name:" "$root/etc/passwd"; then
  exit 0
fi
prefix=()
[ "$root" = / ] || prefix=(--prefix "$(cd "$root" && pwd)")
groupadd ${prefix[@]+"${prefix[@]}"} --gid "$id" "$name"
useradd ${prefix[@]+"${prefix[@]}"} --uid "$id" --gid "$id" --no-create-home \
  --home-dir /nonexistent --shell /usr/sbin/nologin "$name"
