# shellcheck shell=bash
# release.sh: the working tree's finote version and the release before it,
# for the suites that build that release's images from the git history
# (test/docker/scenarios, test/ha/run). Source it from the repository's root;
# it sets no shell options of its own.

# finote_releases: sets current (extension/finote.control's default_version),
# previous, and prev_commit (the parent of the commit that made current the
# default, i.e. the last commit of the previous release). 1, with a message
# on stderr, when the history does not have them.
# shellcheck disable=SC2034  # current, previous, prev_commit are the caller's
finote_releases() {
  local bump
  current=$(finote_version_of <extension/finote.control)
  [ -n "$current" ] || { echo "no default_version in extension/finote.control" >&2; return 1; }
  git rev-parse --git-dir >/dev/null 2>&1 ||
    { echo "needs a git checkout (the previous release is built from its history)" >&2; return 1; }
  [ "$(git rev-parse --is-shallow-repository)" = false ] ||
    { echo "needs the whole history: git fetch --unshallow" >&2; return 1; }
  bump=$(git log -1 --format=%H -S"default_version = '$current'" -- extension/finote.control)
  if [ -n "$bump" ]; then prev_commit=$(git rev-parse "$bump^"); else prev_commit=$(git rev-parse HEAD); fi
  previous=$(git show "$prev_commit:extension/finote.control" | finote_version_of)
  if [ -z "$previous" ] || [ "$previous" = "$current" ]; then
    echo "no release before $current found in the history" >&2
    return 1
  fi
}
finote_version_of() { sed -n "s/^default_version = '\(.*\)'/\1/p"; }

# finote_prev_src DIR: the previous release's sources (prev_commit's Makefile,
# extension, sql, shim) with today's Dockerfiles, scripts and operator tools
# (docker/, bin/, .dockerignore: older trees kept the tool in sql/), in DIR,
# a build context for the same Dockerfiles.
finote_prev_src() {
  local dir=$1
  mkdir -p "$dir"
  git archive "$prev_commit" Makefile extension sql shim | tar -x -C "$dir"
  cp -R docker bin .dockerignore "$dir/"
  rm -f "$dir/docker/.env" "$dir/docker/ha/.env"
}
