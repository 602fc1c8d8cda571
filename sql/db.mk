# Operator targets: thin wrappers around sql/finote-db (see OPERATIONS.md).
# Included from the top-level Makefile with `include sql/db.mk`, after the
# PGXS include. Every target works on $DATABASE_URL:
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
# (PGXS defines VERSION, so the target version is TO=.)
FINOTE_DB = PG_CONFIG='$(PG_CONFIG)' sql/finote-db

.PHONY: db-status db-migrate db-check db-backup db-restore db-seed db-reset db-new-version
db-status:
	@$(FINOTE_DB) status
db-migrate:
	@$(FINOTE_DB) migrate $(TO)
db-check:
	@$(FINOTE_DB) check $(ARGS)
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
	@$(FINOTE_DB) new-version $(FROM) $(TO)
