/*
 * trash.c
 *	  Deleted notes (1.2): finote.note_delete moves a note to finote.trash,
 *	  and trash_list, trash_restore and trash_delete work on it there.
 *
 * The trash is a table of its own, not a flag on notes, so that every
 * statement on notes (get, list, search, tags) and its index stay as they
 * were: a trashed note is simply not there. A note keeps its id, its times
 * and its version in the trash; restoring it is a change, version + 1, and
 * leaves updated_at (the last edit) as it was. finote.trash_retention
 * expires it (purge.c).
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(finote_note_delete_1_2);
PG_FUNCTION_INFO_V1(finote_trash_list_1_2);
PG_FUNCTION_INFO_V1(finote_trash_restore_1_2);
PG_FUNCTION_INFO_V1(finote_trash_delete_1_2);
PG_FUNCTION_INFO_V1(finote_note_delete_1_2_2);
PG_FUNCTION_INFO_V1(finote_trash_restore_1_2_2);
PG_FUNCTION_INFO_V1(finote_trash_delete_1_2_2);

/*
 * A page ends before the note that would bring the notes' stored text past
 * PAGE_BYTES (each note counting 256 bytes more, so that empty ones are not
 * free), with a next_cursor; the first note is a page even when larger.
 * The same bound as the list's (notes.c), for the same reason: the shim
 * holds a page in memory while a client reads it.
 */
#define PAGE_BYTES (512 * 1024)

/*
 * The writes below lock the user's row from 1.2.2 (lock_user), so that one
 * racing the account's deletion is 28000, not a foreign key violation or a
 * deadlock (finote_session_user_for_write).
 *
 * finote.note_delete(token, id, if_version) RETURNS void, 1.2: the note
 * moves to the trash; if_version given and not its version is PT412.
 */
static void
note_delete(FunctionCallInfo fcinfo, bool lock_user)
{
	static FinoteQuery q = {
		.sql = "WITH d AS (DELETE FROM finote.notes n WHERE n.user_id = $1 AND n.id = $2"
			   "           RETURNING n.*)"
			   " INSERT INTO finote.trash"
			   "   (user_id, id, title, content, created_at, updated_at, pinned, tags, version,"
			   "    deleted_at)"
			   " SELECT d.user_id, d.id, d.title, d.content, d.created_at, d.updated_at, d.pinned,"
			   "        d.tags, d.version, pg_catalog.clock_timestamp() FROM d",
		.nargs = 2,
		.argtypes = {UUIDOID, UUIDOID},
	};
	Datum args[2];

	SPI_connect();
	args[0] = finote_session_user_for_write(fcinfo, lock_user);
	args[1] = finote_note_id_arg(fcinfo, 1);
	finote_note_lock(fcinfo, args[0], args[1], 2);
	finote_exec(&q, args, NULL);
	finote_purge_expired(FINOTE_SWEEP_ROWS, false);
	SPI_finish();
}

Datum
finote_note_delete_1_2(PG_FUNCTION_ARGS)
{
	note_delete(fcinfo, false);
	PG_RETURN_VOID();
}

Datum
finote_note_delete_1_2_2(PG_FUNCTION_ARGS)
{
	note_delete(fcinfo, true);
	PG_RETURN_VOID();
}

/*
 * finote.trash_list(token, lim, cursor) RETURNS jsonb: {"notes": [note and
 * deleted_at], "next_cursor"}, newest deletion first. The cursor is the
 * list's (cursor.c) over (deleted_at, id), its pinned flag unused. The page
 * is chosen on the notes' stored sizes, which octet_length reads without
 * detoasting them; only the notes on the page are turned into JSON.
 */
