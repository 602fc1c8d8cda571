/*
 * notes.c
 *	  Notes: finote.note_create, note_get, note_update, note_delete
 *	  (before 1.2; from 1.2 trash.c's) and (1.1) note_tags; the list and
 *	  its search are list.c's.
 *	  Every statement is keyed by the caller's user id, so a note of another
 *	  user is indistinguishable from one that does not exist.
 *
 * Versions. Each SQL function of a released version stays bound to its own
 * C symbol, and that symbol keeps running the statements written for that
 * version's schema: the newest library serves a database still at 1.0.
 * A version differs only in its statements; one implementation per function
 * takes them as a parameter, with the same argument list for every version
 * (a statement may ignore the parameters its version does not have).
 *
 * Times come from clock_timestamp(), not now(): notes written in one
 * transaction still get distinct times, so "newest first" stays true.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(finote_note_create);
PG_FUNCTION_INFO_V1(finote_note_create_1_1);
PG_FUNCTION_INFO_V1(finote_note_create_1_2_2);
PG_FUNCTION_INFO_V1(finote_note_get);
PG_FUNCTION_INFO_V1(finote_note_update);
PG_FUNCTION_INFO_V1(finote_note_update_1_1);
PG_FUNCTION_INFO_V1(finote_note_update_1_2);
PG_FUNCTION_INFO_V1(finote_note_update_1_2_1);
PG_FUNCTION_INFO_V1(finote_note_update_1_2_2);
PG_FUNCTION_INFO_V1(finote_note_update_1_3);
PG_FUNCTION_INFO_V1(finote_note_delete);
PG_FUNCTION_INFO_V1(finote_note_tags);

#define TITLE_MAX_CHARS	  200
#define CONTENT_MAX_CHARS 100000

/*
 * The note fields of create and update, in this order after the user id
 * (and note id): title, content, pinned, tags.
 */
#define NOTE_FIELDS		 4
#define NOTE_FIELD_TYPES TEXTOID, TEXTOID, BOOLOID, TEXTARRAYOID

static FinoteQuery q_create_1_0 = {
	.sql = "INSERT INTO finote.notes AS n (user_id, title, content, created_at, updated_at)"
		   " SELECT $1, coalesce($2, ''), coalesce($3, ''), t, t FROM clock_timestamp() t"
		   " RETURNING finote._note_json(n)",
	.nargs = 1 + NOTE_FIELDS,
	.argtypes = {UUIDOID, NOTE_FIELD_TYPES},
};

static FinoteQuery q_create_1_1 = {
	.sql = "INSERT INTO finote.notes AS n"
		   "  (user_id, title, content, pinned, tags, created_at, updated_at)"
		   " SELECT $1, coalesce($2, ''), coalesce($3, ''), coalesce($4, false),"
		   "        coalesce(finote._tags($5), '{}'), t, t FROM clock_timestamp() t"
		   " RETURNING finote._note_json(n)",
	.nargs = 1 + NOTE_FIELDS,
	.argtypes = {UUIDOID, NOTE_FIELD_TYPES},
};

/*
 * A NULL field stays as it is; updated_at moves only when the title, the
 * content or the tags really changed, so a no-op save does not reorder the
 * list, and pinning is not an edit.
 */
static FinoteQuery q_update_1_0 = {
	.sql = "UPDATE finote.notes AS n"
		   "   SET title = coalesce($3, title),"
		   "       content = coalesce($4, content),"
		   "       updated_at = CASE WHEN coalesce($3, title) = title"
		   "                          AND coalesce($4, content) = content"
		   "                    THEN updated_at ELSE clock_timestamp() END"
		   " WHERE n.user_id = $1 AND n.id = $2"
		   " RETURNING finote._note_json(n)",
	.nargs = 2 + NOTE_FIELDS,
	.argtypes = {UUIDOID, UUIDOID, NOTE_FIELD_TYPES},
};

static FinoteQuery q_update_1_1 = {
	.sql = "UPDATE finote.notes AS n"
		   "   SET title = coalesce($3, title),"
		   "       content = coalesce($4, content),"
		   "       pinned = coalesce($5, pinned),"
		   "       tags = coalesce(finote._tags($6), tags),"
		   "       updated_at = CASE WHEN coalesce($3, title) = title"
		   "                          AND coalesce($4, content) = content"
		   "                          AND coalesce(finote._tags($6), tags) = tags"
		   "                    THEN updated_at ELSE clock_timestamp() END"
		   " WHERE n.user_id = $1 AND n.id = $2"
		   " RETURNING finote._note_json(n)",
	.nargs = 2 + NOTE_FIELDS,
	.argtypes = {UUIDOID, UUIDOID, NOTE_FIELD_TYPES},
};

