#!/usr/bin/env bash
# apt-install.sh: install the Debian packages named in package lists.
#
#   docker/apt-install.sh LIST...          install what is missing (root)
#   docker/apt-install.sh --check LIST...  exit 1 naming any package apt does not know
#
# A list has one package a line; '#' starts a comment. @PG_MAJOR@ stands for
# the PostgreSQL major version: $PG_MAJOR (the official postgres image sets
# it), else the one of pg_config. The images run this in their RUN steps and
# `make test` runs it on the host (test/t/301_docker_scripts.t), so the same
# lines are exercised in both places. Idempotent and quiet when nothing is
# missing. FINOTE_APT_CLEAN=1 removes apt's lists afterwards (image layers).
set -euo pipefail

check=false
if [ "${1:-}" = --check ]; then check=true; shift; fi
[ $# -gt 0 ] || { echo "usage: apt-install.sh [--check] LIST..." >&2; exit 2; }

if [ -z "${PG_MAJOR:-}" ]; then
  PG_MAJOR=$("${PG_CONFIG:-pg_config}" --version 2>/dev/null | sed -E 's/^PostgreSQL ([0-9]+).*/\1/') || true
fi

wanted=()
for list in "$@"; do
  while read -r pkg; do
    [ -n "$pkg" ] || continue
    if [[ $pkg == *@PG_MAJOR@* ]]; then
      [ -n "${PG_MAJOR:-}" ] || { echo "apt-install: $list needs PG_MAJOR (no pg_config found)" >&2; exit 2; }
      pkg=${pkg//@PG_MAJOR@/$PG_MAJOR}
    fi
    wanted+=("$pkg")
  done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list")
done

if $check; then
  unknown=()
  for p in "${wanted[@]}"; do
    apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || unknown+=("$p")
  done
  if [ ${#unknown[@]} -gt 0 ]; then
    echo "apt-install: unknown to apt: ${unknown[*]}" >&2
    exit 1
  fi
  exit 0
fi

missing=()
for p in "${wanted[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = 'install ok installed' ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt-install: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${FINOTE_APT_CLEAN:-0}" = 1 ]; then
  rm -rf /var/lib/apt/lists/*
fi
