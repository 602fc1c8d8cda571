/*
 * export.c
 *	  finote.export(token, revisions) RETURNS SETOF text: all of a user's
 *	  notes, with tags, pinned state, times and, when asked, their
 *	  revisions, and the trash, as one JSON document.
 *
 * The rows, concatenated in order, are the document:
 *	  {"format" : "finote-export", "format_version" : 1, "exported_at" : ...,
 *	   "user" : {...}, "notes" : [
 *	  note
 *	  ,note ...
 *	  ], "trash" : [
 *	  note with deleted_at ...
 *	  ]}
 *
 * 1.2 (finote_export_1_2) makes one row per note, its revisions (at most
 * finote.revisions_keep) aggregated into it, and puts every row into the
 * function's result store, which PostgreSQL keeps in work_mem and spills
 * to a temporary file beyond it. A row is then as large as a note with its
 * whole history: 50 revisions of 100,000 characters that JSON escapes to
 * six bytes each made one 30 MB row, built in memory several times over,
 * and the store wrote the whole export to pgsql_tmp (issue 20).
 *
 * 1.2.2 (finote_export_1_2_2) returns one value per call instead: a note
 * without its revisions, or one revision, each at most about 600 kB (a
 * note's largest JSON), read through cursors one row at a time. Called in
 * a select list (SELECT finote.export(...), as the shim does), each value
 * goes to the client as it is made and is freed before the next, so the
 * backend holds one row whatever the account's size, and nothing goes to
 * a temporary file. Called in FROM, PostgreSQL stores the values first
 * (work_mem, then a temporary file), as it does for any function there.
 * Without revisions the rows are those of 1.2; with them, a note's row
 * ends in '"revisions" : [', each revision is a row of its own, and the
 * closing ']}' leads the row after the last one.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(finote_export_1_2);

/* Rows fetched from the cursor at a time: each is at most about a note's size. */
#define FETCH_ROWS 16

/* Everything but the notes: the document's opening, middle and end. */
static FinoteQuery q_head = {
	.sql = "SELECT pg_catalog.left(pg_catalog.json_build_object("
		   "         'format', 'finote-export', 'format_version', 1,"
		   "         'exported_at', finote._timestamp_json(pg_catalog.now()),"
		   "         'user', finote._user_json(u))::text, -1) || ', \"notes\" : ['"
		   "  FROM finote.users u WHERE u.id = $1",
	.nargs = 1,
	.argtypes = {UUIDOID},
};

/* A note's revisions, newest first, when $2 asks for them. */
#define REVISIONS(n)                                                                             \
	"CASE WHEN $2 THEN pg_catalog.jsonb_build_object('revisions',"                               \
	"  (SELECT coalesce(pg_catalog.jsonb_agg(finote._revision_json(r) ORDER BY r.version DESC)," \
	"                   '[]'::jsonb)"                                                            \
	"     FROM finote.revisions r WHERE r.user_id = $1 AND r.note_id = " n ".id))"               \
	" ELSE '{}'::jsonb END"

/* The notes in list order, then the trash newest deletion first; a comma before all but the first. */
static FinoteQuery q_notes = {
	.sql = "SELECT CASE WHEN pg_catalog.row_number() OVER w = 1 THEN '' ELSE ',' END"
		   "       || (finote._note_json(n) || " REVISIONS("n") ")::text"
																"  FROM finote.notes n WHERE n.user_id = $1"
																" WINDOW w AS (ORDER BY n.pinned DESC, n.updated_at DESC, n.id DESC)"
																" ORDER BY n.pinned DESC, n.updated_at DESC, n.id DESC",
	.nargs = 2,
	.argtypes = {UUIDOID, BOOLOID},
	.cursor_options = CURSOR_OPT_FAST_PLAN,
};

static FinoteQuery q_trash = {
	.sql = "SELECT CASE WHEN pg_catalog.row_number() OVER w = 1 THEN '' ELSE ',' END"
		   "       || (finote._trash_json(t) || " REVISIONS("t") ")::text"
																 "  FROM finote.trash t WHERE t.user_id = $1"
																 " WINDOW w AS (ORDER BY t.deleted_at DESC, t.id DESC)"
																 " ORDER BY t.deleted_at DESC, t.id DESC",
	.nargs = 2,
	.argtypes = {UUIDOID, BOOLOID},
	.cursor_options = CURSOR_OPT_FAST_PLAN,
};

static void
put_row(Tuplestorestate *store, TupleDesc desc, Datum value)
{
	bool isnull = false;

	tuplestore_putvalues(store, desc, &value, &isnull);
}

/* Where spool puts the rows. */
struct spool_to
{
	Tuplestorestate *store;
	TupleDesc		 desc;
};

static void
spool_row(void *arg, int i)
{
	struct spool_to *to = arg;
	bool			 isnull;

	put_row(to->store, to->desc, finote_result_column(i, 1, &isnull));
}