/*
 * P0002 for a note or a revision the caller cannot see: another user's
 * reads exactly as one that does not exist.
 */
void
finote_not_found(const char *what)
{
	ereport(ERROR,
			(errcode(FINOTE_ERRCODE_NOT_FOUND),
			 errmsg("%s not found", what)));
}

/* Optional text argument argno, checked against max_chars; NULL if absent. */
static text *
text_field(FunctionCallInfo fcinfo, int argno, const char *name, int max_chars)
{
	text *value;

	if (PG_ARGISNULL(argno))
		return NULL;
	value = PG_GETARG_TEXT_PP(argno);
	finote_check_length(value, name, max_chars);
	return value;
}

/*
 * Fill values/nulls with the note fields the call passes from argument
 * first on. A version whose function lacks pinned and tags passes fewer
 * arguments; the missing ones are NULL, "leave as it is".
 */
static void
note_fields(FunctionCallInfo fcinfo, int first, Datum *values, char *nulls)
{
	text *title = text_field(fcinfo, first, "title", TITLE_MAX_CHARS);
	text *content = text_field(fcinfo, first + 1, "content", CONTENT_MAX_CHARS);
	bool  has_pinned = PG_NARGS() > first + 2 && !PG_ARGISNULL(first + 2);
	bool  has_tags = PG_NARGS() > first + 3 && !PG_ARGISNULL(first + 3);

	values[0] = PointerGetDatum(title);
	nulls[0] = title ? ' ' : 'n';
	values[1] = PointerGetDatum(content);
	nulls[1] = content ? ' ' : 'n';
	values[2] = has_pinned ? PG_GETARG_DATUM(first + 2) : (Datum) 0;
	nulls[2] = has_pinned ? ' ' : 'n';
	if (has_tags)
		finote_check_tags(PG_GETARG_ARRAYTYPE_P(first + 3));
	values[3] = has_tags ? PG_GETARG_DATUM(first + 3) : (Datum) 0;
	nulls[3] = has_tags ? ' ' : 'n';
}

/* A required uuid argument (a note's or a revision's id). */
Datum
finote_note_id_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_MISSING_INPUT),
				 errmsg("%s is required", argno == 1 ? "id" : "revision")));
	return PG_GETARG_DATUM(argno);
}

/*
 * note_create(token, title, content [, pinned, tags]) RETURNS jsonb; from
 * 1.2.2 (lock_user) a create racing the account's deletion is 28000, not a
 * foreign key violation (finote_session_user_for_write).
 */
