# Finote: the finote extension (PGXS), the HTTP shim, and the project's
# two commands, `make run` and `make test`. `make help` lists the targets:
# each is described by the `## ` comment on its line.

EXTENSION_SRCS = $(wildcard extension/*.c)
MODULE_big = finote
OBJS = $(EXTENSION_SRCS:.c=.o)
MODULEDIR = extension
DATA = extension/finote.control $(wildcard sql/finote--*.sql)

# Each released version's pg_regress suite. Later versions must still pass
# the earlier lists (a 1.0 client keeps working), and the latest library must
# pass an older list against a database still at that version:
#   make installcheck FINOTE_TEST_VERSION=1.0
REGRESS_1.0 = 01_install 02_accounts 03_notes 04_sessions 05_throttle \
	06_rehash 07_privileges 08_dump_restore 12_worker_search_path
REGRESS_1.1 = $(REGRESS_1.0) 09_pinned_tags
REGRESS_1.1.1 = $(REGRESS_1.1) 10_json_inlined
REGRESS_1.1.2 = $(REGRESS_1.1.1) 11_search_index 16_bounded_search
# 1.1.3 replaces the per-username lockout of 05_throttle by attempt budgets
# with growing delays (issue 13): 13_attempts is its suite from 1.1.3 on.
REGRESS_1.1.3 = $(filter-out 05_throttle,$(REGRESS_1.1.2)) 13_attempts 14_body \
	15_hostile_functions
# 1.2 (issue 15): edit conflicts, history, trash, export, account deletion.
REGRESS_1.2 = $(REGRESS_1.1.3) 17_conflicts 18_revisions 19_trash 20_export \
	21_account_delete 22_hostile_functions_1_2
# 1.2.1: the collapse of revisions only within one writer's burst.
REGRESS_1.2.1 = $(REGRESS_1.2) 23_collapse_writers
# 1.2.2: the body functions out of plans and look-alikes with more specific
# signatures (issue 20), the export in bounded pieces (issue 20), the
# attempt server whose budgets count failures only (issue 25).
REGRESS_1.2.2 = $(REGRESS_1.2.1) 24_body_plans 24_hostile_signatures 25_export_bounded \
	26_attempt_server
# 1.3 (issue 23): idempotency keys, a writer per tab.
REGRESS_1.3 = $(REGRESS_1.2.2) 27_idempotency 28_writer_tabs 29_import
# Every version sql/ holds a script for, oldest first: each must have its
# REGRESS_x list above (installcheck-versions says which one is missing).
VERSIONS := $(shell ls sql | sed -n -e 's/^finote--\([0-9.]*\)\.sql$$/\1/p' \
	-e 's/^finote--[0-9.]*--\([0-9.]*\)\.sql$$/\1/p' | sort -u -V)
DEFAULT_VERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" extension/finote.control)
FINOTE_TEST_VERSION ?= $(DEFAULT_VERSION)
export FINOTE_TEST_VERSION
REGRESS = $(REGRESS_$(FINOTE_TEST_VERSION))
REGRESS_OPTS = --inputdir=test --outputdir=test/out

SHLIB_LINK = -lsodium
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror=implicit-function-declaration
EXTRA_CLEAN = test/out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
# After the include, which sets its own default: test/sql/08 dumps this database.
CONTRIB_TESTDB = finote_regress
# PGXS tracks no header dependencies: a struct changed in finote.h must
# rebuild every object, or the library mixes two layouts of it.
$(OBJS): extension/finote.h

# `make` builds the shim too. Not in pg_buildext's per-version builds
# (USE_PGXS=1 on their command line): debian/rules builds the shim once, with
# the package's hardening flags, and a build from Makefile, extension/ and
# sql/ alone (docker/build-extension.sh) has no shim to build.
ifndef USE_PGXS
ifneq ($(wildcard shim/Makefile),)
all: shim
endif
endif

.PHONY: help
help: ## this list
	@echo 'make [TARGET]: Finote (README.md). The operator tools are bin/finote-db and bin/finote-release.'
	@sed -n 's/^\([a-z][a-z-]*\):.*## \(.*\)$$/\1\t\2/p' $(firstword $(MAKEFILE_LIST)) | \
		while IFS="$$(printf '\t')" read -r target what; do printf '  %-22s %s\n' "$$target" "$$what"; done

.PHONY: shim test test-docker test-backup test-ha test-hostile test-matrix deb test-deb run lint bench bench-migrate bench-login bench-floor
.PHONY: installcheck-versions check-one
# Every version's suite against a database created at that version, all on
# the library just installed.
installcheck-versions: ## every version's pg_regress suite, each at its own version (a running server)
	@test -z "$(strip $(foreach v,$(VERSIONS),$(if $(REGRESS_$(v)),,$(v))))" || \
		{ echo "Makefile: no REGRESS list for $(foreach v,$(VERSIONS),$(if $(REGRESS_$(v)),,$(v)))" >&2; exit 1; }
	@for v in $(VERSIONS); do \
		echo "== pg_regress: finote $$v suite at version $$v"; \
		$(MAKE) -s installcheck FINOTE_TEST_VERSION=$$v || exit 1; \
	done

shim: ## the HTTP shim, shim/finote-shim
	$(MAKE) -C shim PG_CONFIG=$(PG_CONFIG)

# clang-format (.clang-format) and cppcheck over extension/ and shim/;
# .ci/lint --fix formats.
lint: ## clang-format, cppcheck, shellcheck (.ci/lint --fix formats)
	.ci/lint

# Everything, on a fresh machine: packages, build, install, throwaway cluster,
# pg_regress, end-to-end suites. Exits non-zero on any failure.
test: ## everything on this machine: packages, build, lint, pg_regress, TAP, ASan, browser
	test/bin/test-all

# One test on its own, without test's package install and lint: a
# pg_regress file on a throwaway cluster, or a TAP file.
#   make check-one TEST=03_notes          make check-one TEST=test/t/110_auth.t
check-one: ## one test: TEST=03_notes (pg_regress) or TEST=test/t/110_auth.t
	@test -n "$(TEST)" || { echo "usage: make check-one TEST=03_notes | TEST=test/t/110_auth.t" >&2; exit 2; }
	@test/bin/check-one $(TEST)

# The Docker deployment on a real engine: images built with compose, then the
# runbook's scenarios (docker/README.md). Starts dockerd if none answers.
test-docker: ## the compose deployment on a real Docker engine
	test/docker/scenarios

# pgBackRest's restore drills on a real engine (test/backup/run): set-up,
# lose the machine, undo an accident by a restore to a time, no plaintext in
# the repository, a backup of the previous release restored into the current
# images; prints the window of loss and the restore times. About 8 minutes.
test-backup: ## pgBackRest restore drills on a real Docker engine
	test/backup/run

# The cluster of docker/ha/compose.yml (Patroni, etcd, HAProxy) on a real
# engine: formation, switchover, failover, partition, loss of a replica,
# what synchronous replication costs, a rolling upgrade from the previous
# release's images, and pgBackRest with the cluster (archiving across a
# failover, a backup from a standby restored); every acknowledged write read
# back (test/ha/run).
test-ha: ## the Patroni cluster's failures and backups on a real Docker engine
	test/ha/run

# What one hostile client costs the others: each attack of issue 14 against
# the shim alone and behind the proxy, a legitimate client's p50/p99 and
# failures, the shim's RSS (test/bench/HOSTILE.md; about 6 minutes). Fails
# on a failed legitimate request or on the shim's memory bound. Thousands of
# sockets: the open-file limit is raised as far as allowed.
test-hostile: ## what hostile clients cost the others, shim alone and behind nginx
	ulimit -n 20000 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; test/bin/test-hostile

# Every supported PostgreSQL (15 bookworm, 17 trixie, 18 sid), each in a
# Docker container of its Debian release, from `git archive HEAD`: build with
# zero warnings, every version's pg_regress suite, finote-db check, the HTTP
# suites; one line per version (test/matrix/run).
test-matrix: ## PostgreSQL 15, 17 and 18 in Debian containers
	test/matrix/run

# Debian packages postgresql-NN-finote and finote-shim for bookworm (15),
# trixie (17) and sid (18), each built in a container of that release, into
# .finote/deb/SUITE/ (test/deb/build); test-deb installs them into clean
# containers and uses them as a DBA and an operator would (test/deb/test).
deb: ## the Debian packages for bookworm, trixie and sid, into .finote/deb/
	test/deb/build

test-deb: ## the Debian packages installed and used in clean containers
	test/deb/test

# How close the shim comes to the database's own limit (not part of make
# test; about 18 minutes): test/bench/README.md.
bench: ## the benchmark (about 18 minutes): test/bench/README.md
	test/bench/run

# make bench's login part on its own (about 2 minutes): finote.login at the
# default version against the 1.1.2 login, same library, same cluster.
bench-login: ## make bench's login part on its own (about 2 minutes)
	test/bench/login-ratio

# make bench's floor part on its own (about 5 minutes): the shim's CPU per
# GET against its own /healthz plus pgbench's client per call, against a
# bare thread per connection (test/bench/tpc.c), and against the Node stack.
bench-floor: ## make bench's GET-against-its-floor part on its own (about 5 minutes)
	test/bench/floor

# bin/finote-db migrate from 1.1.2 to the default version while the shim
# serves a mixed workload on the bench data set: failed requests, p99 and
# lock waits during the migration (not part of make test; about 11 minutes):
# test/bench/README.md.
bench-migrate: ## finote-db migrate under load (about 11 minutes)
	test/bench/migrate-under-load

# The service on a local cluster kept in .finote/run (data survives restarts).
run: ## the service on a local cluster kept in .finote/run
	test/bin/run