/* Every row of q, FETCH_ROWS at a time, into the store. */
static void
spool(FinoteQuery *q, Datum *args, Tuplestorestate *store, TupleDesc desc)
{
	struct spool_to to = {store, desc};

	finote_cursor_each(q, args, FETCH_ROWS, spool_row, &to);
}

Datum
finote_export_1_2(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	*rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext	 oldcontext;
	TupleDesc		 desc;
	Tuplestorestate *store;
	Datum			 args[2];
	bool			 found;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("finote.export returns a set: call it as SELECT * FROM finote.export(...)")));

	/* The store and its descriptor live as long as the query reading them. */
	oldcontext = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	desc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(desc, (AttrNumber) 1, "export", TEXTOID, -1, 0);
	store = tuplestore_begin_heap(false, false, work_mem);
	MemoryContextSwitchTo(oldcontext);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = desc;

	SPI_connect();
	args[0] = finote_session_user(fcinfo);
	args[1] = BoolGetDatum(!PG_ARGISNULL(1) && PG_GETARG_BOOL(1));
	put_row(store, desc, finote_exec_value(&q_head, args, NULL, &found));
	spool(&q_notes, args, store, desc);
	put_row(store, desc, CStringGetTextDatum("], \"trash\" : ["));
	spool(&q_trash, args, store, desc);
	put_row(store, desc, CStringGetTextDatum("]}"));
	SPI_finish();
	return (Datum) 0;
}

/* 1.2.2 ---------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(finote_export_1_2_2);

/* The notes in list order, then the trash newest deletion first: each without its revisions, and its id. */
static FinoteQuery q_notes_1_2_2 = {
	.sql = "SELECT finote._note_json(n)::text, n.id FROM finote.notes n"
		   " WHERE n.user_id OPERATOR(pg_catalog.=) $1"
		   " ORDER BY n.pinned DESC, n.updated_at DESC, n.id DESC",
	.nargs = 1,
	.argtypes = {UUIDOID},
	.cursor_options = CURSOR_OPT_FAST_PLAN | CURSOR_OPT_NO_SCROLL,
};

static FinoteQuery q_trash_1_2_2 = {
	.sql = "SELECT finote._trash_json(t)::text, t.id FROM finote.trash t"
		   " WHERE t.user_id OPERATOR(pg_catalog.=) $1"
		   " ORDER BY t.deleted_at DESC, t.id DESC",
	.nargs = 1,
	.argtypes = {UUIDOID},
	.cursor_options = CURSOR_OPT_FAST_PLAN | CURSOR_OPT_NO_SCROLL,
};

/* A note's revisions, newest first, whole. */
static FinoteQuery q_revisions_1_2_2 = {
	.sql = "SELECT finote._revision_json(r)::text FROM finote.revisions r"
		   " WHERE r.user_id OPERATOR(pg_catalog.=) $1 AND r.note_id OPERATOR(pg_catalog.=) $2"
		   " ORDER BY r.version DESC",
	.nargs = 2,
	.argtypes = {UUIDOID, UUIDOID},
	.cursor_options = CURSOR_OPT_FAST_PLAN | CURSOR_OPT_NO_SCROLL,
};

/* Where an export stands between two calls. */
typedef enum ExportPart
{
	EXPORT_HEAD,  /* nothing written yet */
	EXPORT_NOTES, /* reading the notes */
	EXPORT_TRASH, /* reading the trash */
	EXPORT_END	  /* the document is complete */
} ExportPart;

typedef struct ExportState
{
	pg_uuid_t	user_id;
	bool		revisions; /* asked for */
	ExportPart	part;
	bool		first; /* no element of the current list written yet */
	bool		first_revision;
	const char *owed; /* what the next row starts with: "]}" after a note's last revision */
	/*
	 * The cursors, by portal name, "" when closed: the list's, and the
	 * current note's revisions'. By name, because PostgreSQL may have
	 * dropped a portal already when export_shutdown runs (at the end of
	 * a transaction that did not read the export to its end).
	 */
	char list[NAMEDATALEN];
	char note_revisions[NAMEDATALEN];
} ExportState;

static void
cursor_open(FinoteQuery *q, Datum *args, char *name)
{
	strlcpy(name, finote_cursor_open(q, args, NULL)->name, NAMEDATALEN);
}

static void
cursor_close(char *name)
{
	Portal portal = name[0] ? SPI_cursor_find(name) : NULL;

	if (portal)
		SPI_cursor_close(portal);
	name[0] = '\0';
}

/*
 * The next row of the cursor called name: its first column, and in *id its
 * second when id is not NULL. NULL at the end, and the cursor is closed.
 * The value lives until SPI_finish.
 */
static text *
cursor_next(char *name, Datum *id)
{
	Portal portal = SPI_cursor_find(name);
	bool   isnull;

	if (portal == NULL)
		elog(ERROR, "finote: export cursor \"%s\" is gone", name);
	SPI_cursor_fetch(portal, true, 1);
	if (SPI_processed == 0)
	{
		cursor_close(name);
		return NULL;
	}
	if (id)
		*id = finote_result_column(0, 2, &isnull);
	return DatumGetTextPP(finote_result_column(0, 1, &isnull));
}

