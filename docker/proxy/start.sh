#!/usr/bin/env bash
# start.sh: run nginx with the Finote proxy configuration (this directory).
#
#   docker/proxy/start.sh [NGINX-OPTION...]     e.g. -t to test the configuration only
#
# The entrypoint of the finote-proxy image, and the way to run the same
# configuration on a host (nginx from Debian). It copies nginx.conf and
# finote.conf into FINOTE_PROXY_PREFIX, writes the two files that differ
# between places, and execs nginx in the foreground. The prefix is the
# caller's alone: a new directory (mktemp -d) by default; one that is named
# must be the caller's own, mode 0700 and no symlink, else start.sh refuses
# it: another user who made it first could point what start.sh writes (as
# root too) at any file. A named one that does not exist is made so.
# What it writes there:
#   listen.conf    `listen FINOTE_PROXY_LISTEN;` plain HTTP, or with `ssl` when
#                  FINOTE_TLS_DIR holds cert.pem and key.pem (both or neither)
#   upstream.conf  $finote_upstream = FINOTE_UPSTREAM, and `resolver
#                  FINOTE_RESOLVER` when set (a name such as shim:3000 needs
#                  one; Docker's is 127.0.0.11)
#   rate.conf, limits.conf   what one client address may do
# Environment (defaults are the image's):
#   FINOTE_PROXY_LISTEN  8080          address:port or port
#   FINOTE_UPSTREAM      shim:3000     the shim(s): one host:port
#   FINOTE_RESOLVER      (none)        DNS server for FINOTE_UPSTREAM's name
#   FINOTE_TLS_DIR       /etc/finote/tls
#   FINOTE_PROXY_PREFIX  (new, in TMPDIR)   pid, temporary files, the copies
#   FINOTE_PROXY_CONNECTIONS  64       open connections per client address
#   FINOTE_PROXY_RATE    50            requests a second per client address,
#   FINOTE_PROXY_BURST   100           and how many above that it may queue
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
listen=${FINOTE_PROXY_LISTEN:-8080}
upstream=${FINOTE_UPSTREAM:-shim:3000}
resolver=${FINOTE_RESOLVER:-}
tls=${FINOTE_TLS_DIR:-/etc/finote/tls}
nginx=${NGINX:-nginx}
connections=${FINOTE_PROXY_CONNECTIONS:-64}
rate=${FINOTE_PROXY_RATE:-50}
burst=${FINOTE_PROXY_BURST:-100}

die() { echo "finote-proxy: $*" >&2; exit 1; }
# values go into nginx's syntax: allow only what an address can contain
[[ $listen =~ ^[][0-9A-Za-z.:-]+$ ]] || die "FINOTE_PROXY_LISTEN: not an address:port: $listen"
[[ $upstream =~ ^[][0-9A-Za-z.:_-]+:[0-9]+$ ]] || die "FINOTE_UPSTREAM: not a host:port: $upstream"
[[ $resolver =~ ^[][0-9A-Za-z.:\ -]*$ ]] || die "FINOTE_RESOLVER: not a list of addresses: $resolver"
for v in connections rate burst; do
  [[ ${!v} =~ ^[1-9][0-9]{0,5}$ ]] || die "FINOTE_PROXY_${v^^}: not a number from 1 to 999999: ${!v}"
done

if [ -z "${FINOTE_PROXY_PREFIX:-}" ]; then
  prefix=$(mktemp -d "${TMPDIR:-/tmp}/finote-proxy.XXXXXX")
else
  prefix=$FINOTE_PROXY_PREFIX
  [ -e "$prefix" ] || [ -L "$prefix" ] || mkdir -m 0700 -- "$prefix"
  if [ -L "$prefix" ] || [ ! -d "$prefix" ]; then
    die "FINOTE_PROXY_PREFIX $prefix: not a directory (a symlink is refused)"
  fi
  owner=$(stat -c %u -- "$prefix")
  [ "$owner" = "$(id -u)" ] || die "FINOTE_PROXY_PREFIX $prefix: owned by uid $owner, not by this user ($(id -u))"
  mode=$(stat -c %a -- "$prefix")
  [ "$mode" = 700 ] || die "FINOTE_PROXY_PREFIX $prefix: mode $mode, not 0700"
fi
mkdir -p "$prefix/tmp"
cp "$here/nginx.conf" "$here/finote.conf" "$prefix/"
if [ -f "$tls/cert.pem" ] && [ -f "$tls/key.pem" ]; then
  printf 'listen %s ssl;\nssl_certificate %s/cert.pem;\nssl_certificate_key %s/key.pem;\nssl_protocols TLSv1.2 TLSv1.3;\nssl_session_cache shared:finote_tls:10m;\n' \
    "$listen" "$tls" "$tls" >"$prefix/listen.conf"
  echo "finote-proxy: HTTPS on $listen (certificate $tls/cert.pem)"
elif [ -e "$tls/cert.pem" ] || [ -e "$tls/key.pem" ]; then
  die "$tls has only one of cert.pem and key.pem"
else
  printf 'listen %s;\n' "$listen" >"$prefix/listen.conf"
  echo "finote-proxy: HTTP on $listen (no certificate in $tls)"
fi
# shellcheck disable=SC2016  # $binary_remote_addr is nginx's variable
printf 'limit_req_zone $binary_remote_addr zone=finote_req:10m rate=%sr/s;\n' "$rate" >"$prefix/rate.conf"
printf 'limit_conn finote_conn %s;\nlimit_req zone=finote_req burst=%s nodelay;\n' "$connections" "$burst" >"$prefix/limits.conf"
{
  [ -z "$resolver" ] || printf 'resolver %s valid=2s ipv6=off;\nresolver_timeout 2s;\n' "$resolver"
  # shellcheck disable=SC2016  # $finote_upstream is nginx's variable
  printf 'set $finote_upstream %s;\n' "$upstream"
} >"$prefix/upstream.conf"
exec "$nginx" -e stderr -p "$prefix/" -c "$prefix/nginx.conf" -g 'daemon off;' "$@"