static Datum
note_create(FunctionCallInfo fcinfo, FinoteQuery *q, bool lock_user)
{
	Datum args[1 + NOTE_FIELDS];
	char  nulls[1 + NOTE_FIELDS] = {' '};
	Datum result;
	bool  found;

	note_fields(fcinfo, 1, args + 1, nulls + 1);
	SPI_connect();
	args[0] = finote_session_user_for_write(fcinfo, lock_user);
	result = finote_exec_value(q, args, nulls, &found);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

Datum
finote_note_create(PG_FUNCTION_ARGS)
{
	return note_create(fcinfo, &q_create_1_0, false);
}

Datum
finote_note_create_1_1(PG_FUNCTION_ARGS)
{
	return note_create(fcinfo, &q_create_1_1, false);
}

Datum
finote_note_create_1_2_2(PG_FUNCTION_ARGS)
{
	return note_create(fcinfo, &q_create_1_1, true);
}

/* note_update(token, id, title, content [, pinned, tags]) RETURNS jsonb */
static Datum
note_update(FunctionCallInfo fcinfo, FinoteQuery *q)
{
	Datum args[2 + NOTE_FIELDS];
	char  nulls[2 + NOTE_FIELDS] = {' ', ' '};
	Datum result;
	bool  found;

	note_fields(fcinfo, 2, args + 2, nulls + 2);
	SPI_connect();
	args[0] = finote_session_user(fcinfo);
	args[1] = finote_note_id_arg(fcinfo, 1);
	result = finote_exec_value(q, args, nulls, &found);
	if (!found)
		finote_not_found("note");
	SPI_finish();
	PG_RETURN_DATUM(result);
}

Datum
finote_note_update(PG_FUNCTION_ARGS)
{
	return note_update(fcinfo, &q_update_1_0);
}

Datum
finote_note_update_1_1(PG_FUNCTION_ARGS)
{
	return note_update(fcinfo, &q_update_1_1);
}

/*
 * 1.2: lock the caller's note (P0002 if there is none) and, when argument
 * if_version_argno is given, check that it is the note's version: the
 * write that follows changes nothing else than what its caller saw. The
 * error says which versions, never what the note holds: errors reach the
 * server's log.
 */
void
finote_note_lock(FunctionCallInfo fcinfo, Datum user_id, Datum note_id, int if_version_argno)
{
	static FinoteQuery q = {
		.sql = "SELECT n.version FROM finote.notes n"
			   " WHERE n.user_id = $1 AND n.id = $2 FOR UPDATE",
		.nargs = 2,
		.argtypes = {UUIDOID, UUIDOID},
	};
	Datum args[2] = {user_id, note_id};
	bool  found;
	int64 version = DatumGetInt64(finote_exec_value(&q, args, NULL, &found));
	int64 expected;

	if (!found)
		finote_not_found("note");
	if (PG_NARGS() <= if_version_argno || PG_ARGISNULL(if_version_argno))
		return;
	expected = PG_GETARG_INT64(if_version_argno);
	if (expected != version)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_STALE_VERSION),
				 errmsg("note has changed since version " INT64_FORMAT, expected),
				 errdetail("Current version: " INT64_FORMAT ".", version)));
}

/*
 * 1.2: change a note locked by finote_note_lock. fields are title, content,
 * pinned and tags as note_fields fills them (NULL: leave as it is). The
 * version goes up by one on any real change, updated_at moves only with the
 * title, the content or the tags, and a change of those keeps the replaced
 * state as a revision, unless the collapse applies: a burst of autosaves
 * then keeps one revision, the one that holds the text from before the
 * burst. The replaced row is read in the statement's snapshot (o), which the
 * row lock makes the current one. Returns the note's JSON.
 *
 * 1.2 collapsed onto any revision younger than finote.revision_collapse,
 * whoever wrote it: a save from another device within the minute then
 * replaced a text that no revision held. From 1.2.1 a revision
 * records its writer (the session, finote_session_user_writer), and the
 * collapse applies only when the newest revision is that recent AND was
 * written by the same session: only a writer's own burst collapses. A
 * revision without a writer (written before 1.2.1, or by a restore) is
 * never collapsed onto. From 1.3 a client may name a writer within its
 * session (note_update's writer: a browser tab), and then only that
 * writer's own burst collapses (finote_session_user_writer).
 */
#define NEW_TEXT "coalesce($3, n.title), coalesce($4, n.content), coalesce(finote._tags($6), n.tags)"
#define CHANGE_SQL(WRITER_COLUMN, WRITER_VALUE, SAME_WRITER)                                      \
	"WITH o AS (SELECT n.* FROM finote.notes n WHERE n.user_id = $1 AND n.id = $2),"              \
	" u AS (UPDATE finote.notes AS n"                                                             \
	"        SET title = coalesce($3, n.title),"                                                  \
	"            content = coalesce($4, n.content),"                                              \
	"            pinned = coalesce($5, n.pinned),"                                                \
	"            tags = coalesce(finote._tags($6), n.tags),"                                      \
	"            updated_at = CASE WHEN (" NEW_TEXT ") = (n.title, n.content, n.tags)"            \
	"                         THEN n.updated_at ELSE pg_catalog.clock_timestamp() END,"           \
	"            version = n.version + CASE WHEN (" NEW_TEXT ", coalesce($5, n.pinned))"          \
	"                                         = (n.title, n.content, n.tags, n.pinned)"           \
	"                                   THEN 0 ELSE 1 END"                                        \
	"      WHERE n.user_id = $1 AND n.id = $2"                                                    \
	"  RETURNING n.*),"                                                                           \
	" r AS (INSERT INTO finote.revisions"                                                         \
	"         (user_id, note_id, version, title, content, tags, pinned, created_at" WRITER_COLUMN \
	")"                                                                                           \
	"       SELECT o.user_id, o.id, o.version, o.title, o.content, o.tags, o.pinned,"             \
	"              pg_catalog.clock_timestamp()" WRITER_VALUE                                     \
	"         FROM o, u"                                                                          \
	"        WHERE (o.title, o.content, o.tags) IS DISTINCT FROM (u.title, u.content, u.tags)"    \
	"          AND NOT coalesce((SELECT k.created_at > pg_catalog.clock_timestamp()"              \
	"                                    - pg_catalog.make_interval(secs => $7)" SAME_WRITER      \
	"                              FROM finote.revisions k"                                       \
	"                             WHERE k.user_id = $1 AND k.note_id = $2"                        \
	"                             ORDER BY k.version DESC LIMIT 1), false)"                       \
	"       RETURNING 1)"                                                                         \
	" SELECT finote._note_json(u), EXISTS (SELECT FROM r) FROM u"

