#!/usr/bin/env bash
# healthcheck.sh: exit 0 when finote-shim answers 200 on a probe path.
#
#   finote-healthcheck [PATH]     PATH: /healthz (default, liveness) or /readyz
#
# The shim image has no curl: this speaks HTTP/1.0 over bash's /dev/tcp.
# Host and port: FINOTE_HEALTH_HOST (127.0.0.1) and PORT (3000), the shim's own.
# Used by the image's HEALTHCHECK (/healthz), compose's readiness check
# (/readyz) and docker/deploy.sh; test/t/310_scaleout.t runs it against real shims.
set -uo pipefail
path=${1:-/healthz}
host=${FINOTE_HEALTH_HOST:-127.0.0.1}
port=${PORT:-3000}
timeout=${FINOTE_HEALTH_TIMEOUT:-3}

# shellcheck disable=SC2016  # the inner script takes its values as \$1..\$3
status=$(timeout "$timeout" bash -c '
  exec 3<>"/dev/tcp/$1/$2" || exit 1
  printf "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n" "$3" "$1" >&3
  IFS=" " read -r _ code _ <&3 && printf %s "$code"
' healthcheck "$host" "$port" "$path" 2>/dev/null)
if [ "$status" = 200 ]; then
  exit 0
fi
echo "finote-healthcheck: $path on $host:$port answered ${status:-nothing}" >&2
exit 1
