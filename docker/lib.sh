# shellcheck shell=bash
# lib.sh: shell functions of docker/deploy.sh, docker/smoke.sh and the
# scenarios of `make test-docker` (test/docker/scenarios). Source it; it sets
# no shell options of its own.

# The compose command, into the array compose_cmd: $DOCKER_COMPOSE if set
# ("docker compose", "docker-compose"), else the v2 plugin when the docker CLI
# has it, else docker-compose (v1, Debian bookworm's). compose.yml is valid
# for both.
# shellcheck disable=SC2034  # compose_cmd is the caller's
finote_compose_cmd() {
  if [ -n "${DOCKER_COMPOSE:-}" ]; then
    read -r -a compose_cmd <<<"$DOCKER_COMPOSE"
  elif docker compose version >/dev/null 2>&1; then
    compose_cmd=(docker compose)
  elif command -v docker-compose >/dev/null; then
    compose_cmd=(docker-compose)
  else
    echo "no compose: install the docker compose plugin or docker-compose" >&2
    return 1
  fi
}

# finote_wait_healthy SECONDS CONTAINER...: wait until every container's
# health is "healthy"; 1 (and the last status seen) when one is not in time.
finote_wait_healthy() {
  local limit=$1 c status
  shift
  local deadline=$((SECONDS + limit))
  for c in "$@"; do
    while :; do
      status=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$c" 2>/dev/null || echo missing)
      [ "$status" = healthy ] && break
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "container ${c:0:12} is $status after ${limit}s" >&2
        return 1
      fi
      sleep 1
    done
  done
}

# finote_json_str FIELD: the string value of "FIELD" in the JSON on stdin, as
# the shim writes it: "token": "..." (PostgreSQL's jsonb text puts a space
# after the colon; none is accepted too). For fields that occur once (a
# token, the title of a list of one note); no escaped quotes in the value.
finote_json_str() {
  sed -nE "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"([^\"]*)\".*/\1/p" | head -n 1
}

# finote_free_net: a /24 in 10.213.0.0/16 that no network of this engine
# uses, for FINOTE_NET of a stack beside others: prints its first three numbers.
finote_free_net() {
  local used n nets
  mapfile -t nets < <(docker network ls -q)
  used=$(docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' "${nets[@]}" 2>/dev/null)
  for n in $(shuf -i 1-254); do
    case " $used " in *" 10.213.$n.0/24 "*) continue ;; esac
    echo "10.213.$n"
    return 0
  done
  return 1
}

# finote_env_value FILE NAME DEFAULT: NAME as compose sees it: the process's
# environment first, then the last NAME= line of the env file, then DEFAULT.
finote_env_value() {
  local file=$1 name=$2 def=$3 val
  if [ -n "${!name+set}" ]; then printf '%s\n' "${!name}"; return; fi
  val=$(sed -n "s/^[[:space:]]*$name=//p" "$file" | tail -n 1)
  printf '%s\n' "${val:-$def}"
}