Datum
finote_note_change(Datum user_id, Datum note_id, Datum *fields, const char *field_nulls,
				   FinoteCollapse collapse, bytea *writer)
{
	/* 1.2's table has no written_by: the statement without it. */
	static FinoteQuery q_1_2 = {
		.sql = CHANGE_SQL("", "", ""),
		.nargs = 2 + NOTE_FIELDS + 1,
		.argtypes = {UUIDOID, UUIDOID, NOTE_FIELD_TYPES, FLOAT8OID},
	};
	static FinoteQuery q_1_2_1 = {
		.sql = CHANGE_SQL(", written_by", ", $8", " AND k.written_by OPERATOR(pg_catalog.=) $8"),
		.nargs = 2 + NOTE_FIELDS + 2,
		.argtypes = {UUIDOID, UUIDOID, NOTE_FIELD_TYPES, FLOAT8OID, BYTEAOID},
	};
	FinoteQuery *q = collapse == FINOTE_COLLAPSE_SAME_WRITER ? &q_1_2_1 : &q_1_2;
	Datum		 args[2 + NOTE_FIELDS + 2];
	char		 nulls[2 + NOTE_FIELDS + 2];
	bool		 isnull;
	Datum		 result;

	Assert((collapse == FINOTE_COLLAPSE_SAME_WRITER) == (writer != NULL));
	args[0] = user_id;
	args[1] = note_id;
	memcpy(args + 2, fields, NOTE_FIELDS * sizeof(Datum));
	args[2 + NOTE_FIELDS] =
		Float8GetDatum(collapse == FINOTE_COLLAPSE_NEVER ? 0 : finote_revision_collapse);
	args[3 + NOTE_FIELDS] = PointerGetDatum(writer);
	memset(nulls, ' ', sizeof(nulls));
	memcpy(nulls + 2, field_nulls, NOTE_FIELDS);

	if (finote_exec(q, args, nulls) != 1)
		finote_not_found("note"); /* locked by the caller: cannot happen */
	result = SPI_datumTransfer(finote_result_column(0, 1, &isnull), false, -1);
	if (DatumGetBool(finote_result_column(0, 2, &isnull)))
		finote_revisions_trim(user_id, note_id);
	finote_purge_expired(FINOTE_SWEEP_ROWS, false);
	return result;
}
#undef CHANGE_SQL
#undef NEW_TEXT

/*
 * The writer argument of note_update (1.3): 1 to 64 characters of
 * [A-Za-z0-9_-], or NULL (the session alone is the writer, as in 1.2.1).
 */
#define WRITER_ARG		 7
#define WRITER_MAX_CHARS 64
static text *
writer_arg(FunctionCallInfo fcinfo)
{
	text	   *tab;
	const char *p;
	int			n;

	if (PG_NARGS() <= WRITER_ARG || PG_ARGISNULL(WRITER_ARG))
		return NULL;
	tab = PG_GETARG_TEXT_PP(WRITER_ARG);
	p = VARDATA_ANY(tab);
	n = VARSIZE_ANY_EXHDR(tab);
	for (int i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
			  (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '-'))
			n = 0;
	if (n < 1 || n > WRITER_MAX_CHARS)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("writer must be 1 to %d characters of A-Z, a-z, 0-9, _ and -",
						WRITER_MAX_CHARS)));
	return tab;
}

