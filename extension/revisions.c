/*
 * revisions.c
 *	  A note's history (1.2): finote.note_revisions, note_revision and
 *	  note_restore.
 *
 * A revision is written by finote_note_change (notes.c) in the statement
 * that replaces the text it holds, so that a change and its revision commit
 * together. A revision belongs to its note whether the note is in the list
 * or in the trash; it goes with the note when the note is deleted for good
 * or purged, and on its own when finote.revisions_keep or
 * finote.revisions_max_age expire it (purge.c).
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(finote_note_revisions_1_2);
PG_FUNCTION_INFO_V1(finote_note_revision_1_2);
PG_FUNCTION_INFO_V1(finote_note_restore_1_2);
PG_FUNCTION_INFO_V1(finote_note_restore_1_2_2);

/* A cursor is a version: a bigint in decimal. */
#define CURSOR_MAX_DIGITS 19

/* The version after which a page starts, from a cursor; 22023 if it is not one. */
static int64
cursor_version(text *cursor)
{
	const char *s = VARDATA_ANY(cursor);
	int			len = VARSIZE_ANY_EXHDR(cursor);
	int64		v = 0;
	bool		ok = len >= 1 && len <= CURSOR_MAX_DIGITS;

	for (int i = 0; ok && i < len; i++)
	{
		ok = s[i] >= '0' && s[i] <= '9' && v <= (PG_INT64_MAX - (s[i] - '0')) / 10;
		if (ok)
			v = v * 10 + (s[i] - '0');
	}
	if (!ok)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("cursor is not valid"),
				 errhint("Pass the next_cursor of the previous page unchanged.")));
	return v;
}

/*
 * finote.note_revisions(token, id, lim, cursor) RETURNS jsonb:
 * {"revisions": [...], "next_cursor"}, newest first, without their text
 * (content_length is its size in bytes): a page stays small whatever the
 * notes hold. A note in the trash has its history too.
 */
Datum
finote_note_revisions_1_2(PG_FUNCTION_ARGS)
{
	static FinoteQuery q_exists = {
		.sql = "SELECT EXISTS (SELECT FROM finote.notes n WHERE n.user_id = $1 AND n.id = $2)"
			   "    OR EXISTS (SELECT FROM finote.trash t WHERE t.user_id = $1 AND t.id = $2)",
		.nargs = 2,
		.argtypes = {UUIDOID, UUIDOID},
	};
	static FinoteQuery q_page = {
		.sql = "WITH p AS ("
			   "  SELECT pg_catalog.jsonb_build_object("
			   "           'id', r.id, 'version', r.version, 'title', r.title,"
			   "           'tags', pg_catalog.to_jsonb(r.tags), 'pinned', r.pinned,"
			   "           'created_at', finote._timestamp_json(r.created_at),"
			   "           'content_length', pg_catalog.octet_length(r.content)) AS j,"
			   "         r.version, pg_catalog.row_number() OVER (ORDER BY r.version DESC) AS i"
			   "    FROM finote.revisions r"
			   "   WHERE r.user_id = $1 AND r.note_id = $2 AND r.version < $3"
			   "   ORDER BY r.version DESC LIMIT $4 + 1)"
			   " SELECT pg_catalog.jsonb_build_object("
			   "   'revisions', coalesce((SELECT pg_catalog.jsonb_agg(p.j ORDER BY p.i)"
			   "                            FROM p WHERE p.i <= $4), '[]'::jsonb),"
			   "   'next_cursor', (SELECT p.version::text FROM p"
			   "                    WHERE p.i = $4 AND EXISTS (SELECT FROM p x WHERE x.i > $4)))",
		.nargs = 4,
		.argtypes = {UUIDOID, UUIDOID, INT8OID, INT4OID},
	};
	int	  lim = finote_page_limit(fcinfo, 2);
	int64 before = PG_INT64_MAX;
	Datum args[4];
	Datum result;
	bool  found;

	if (!PG_ARGISNULL(3) && VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(3)) > 0)
		before = cursor_version(PG_GETARG_TEXT_PP(3));

	SPI_connect();
	args[0] = finote_session_user(fcinfo);
	args[1] = finote_note_id_arg(fcinfo, 1);
	if (!DatumGetBool(finote_exec_value(&q_exists, args, NULL, &found)))
		finote_not_found("note");
	args[2] = Int64GetDatum(before);
	args[3] = Int32GetDatum(lim);
	result = finote_exec_value(&q_page, args, NULL, &found);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* One revision of the caller's note, whole; P0002 when there is none. */
static Datum
revision_get(Datum user_id, Datum note_id, Datum revision_id)
{
	static FinoteQuery q = {
		.sql = "SELECT finote._revision_json(r) FROM finote.revisions r"
			   " WHERE r.user_id = $1 AND r.note_id = $2 AND r.id = $3",
		.nargs = 3,
		.argtypes = {UUIDOID, UUIDOID, UUIDOID},
	};
	bool  found;
	Datum result = finote_exec_value(&q, (Datum[]){user_id, note_id, revision_id}, NULL, &found);

	if (!found)
		finote_not_found("revision");
	return result;
}

/* finote.note_revision(token, id, revision) RETURNS jsonb */
Datum
finote_note_revision_1_2(PG_FUNCTION_ARGS)
{
	Datum user_id;
	Datum result;

	SPI_connect();
	user_id = finote_session_user(fcinfo);
	result = revision_get(user_id, finote_note_id_arg(fcinfo, 1), finote_note_id_arg(fcinfo, 2));
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * finote.note_restore(token, id, revision, if_version) RETURNS jsonb: the
 * revision's title, content and tags become the note's. It is a change like
 * any other, except that it always keeps the text it replaces as a revision
 * (no collapse), so that a restore can be undone by restoring that one.
 * From 1.2.2 (lock_user) a restore racing the account's deletion is 28000,
 * not a deadlock (finote_session_user_for_write).
 */
static Datum
note_restore(FunctionCallInfo fcinfo, bool lock_user)
{
	static FinoteQuery q = {
		.sql = "SELECT r.title, r.content, r.tags FROM finote.revisions r"
			   " WHERE r.user_id = $1 AND r.note_id = $2 AND r.id = $3",
		.nargs = 3,
		.argtypes = {UUIDOID, UUIDOID, UUIDOID},
	};
	Datum user_id;
	Datum note_id = finote_note_id_arg(fcinfo, 1);
	Datum revision_id = finote_note_id_arg(fcinfo, 2);
	Datum fields[4];
	char  nulls[4] = {' ', ' ', 'n', ' '}; /* pinned stays as it is */
	bool  isnull;
	Datum result;

	SPI_connect();
	user_id = finote_session_user_for_write(fcinfo, lock_user);
	finote_note_lock(fcinfo, user_id, note_id, 3);
	if (finote_exec(&q, (Datum[]){user_id, note_id, revision_id}, NULL) == 0)
		finote_not_found("revision");
	fields[0] = SPI_datumTransfer(finote_result_column(0, 1, &isnull), false, -1);
	fields[1] = SPI_datumTransfer(finote_result_column(0, 2, &isnull), false, -1);
	fields[2] = (Datum) 0;
	fields[3] = SPI_datumTransfer(finote_result_column(0, 3, &isnull), false, -1);
	result = finote_note_change(user_id, note_id, fields, nulls, FINOTE_COLLAPSE_NEVER, NULL);
	SPI_finish();
	return result;
}

Datum
finote_note_restore_1_2(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(note_restore(fcinfo, false));
}

Datum
finote_note_restore_1_2_2(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(note_restore(fcinfo, true));
}
