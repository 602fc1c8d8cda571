# Finote: the finote extension (PGXS), the HTTP shim, and the project's
# two commands, `make run` and `make test`.

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
VERSIONS = 1.0 1.1 1.1.1 1.1.2 1.1.3 1.2 1.2.1
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

# The operator's targets: thin wrappers around bin/finote-db and, for the
# release engineer's check and new-version, bin/finote-release (OPERATIONS.md).
# Every target works on $DATABASE_URL:
#
#   make db-status
#   make db-migrate [TO=1.1]
#   make db-check [ARGS='--skip 4']
#   make db-backup [FILE=finote.dump]
#   make db-restore FILE=finote.dump
#   make db-seed
#   make db-reset ARGS='--yes'            (in production also --destroy-all-data)
#   make db-new-version FROM=1.1 TO=1.2
#
# (PGXS defines VERSION, so the target version is TO=.) They live here, not
# in an included file, so that a build from Makefile, extension/ and sql/
# alone (docker/build-extension.sh) still parses.
FINOTE_DB = PG_CONFIG='$(PG_CONFIG)' bin/finote-db
FINOTE_RELEASE = PG_CONFIG='$(PG_CONFIG)' bin/finote-release

.PHONY: db-status db-migrate db-check db-backup db-restore db-seed db-reset db-new-version
db-status:
	@$(FINOTE_DB) status
db-migrate:
	@$(FINOTE_DB) migrate $(TO)
db-check:
	@$(FINOTE_RELEASE) check $(ARGS)
db-backup:
	@$(FINOTE_DB) backup $(FILE)
db-restore:
	@test -n "$(FILE)" || { echo "usage: make db-restore FILE=backup.dump" >&2; exit 2; }
	@$(FINOTE_DB) restore $(FILE)
db-seed:
	@$(FINOTE_DB) seed
db-reset:
	@$(FINOTE_DB) reset $(ARGS)
db-new-version:
	@test -n "$(FROM)" && test -n "$(TO)" || { echo "usage: make db-new-version FROM=1.1 TO=1.2" >&2; exit 2; }
	@$(FINOTE_RELEASE) new-version $(FROM) $(TO)

.PHONY: shim test test-docker test-ha test-hostile test-matrix deb test-deb run lint bench bench-migrate
.PHONY: installcheck-versions check-one
# Every version's suite against a database created at that version, all on
# the library just installed.
installcheck-versions:
	@for v in $(VERSIONS); do \
		echo "== pg_regress: finote $$v suite at version $$v"; \
		$(MAKE) -s installcheck FINOTE_TEST_VERSION=$$v || exit 1; \
	done

shim:
	$(MAKE) -C shim PG_CONFIG=$(PG_CONFIG)

# clang-format (.clang-format) and cppcheck over extension/ and shim/;
# .ci/lint --fix formats.
lint:
	.ci/lint

# Everything, on a fresh machine: packages, build, install, throwaway cluster,
# pg_regress, end-to-end suites. Exits non-zero on any failure.
test:
	test/bin/test-all

# One test on its own, without test's package install and lint: a
# pg_regress file on a throwaway cluster, or a TAP file.
#   make check-one TEST=03_notes          make check-one TEST=test/t/110_auth.t
check-one:
	@test -n "$(TEST)" || { echo "usage: make check-one TEST=03_notes | TEST=test/t/110_auth.t" >&2; exit 2; }
	@test/bin/check-one $(TEST)

# The Docker deployment on a real engine: images built with compose, then the
# runbook's scenarios (docker/README.md). Starts dockerd if none answers.
test-docker:
	test/docker/scenarios

# The cluster of docker/ha/compose.yml (Patroni, etcd, HAProxy) on a real
# engine: formation, switchover, failover, partition, loss of a replica,
# what synchronous replication costs, and a rolling upgrade from the
# previous release's images, every acknowledged write read back
# (test/ha/run; about 10 minutes). Starts dockerd if none answers.
test-ha:
	test/ha/run

# What one hostile client costs the others: each attack of issue 14 against
# the shim alone and behind the proxy, a legitimate client's p50/p99 and
# failures, the shim's RSS (test/bench/HOSTILE.md; about 6 minutes). Fails
# on a failed legitimate request or on the shim's memory bound. Thousands of
# sockets: the open-file limit is raised as far as allowed.
test-hostile:
	ulimit -n 20000 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; test/bin/test-hostile

# Every supported PostgreSQL (15 bookworm, 17 trixie, 18 sid), each in a
# Docker container of its Debian release, from `git archive HEAD`: build with
# zero warnings, every version's pg_regress suite, finote-db check, the HTTP
# suites; one line per version (test/matrix/run).
test-matrix:
	test/matrix/run

# Debian packages postgresql-NN-finote and finote-shim for bookworm (15),
# trixie (17) and sid (18), each built in a container of that release, into
# .finote/deb/SUITE/ (test/deb/build); test-deb installs them into clean
# containers and uses them as a DBA and an operator would (test/deb/test).
deb:
	test/deb/build

test-deb:
	test/deb/test

# How close the shim comes to the database's own limit (not part of make
# test; about 15 minutes): test/bench/README.md.
bench:
	test/bench/run

# bin/finote-db migrate from 1.1.2 to the default version while the shim
# serves a mixed workload on the bench data set: failed requests, p99 and
# lock waits during the migration (not part of make test; about 10 minutes):
# test/bench/README.md.
bench-migrate:
	test/bench/migrate-under-load

# The service on a local cluster kept in .finote/run (data survives restarts).
run:
	test/bin/run
