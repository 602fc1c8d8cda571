/*
 * purge.c
 *	  Expiry (1.2): notes in the trash past finote.trash_retention, with
 *	  their revisions, and revisions past finote.revisions_max_age or beyond
 *	  the newest finote.revisions_keep of their note; from 1.3 idempotency
 *	  keys past finote.idempotency_key_lifetime (idempotency.c).
 *
 * Two ways run it, like the sweep of expired sessions at each login:
 *	- each write of a note (update, delete, restore) also purges up to
 *	  FINOTE_SWEEP_ROWS expired notes and revisions, of any user, so that a
 *	  service in use keeps up without a scheduler and no request pays for
 *	  more than a few rows;
 *	- finote.purge(max_rows), not granted to finote_api, for cron through
 *	  `finote-db purge`, which calls it until it returns 0 (OPERATIONS.md).
 * The sweep skips rows another transaction holds (SKIP LOCKED), so that it
 * never waits for, nor deadlocks with, a user's write. A note's count of
 * revisions is kept at each change (finote_revisions_trim, called by
 * notes.c); finote.purge also trims
 * notes after finote.revisions_keep was lowered, which walks every
 * revision, and so is left out of the sweep.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "catalog/pg_type.h"

PG_FUNCTION_INFO_V1(finote_purge_1_2);
PG_FUNCTION_INFO_V1(finote_purge_1_3);

#define PURGE_DEFAULT 1000
#define PURGE_MAX	  100000

/*
 * Keep the newest finote.revisions_keep revisions of a note; called after a
 * change added one, so that a note's history never grows past the setting
 * by more than that one revision, and the work is bounded by it.
 */
void
finote_revisions_trim(Datum user_id, Datum note_id)
{
	static FinoteQuery q = {
		.sql = "DELETE FROM finote.revisions r"
			   " WHERE r.user_id = $1 AND r.note_id = $2"
			   "   AND r.version <= (SELECT k.version FROM finote.revisions k"
			   "                      WHERE k.user_id = $1 AND k.note_id = $2"
			   "                      ORDER BY k.version DESC OFFSET $3 LIMIT 1)",
		.nargs = 3,
		.argtypes = {UUIDOID, UUIDOID, INT4OID},
	};

	finote_exec(&q, (Datum[]){user_id, note_id, Int32GetDatum(finote_revisions_keep)}, NULL);
}

/* Notes in the trash past retention, oldest first, and their revisions. */
static FinoteQuery q_trash = {
	.sql = "WITH e AS (SELECT t.user_id, t.id FROM finote.trash t"
		   "            WHERE t.deleted_at < pg_catalog.now() - pg_catalog.make_interval(secs => $2)"
		   "            ORDER BY t.deleted_at LIMIT $1 FOR UPDATE SKIP LOCKED),"
		   " d AS (DELETE FROM finote.trash t USING e"
		   "        WHERE t.user_id = e.user_id AND t.id = e.id RETURNING t.user_id, t.id),"
		   " r AS (DELETE FROM finote.revisions r USING d"
		   "        WHERE r.user_id = d.user_id AND r.note_id = d.id RETURNING 1)"
		   " SELECT (SELECT pg_catalog.count(*) FROM d) + (SELECT pg_catalog.count(*) FROM r)",
	.nargs = 2,
	.argtypes = {INT4OID, FLOAT8OID},
};

/* Revisions past their age, oldest first. */
static FinoteQuery q_old = {
	.sql = "WITH e AS (SELECT r.user_id, r.note_id, r.id FROM finote.revisions r"
		   "            WHERE r.created_at < pg_catalog.now() - pg_catalog.make_interval(secs => $2)"
		   "            ORDER BY r.created_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
		   " DELETE FROM finote.revisions r USING e"
		   "  WHERE r.user_id = e.user_id AND r.note_id = e.note_id AND r.id = e.id",
	.nargs = 2,
	.argtypes = {INT4OID, FLOAT8OID},
};

/* Revisions beyond the newest $2 of their note, in the order of its index. */
static FinoteQuery q_many = {
	.sql = "WITH e AS (SELECT k.user_id, k.note_id, k.id"
		   "             FROM (SELECT r.user_id, r.note_id, r.id, pg_catalog.row_number()"
		   "                            OVER (PARTITION BY r.user_id, r.note_id"
		   "                                  ORDER BY r.version DESC) AS n"
		   "                     FROM finote.revisions r) k"
		   "            WHERE k.n > $2 LIMIT $1)"
		   " DELETE FROM finote.revisions r USING e"
		   "  WHERE r.user_id = e.user_id AND r.note_id = e.note_id AND r.id = e.id",
	.nargs = 2,
	.argtypes = {INT4OID, INT4OID},
};

/*
 * Remove up to about max_rows expired rows (a purged note's revisions come
 * with it, at most finote.revisions_keep each); with counts, also the
 * revisions beyond finote.revisions_keep. Returns the rows removed. Runs
 * inside the caller's SPI connection.
 */
int64
finote_purge_expired(int max_rows, bool counts)
{
	int64 removed;
	bool  found;

	removed = DatumGetInt64(finote_exec_value(
		&q_trash,
		(Datum[]){Int32GetDatum(max_rows), Float8GetDatum(finote_trash_retention)},
		NULL, &found));
	if (removed < max_rows)
		removed += finote_exec(&q_old,
							   (Datum[]){Int32GetDatum(max_rows - removed),
										 Float8GetDatum(finote_revisions_max_age)},
							   NULL);
	if (counts && removed < max_rows)
		removed += finote_exec(&q_many,
							   (Datum[]){Int32GetDatum(max_rows - removed),
										 Int32GetDatum(finote_revisions_keep)},
							   NULL);
	return removed;
}

/*
 * finote.purge(max_rows int) RETURNS int: rows removed, 0 when nothing is
 * left to purge. For cron (finote-db purge) and the tests; max_rows bounds
 * one transaction's work.
 */
static Datum
purge(FunctionCallInfo fcinfo, bool keys)
{
	int	  max_rows = PG_ARGISNULL(0) ? PURGE_DEFAULT : PG_GETARG_INT32(0);
	int64 removed;

	if (max_rows < 1 || max_rows > PURGE_MAX)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("max_rows must be between 1 and %d", PURGE_MAX)));
	SPI_connect();
	removed = finote_purge_expired(max_rows, true);
	if (keys && removed < max_rows)
		removed += finote_idempotency_sweep(max_rows - removed);
	SPI_finish();
	PG_RETURN_INT32((int32) Min(removed, PG_INT32_MAX));
}

Datum
finote_purge_1_2(PG_FUNCTION_ARGS)
{
	return purge(fcinfo, false);
}

/* 1.3: expired idempotency keys too (idempotency.c). */
Datum
finote_purge_1_3(PG_FUNCTION_ARGS)
{
	return purge(fcinfo, true);
}
