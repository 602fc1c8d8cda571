# shellcheck shell=bash disable=SC2154 # suite and started are the caller's
# tap.sh: TAP lines for the bash suites on the Docker engine
# (test/docker/scenarios, test/backup/run, test/ha/run). Sourced; the caller
# sets suite (its name in messages) and started (SECONDS at its start), and
# ends with "1..$n" and an exit status from $failed.
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check MESSAGE COMMAND...: the command's status is the check
check() { local m=$1; shift; if "$@"; then ok "$m"; else not_ok "$m"; fi; }
# same VALUE EXPECTED MESSAGE
same() { if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3 (got '$1', expected '$2')"; fi; }
# todo MESSAGE COMMAND...: a target not reached yet: printed, not counted
todo() { local m=$1; shift; n=$((n + 1)); if "$@"; then echo "ok $n - $m"; else echo "not ok $n - $m # TODO"; fi; }
die() { echo "$suite: $*" >&2; exit 1; }
stage() { printf '\n== %s (%ds)\n' "$*" $((SECONDS - started)); }
