/*
 * export.c
 *	  finote.export(token, revisions) RETURNS SETOF text (1.2): all of a
 *	  user's notes, with tags, pinned state, times and, when asked, their
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
 * one row per note, each with its revisions (at most finote.revisions_keep)
 * when asked. No value ever holds the whole document: the notes are read
 * through a cursor a few at a time, and each row goes into the function's
 * result store, which PostgreSQL keeps in work_mem and spills to a
 * temporary file beyond it. So the backend's memory is bounded by a few
 * notes whatever the account's size, and a client reads the rows one by one
 * (libpq's single-row mode) to keep its own bounded too.
 */
#include "finote.h"

#include "catalog/pg_type.h"
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

/* Every row of q, FETCH_ROWS at a time, into the store. */
static void
spool(FinoteQuery *q, Datum *args, Tuplestorestate *store, TupleDesc desc)
{
	Portal portal = finote_cursor_open(q, args, NULL);

	for (;;)
	{
		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool isnull;

			put_row(store, desc, finote_result_column((int) i, 1, &isnull));
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
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
