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
	06_rehash 07_privileges 08_dump_restore
REGRESS_1.1 = $(REGRESS_1.0) 09_pinned_tags
REGRESS_1.1.1 = $(REGRESS_1.1) 10_json_inlined
REGRESS_1.1.2 = $(REGRESS_1.1.1) 11_search_index
VERSIONS = 1.0 1.1 1.1.1 1.1.2
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

# The operator's targets (db-status, db-migrate, ...) around sql/finote-db.
include sql/db.mk

.PHONY: shim test run lint bench installcheck-versions test-matrix deb test-deb
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

# The service on a local cluster kept in .finote/run (data survives restarts).
run:
	test/bin/run