/*
 * finote.note_update(token, id, title, content, pinned, tags, if_version
 * [, writer]) RETURNS jsonb, 1.2: if_version given and not the note's
 * version is PT412, and changes nothing. 1.2.1 only narrows the collapse
 * to the same writer; 1.2.2 locks the user's row (lock_user), so that an
 * update racing the account's deletion is 28000, not a deadlock; 1.3 takes
 * a writer within the session (writer_arg).
 */
static Datum
note_update_versioned(FunctionCallInfo fcinfo, FinoteCollapse collapse, bool lock_user)
{
	Datum  fields[NOTE_FIELDS];
	char   nulls[NOTE_FIELDS];
	bytea *writer = NULL;
	text  *tab = writer_arg(fcinfo);
	Datum  user_id;
	Datum  result;

	note_fields(fcinfo, 2, fields, nulls);
	SPI_connect();
	if (collapse == FINOTE_COLLAPSE_SAME_WRITER)
		user_id = finote_session_user_writer(finote_token_arg(fcinfo), lock_user, tab, &writer);
	else
		user_id = finote_session_user_for_write(fcinfo, lock_user);
	finote_note_lock(fcinfo, user_id, finote_note_id_arg(fcinfo, 1), 6);
	result = finote_note_change(user_id, finote_note_id_arg(fcinfo, 1), fields, nulls, collapse, writer);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

Datum
finote_note_update_1_2(PG_FUNCTION_ARGS)
{
	return note_update_versioned(fcinfo, FINOTE_COLLAPSE_ANY_WRITER, false);
}

Datum
finote_note_update_1_2_1(PG_FUNCTION_ARGS)
{
	return note_update_versioned(fcinfo, FINOTE_COLLAPSE_SAME_WRITER, false);
}

Datum
finote_note_update_1_2_2(PG_FUNCTION_ARGS)
{
	return note_update_versioned(fcinfo, FINOTE_COLLAPSE_SAME_WRITER, true);
}

/* 1.3: the same with its eighth argument, writer. */
Datum
finote_note_update_1_3(PG_FUNCTION_ARGS)
{
	return note_update_versioned(fcinfo, FINOTE_COLLAPSE_SAME_WRITER, true);
}

/* finote.note_get(token text, id uuid) RETURNS jsonb */
Datum
finote_note_get(PG_FUNCTION_ARGS)
{
	static FinoteQuery q = {
		.sql = "SELECT finote._note_json(n) FROM finote.notes n"
			   " WHERE n.user_id = $1 AND n.id = $2",
		.nargs = 2,
		.argtypes = {UUIDOID, UUIDOID},
	};
	Datum args[2];
	Datum result;
	bool  found;

	SPI_connect();
	args[0] = finote_session_user(fcinfo);
	args[1] = finote_note_id_arg(fcinfo, 1);
	result = finote_exec_value(&q, args, NULL, &found);
	if (!found)
		finote_not_found("note");
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* finote.note_delete(token text, id uuid) RETURNS void */
Datum
finote_note_delete(PG_FUNCTION_ARGS)
{
	static FinoteQuery q = {
		.sql = "DELETE FROM finote.notes WHERE user_id = $1 AND id = $2",
		.nargs = 2,
		.argtypes = {UUIDOID, UUIDOID},
	};
	Datum args[2];

	SPI_connect();
	args[0] = finote_session_user(fcinfo);
	args[1] = finote_note_id_arg(fcinfo, 1);
	if (finote_exec(&q, args, NULL) == 0)
		finote_not_found("note");
	SPI_finish();
	PG_RETURN_VOID();
}

/* finote.note_tags(token text) RETURNS jsonb: {"tags": [{"tag", "count"}]} */
Datum
finote_note_tags(PG_FUNCTION_ARGS)
{
	static FinoteQuery q = {
		.sql = "SELECT jsonb_build_object('tags', coalesce(jsonb_agg("
			   "         jsonb_build_object('tag', tag, 'count', n) ORDER BY tag), '[]'))"
			   "  FROM (SELECT t AS tag, count(*) AS n"
			   "          FROM finote.notes, unnest(tags) t"
			   "         WHERE user_id = $1 GROUP BY t) s",
		.nargs = 1,
		.argtypes = {UUIDOID},
	};
	Datum user_id;
	Datum result;
	bool  found;

	SPI_connect();
	user_id = finote_session_user(fcinfo);
	result = finote_exec_value(&q, &user_id, NULL, &found);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