/* A row of prefix, len bytes of data and suffix, in cxt (the caller's, freed after the row is sent). */
static Datum
export_row(MemoryContext cxt, const char *prefix, const char *data, int len, const char *suffix)
{
	int	  plen = strlen(prefix);
	int	  slen = strlen(suffix);
	text *row = MemoryContextAlloc(cxt, VARHDRSZ + plen + len + slen);

	SET_VARSIZE(row, VARHDRSZ + plen + len + slen);
	memcpy(VARDATA(row), prefix, plen);
	memcpy(VARDATA(row) + plen, data, len);
	memcpy(VARDATA(row) + plen + len, suffix, slen);
	return PointerGetDatum(row);
}

/* What a list's element starts with: what is owed, and a comma unless it is the first. */
static const char *
element_prefix(ExportState *st)
{
	const char *prefix = ",";

	if (st->first)
		prefix = "";
	else if (st->owed[0])
		prefix = "]},";

	st->first = false;
	st->owed = "";
	return prefix;
}

/* The next row of the document, in cxt; false when it is complete. */
static bool
export_next(ExportState *st, MemoryContext cxt, Datum *row)
{
	Datum args[2] = {UUIDPGetDatum(&st->user_id), (Datum) 0};
	bool  found;
	text *value;

	if (st->note_revisions[0])
	{
		if ((value = cursor_next(st->note_revisions, NULL)))
		{
			*row = export_row(cxt, st->first_revision ? "" : ", ",
							  VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), "");
			st->first_revision = false;
			return true;
		}
		st->owed = "]}"; /* the note's revisions and the note */
	}
	switch (st->part)
	{
		case EXPORT_HEAD:
			*row = finote_exec_value(&q_head, args, NULL, &found);
			cursor_open(&q_notes_1_2_2, args, st->list);
			st->part = EXPORT_NOTES;
			st->first = true;
			return true;
		case EXPORT_NOTES:
		case EXPORT_TRASH:
			if ((value = cursor_next(st->list, &args[1])))
			{
				const char *prefix = element_prefix(st);
				int			len = VARSIZE_ANY_EXHDR(value);

				if (!st->revisions)
				{
					*row = export_row(cxt, prefix, VARDATA_ANY(value), len, "");
					return true;
				}
				/* the note's object stays open for its revisions, which follow as rows */
				Assert(len > 0 && VARDATA_ANY(value)[len - 1] == '}');
				*row = export_row(cxt, prefix, VARDATA_ANY(value), len - 1, ", \"revisions\" : [");
				cursor_open(&q_revisions_1_2_2, args, st->note_revisions);
				st->first_revision = true;
				return true;
			}
			*row = export_row(cxt, st->owed, "", 0,
							  st->part == EXPORT_NOTES ? "], \"trash\" : [" : "]}");
			st->owed = "";
			if (st->part == EXPORT_NOTES)
			{
				cursor_open(&q_trash_1_2_2, args, st->list);
				st->part = EXPORT_TRASH;
				st->first = true;
			}
			else
				st->part = EXPORT_END;
			return true;
		case EXPORT_END:
			break;
	}
	return false;
}

/* A query that stops reading the export early (LIMIT) leaves its cursors: close them. */
static void
export_shutdown(Datum arg)
{
	ExportState *st = (ExportState *) DatumGetPointer(arg);

	cursor_close(st->note_revisions);
	cursor_close(st->list);
}

Datum
finote_export_1_2_2(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	ExportState		*st;
	MemoryContext	 cxt;
	Datum			 row = (Datum) 0;
	bool			 more;

	if (SRF_IS_FIRSTCALL())
	{
		funcctx = SRF_FIRSTCALL_INIT();
		st = MemoryContextAllocZero(funcctx->multi_call_memory_ctx, sizeof(ExportState));
		st->revisions = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
		st->part = EXPORT_HEAD;
		st->owed = "";
		SPI_connect();
		memcpy(&st->user_id, DatumGetUUIDP(finote_session_user(fcinfo)),
			   sizeof(pg_uuid_t));
		SPI_finish();
		funcctx->user_fctx = st;
		RegisterExprContextCallback(((ReturnSetInfo *) fcinfo->resultinfo)->econtext,
									export_shutdown, PointerGetDatum(st));
	}
	funcctx = SRF_PERCALL_SETUP();
	st = funcctx->user_fctx;
	/* the caller's per-row context: each row is freed once it is sent */
	cxt = CurrentMemoryContext;
	SPI_connect();
	more = export_next(st, cxt, &row);
	SPI_finish();
	if (!more)
	{
		/* its state goes with the function's memory */
		UnregisterExprContextCallback(((ReturnSetInfo *) fcinfo->resultinfo)->econtext,
									  export_shutdown, PointerGetDatum(st));
		SRF_RETURN_DONE(funcctx);
	}
	SRF_RETURN_NEXT(funcctx, row);
}
