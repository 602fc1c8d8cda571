# Finote: the finote extension (PGXS), the HTTP shim, and the project's
# two commands, `make run` and `make test`.

EXTENSION_SRCS = $(wildcard extension/*.c)
MODULE_big = finote
OBJS = $(EXTENSION_SRCS:.c=.o)
MODULEDIR = extension
DATA = extension/finote.control $(wildcard sql/finote--*.sql)

REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=test/out

SHLIB_LINK = -lsodium
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror=implicit-function-declaration
EXTRA_CLEAN = test/out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
# After the include, which sets its own default: test/sql/08 dumps this database.
CONTRIB_TESTDB = finote_regress

.PHONY: shim test run
shim:
	$(MAKE) -C shim PG_CONFIG=$(PG_CONFIG)

# Everything, on a fresh machine: packages, build, install, throwaway cluster,
# pg_regress, end-to-end suites. Exits non-zero on any failure.
test:
	test/bin/test-all

# The service on a local cluster kept in .finote/run (data survives restarts).
run:
	test/bin/run