Datum
finote_trash_list_1_2(PG_FUNCTION_ARGS)
{
	static FinoteQuery q_page = {
		.sql = "WITH p AS ("
			   "  SELECT t.id, t.deleted_at,"
			   "         pg_catalog.row_number() OVER w AS i,"
			   "         pg_catalog.sum(pg_catalog.octet_length(t.title)"
			   "                        + pg_catalog.octet_length(t.content) + 256) OVER w AS bytes"
			   "    FROM finote.trash t"
			   "   WHERE t.user_id = $1 AND (t.deleted_at, t.id) < ($2, $3)"
			   "  WINDOW w AS (ORDER BY t.deleted_at DESC, t.id DESC ROWS UNBOUNDED PRECEDING)"
			   "   ORDER BY t.deleted_at DESC, t.id DESC LIMIT $4 + 1),"
			   " k AS (SELECT p.* FROM p WHERE p.i <= $4 AND (p.i = 1 OR p.bytes <= " CppAsString2(PAGE_BYTES) "))"
																											   " SELECT coalesce((SELECT pg_catalog.jsonb_agg(finote._trash_json(t) ORDER BY k.i)"
																											   "                    FROM k JOIN finote.trash t ON t.user_id = $1 AND t.id = k.id),"
																											   "                 '[]'::jsonb),"
																											   "        (SELECT pg_catalog.count(*) FROM p) > (SELECT pg_catalog.count(*) FROM k),"
																											   "        (SELECT k.deleted_at FROM k ORDER BY k.i DESC LIMIT 1),"
																											   "        (SELECT k.id FROM k ORDER BY k.i DESC LIMIT 1)",
		.nargs = 4,
		.argtypes = {UUIDOID, TIMESTAMPTZOID, UUIDOID, INT4OID},
	};
	static FinoteQuery q_result = {
		.sql = "SELECT pg_catalog.jsonb_build_object('notes', $1, 'next_cursor', $2)",
		.nargs = 2,
		.argtypes = {JSONBOID, TEXTOID},
	};
	int			lim = finote_page_limit(fcinfo, 1);
	bool		pinned_unused;
	TimestampTz after_ts = DT_NOEND;
	pg_uuid_t	after_id = {{0}};
	Datum		args[4];
	Datum		result[2];
	char		nulls[2] = {' ', 'n'};
	bool		isnull;
	bool		found;

	if (!PG_ARGISNULL(2) && VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(2)) > 0)
		finote_cursor_parse(PG_GETARG_TEXT_PP(2), &pinned_unused, &after_ts, &after_id);

	SPI_connect();
	args[0] = finote_session_user(fcinfo);
	args[1] = TimestampTzGetDatum(after_ts);
	args[2] = UUIDPGetDatum(&after_id);
	args[3] = Int32GetDatum(lim);
	finote_exec(&q_page, args, NULL);
	result[0] = finote_result_column(0, 1, &isnull);
	if (DatumGetBool(finote_result_column(0, 2, &isnull)))
	{
		TimestampTz ts = DatumGetTimestampTz(finote_result_column(0, 3, &isnull));
		pg_uuid_t  *id = DatumGetUUIDP(finote_result_column(0, 4, &isnull));

		result[1] = CStringGetTextDatum(finote_cursor_format(false, ts, id));
		nulls[1] = ' ';
	}
	result[0] = finote_exec_value(&q_result, result, nulls, &found);
	SPI_finish();
	PG_RETURN_DATUM(result[0]);
}

/*
 * finote.trash_restore(token, id) RETURNS jsonb: the note, back in the
 * list with version + 1.
 */
static Datum
trash_restore(FunctionCallInfo fcinfo, bool lock_user)
{
	static FinoteQuery q = {
		.sql = "WITH d AS (DELETE FROM finote.trash t WHERE t.user_id = $1 AND t.id = $2"
			   "           RETURNING t.*)"
			   " INSERT INTO finote.notes AS n"
			   "   (user_id, id, title, content, created_at, updated_at, pinned, tags, version)"
			   " SELECT d.user_id, d.id, d.title, d.content, d.created_at, d.updated_at, d.pinned,"
			   "        d.tags, d.version + 1 FROM d"
			   " RETURNING finote._note_json(n)",
		.nargs = 2,
		.argtypes = {UUIDOID, UUIDOID},
	};
	Datum args[2];
	Datum result;
	bool  found;

	SPI_connect();
	args[0] = finote_session_user_for_write(fcinfo, lock_user);
	args[1] = finote_note_id_arg(fcinfo, 1);
	result = finote_exec_value(&q, args, NULL, &found);
	if (!found)
		finote_not_found("note");
	finote_purge_expired(FINOTE_SWEEP_ROWS, false);
	SPI_finish();
	return result;
}

Datum
finote_trash_restore_1_2(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(trash_restore(fcinfo, false));
}

Datum
finote_trash_restore_1_2_2(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(trash_restore(fcinfo, true));
}

/*
 * finote.trash_delete(token, id) RETURNS void: the note is deleted for good,
 * with its revisions (at most finote.revisions_keep of them).
 */
static void
trash_delete(FunctionCallInfo fcinfo, bool lock_user)
{
	static FinoteQuery q = {
		.sql = "WITH d AS (DELETE FROM finote.trash t WHERE t.user_id = $1 AND t.id = $2"
			   "           RETURNING t.user_id, t.id),"
			   " r AS (DELETE FROM finote.revisions r USING d"
			   "        WHERE r.user_id = d.user_id AND r.note_id = d.id)"
			   " SELECT FROM d",
		.nargs = 2,
		.argtypes = {UUIDOID, UUIDOID},
	};
	Datum args[2];

	SPI_connect();
	args[0] = finote_session_user_for_write(fcinfo, lock_user);
	args[1] = finote_note_id_arg(fcinfo, 1);
	if (finote_exec(&q, args, NULL) == 0)
		finote_not_found("note");
	SPI_finish();
}

Datum
finote_trash_delete_1_2(PG_FUNCTION_ARGS)
{
	trash_delete(fcinfo, false);
	PG_RETURN_VOID();
}

Datum
finote_trash_delete_1_2_2(PG_FUNCTION_ARGS)
{
	trash_delete(fcinfo, true);
	PG_RETURN_VOID();
}
