/*
 * import.c
 *	  finote.import(token, document) (1.3): takes back the document that
 *	  finote.export writes (export.c), with or without revisions and trash.
 *
 * The document arrives as one jsonb value (the shim sends a large one in
 * parts first: import_parts.c): the shim caps its size
 * (FINOTE_IMPORT_MAX_BYTES), which is what bounds the backend's memory
 * here. It is checked whole first (q_check names the first malformed
 * part), and only then written, in the caller's one transaction: a
 * malformed document imports nothing.
 *
 * Idempotent: a note keeps its id, and one the user has already (in the
 * notes or the trash) is skipped. An id another user holds is never
 * touched: the note gets a new id derived from (user, source id), the same
 * every time, so importing another account's export twice skips it the
 * second time too. An id twice in one document is refused the second
 * time. Timestamps in the future are clamped to now.
 *
 * One import per user at a time: a second one is refused at once (PTI29)
 * rather than waiting behind the first.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(finote_import_1_3);

#define SQLSTATE_IMPORT_RUNNING MAKE_SQLSTATE('P', 'T', 'I', '2', '9')
/* What a refused second import is told to wait: imports take seconds. */
#define IMPORT_RETRY_SECONDS	5
/* Rows of q_tags fetched at a time. */
#define FETCH_ROWS				64

static FinoteQuery q_lock = {
	.sql = "SELECT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended("
		   "$1::pg_catalog.text, 24))",
	.nargs = 1,
	.argtypes = {UUIDOID},
};

/*
 * The SQL below is written as it reads best; clang-format would pack the
 * pieces between the macros into one line.
 */
/* clang-format off */

/* A JSON string that casts to timestamptz: the export's ISO 8601 form. */
#define TIMESTAMP_OK(v) \
	"(pg_catalog.jsonb_typeof(" v ") = 'string' AND (" v ")#>>'{}' OPERATOR(pg_catalog.~)" \
	" '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5]" \
	"[0-9](\\.[0-9]{1,6})?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$')"
#define UUID_OK(v) \
	"(pg_catalog.jsonb_typeof(" v ") = 'string' AND (" v ")#>>'{}' OPERATOR(pg_catalog.~*)" \
	" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')"
#define STRING_OK(v, max) \
	"(pg_catalog.jsonb_typeof(" v ") = 'string' AND pg_catalog.char_length((" v ")#>>'{}') <= " max ")"
/* The count here; each tag's text is finote_check_tags's (import_check_tags). */
#define TAGS_OK(v) \
	"(pg_catalog.jsonb_typeof(" v ") = 'array' AND pg_catalog.jsonb_array_length(" v ") <= 20" \
	" AND NOT pg_catalog.jsonb_path_exists(" v ", '$[*] ? (@.type() != \"string\")'))"
#define VERSION_OK(v) \
	"(pg_catalog.jsonb_typeof(" v ") = 'number' AND (" v ")::pg_catalog.numeric" \
	" OPERATOR(pg_catalog.=) pg_catalog.trunc((" v ")::pg_catalog.numeric)" \
	" AND (" v ")::pg_catalog.numeric OPERATOR(pg_catalog.>=) 1" \
	" AND (" v ")::pg_catalog.numeric OPERATOR(pg_catalog.<=) 9223372036854775807)"
#define ARRAY_OR_EMPTY(v) \
	"(CASE WHEN pg_catalog.jsonb_typeof(" v ") = 'array' THEN " v " ELSE '[]'::pg_catalog.jsonb END)"

/*
 * The document's notes then its trash, each with its index (notes first,
 * then trash, from 0) and its part's name; and their revisions.
 */
#define ELEMENTS \
	"el AS (" \
	"  SELECT (a.o - 1)::int AS idx, false AS in_trash, 'notes[' || (a.o - 1) || ']' AS part, a.e" \
	"    FROM pg_catalog.jsonb_array_elements(" ARRAY_OR_EMPTY("$1->'notes'") ") WITH ORDINALITY a(e, o)" \
	"  UNION ALL" \
	"  SELECT (pg_catalog.jsonb_array_length(" ARRAY_OR_EMPTY("$1->'notes'") ") + a.o - 1)::int, true," \
	"         'trash[' || (a.o - 1) || ']', a.e" \
	"    FROM pg_catalog.jsonb_array_elements(" ARRAY_OR_EMPTY("$1->'trash'") ") WITH ORDINALITY a(e, o))"
#define REVISIONS \
	"rev AS (" \
	"  SELECT el.idx, el.part || '.revisions[' || (r.o - 1) || ']' AS part, r.e, el.e AS note" \
	"    FROM el, pg_catalog.jsonb_array_elements(" ARRAY_OR_EMPTY("el.e->'revisions'") ")" \
	"         WITH ORDINALITY r(e, o))"

/*
 * The first malformed part of the document $1, as "part: what is wrong"; no
 * row when none is. A check is "IS NOT TRUE", not NOT: a field that is
 * missing makes it NULL, and is malformed too.
 */
static FinoteQuery q_check = {
	.sql = "WITH " ELEMENTS ", " REVISIONS
		   " SELECT m FROM ("
		   "  SELECT -3 AS idx, 0 AS ord, 'document: not a finote-export of format_version 1' AS m"
		   "   WHERE pg_catalog.jsonb_typeof($1) IS DISTINCT FROM 'object'"
		   "      OR $1->'format' IS DISTINCT FROM '\"finote-export\"'::pg_catalog.jsonb"
		   "      OR $1->'format_version' IS DISTINCT FROM '1'::pg_catalog.jsonb"
		   "  UNION ALL SELECT -2, 0, 'notes: not an array'"
		   "   WHERE pg_catalog.jsonb_typeof($1->'notes') IS DISTINCT FROM 'array'"
		   "  UNION ALL SELECT -1, 0, 'trash: not an array'"
		   "   WHERE $1->'trash' IS NOT NULL AND pg_catalog.jsonb_typeof($1->'trash') <> 'array'"
		   "  UNION ALL SELECT el.idx, 1, el.part || ': not an object' FROM el"
		   "   WHERE pg_catalog.jsonb_typeof(el.e) <> 'object'"
		   "  UNION ALL SELECT el.idx, 2, el.part || '.id: not a UUID'"
		   "   FROM el WHERE " UUID_OK("el.e->'id'") " IS NOT TRUE"
		   "  UNION ALL SELECT el.idx, 3, el.part || '.title: not a string of at most 200 characters'"
		   "   FROM el WHERE " STRING_OK("el.e->'title'", "200") " IS NOT TRUE"
		   "  UNION ALL SELECT el.idx, 4, el.part || '.content: not a string of at most 100000 characters'"
		   "   FROM el WHERE " STRING_OK("el.e->'content'", "100000") " IS NOT TRUE"
		   "  UNION ALL SELECT el.idx, 5, el.part || '.pinned: not a boolean'"
		   "   FROM el WHERE pg_catalog.jsonb_typeof(el.e->'pinned') IS DISTINCT FROM 'boolean'"
		   "  UNION ALL SELECT el.idx, 6, el.part || '.tags: not an array of at most 20 strings'"
		   "   FROM el WHERE " TAGS_OK("el.e->'tags'") " IS NOT TRUE"
		   "  UNION ALL SELECT el.idx, 7, el.part || '.created_at: not a timestamp'"
		   "   FROM el WHERE " TIMESTAMP_OK("el.e->'created_at'") " IS NOT TRUE"
		   "  UNION ALL SELECT el.idx, 8, el.part || '.updated_at: not a timestamp'"
		   "   FROM el WHERE " TIMESTAMP_OK("el.e->'updated_at'") " IS NOT TRUE"
		   "  UNION ALL SELECT el.idx, 9, el.part || '.version: not a positive integer'"
		   "   FROM el WHERE " VERSION_OK("el.e->'version'") " IS NOT TRUE"
		   "  UNION ALL SELECT el.idx, 10, el.part || '.deleted_at: not a timestamp'"
		   "   FROM el WHERE el.in_trash AND " TIMESTAMP_OK("el.e->'deleted_at'") " IS NOT TRUE"
		   "  UNION ALL SELECT el.idx, 11, el.part || '.revisions: not an array'"
		   "   FROM el WHERE el.e->'revisions' IS NOT NULL"
		   "     AND pg_catalog.jsonb_typeof(el.e->'revisions') <> 'array'"
		   "  UNION ALL SELECT rev.idx, 12, rev.part || ': not a revision of this note' FROM rev"
		   "   WHERE pg_catalog.jsonb_typeof(rev.e) <> 'object' OR " UUID_OK("rev.e->'id'") " IS NOT TRUE"
		   "      OR rev.e->'note_id' IS DISTINCT FROM rev.note->'id'"
		   "      OR " VERSION_OK("rev.e->'version'") " IS NOT TRUE"
		   "      OR " STRING_OK("rev.e->'title'", "200") " IS NOT TRUE"
		   "      OR " STRING_OK("rev.e->'content'", "100000") " IS NOT TRUE"
		   "      OR " TAGS_OK("rev.e->'tags'") " IS NOT TRUE"
		   "      OR pg_catalog.jsonb_typeof(rev.e->'pinned') IS DISTINCT FROM 'boolean'"
		   "      OR " TIMESTAMP_OK("rev.e->'created_at'") " IS NOT TRUE"
		   " ) c ORDER BY c.idx, c.ord LIMIT 1",
	.nargs = 1,
	.argtypes = {JSONBOID},
};

/* A JSON array of strings as text[]. */
#define TAGS(v) "ARRAY(SELECT pg_catalog.jsonb_array_elements_text(" v "))"

/* Every note's and revision's tags, with the part they are in, in document order. */
static FinoteQuery q_tags = {
	.sql = "WITH " ELEMENTS ", " REVISIONS
		   " SELECT t.part || '.tags', t.tags FROM ("
		   "   SELECT el.idx, 0 AS ord, el.part, " TAGS("el.e->'tags'") " AS tags FROM el"
		   "   UNION ALL SELECT rev.idx, 1, rev.part, " TAGS("rev.e->'tags'") " FROM rev) t"
		   " WHERE pg_catalog.cardinality(t.tags) > 0"
		   " ORDER BY t.idx, t.ord",
	.nargs = 1,
	.argtypes = {JSONBOID},
	.cursor_options = CURSOR_OPT_FAST_PLAN | CURSOR_OPT_NO_SCROLL,
};

/* A timestamp of the document, clamped to now. */
#define TS(v) "LEAST((" v ")::pg_catalog.timestamptz, pg_catalog.now())"

/*
 * The import of a checked document $1 for user $2, and its answer. An id
 * held by another user becomes a UUID (version 8) made of the SHA-256 of
 * the user and the source id (alt_id). A note the account has under either
 * id is skipped: one renamed by an earlier import stays skipped after the
 * other user's note has gone.
 */
static FinoteQuery q_import = {
	.sql = "WITH " ELEMENTS ","
		   " src AS (SELECT el.idx, el.in_trash, el.e, (el.e->>'id')::pg_catalog.uuid AS src_id FROM el),"
		   " derived AS (SELECT src.*,"
		   "         pg_catalog.overlay(pg_catalog.overlay(pg_catalog.left(pg_catalog.encode("
		   "           pg_catalog.sha256(pg_catalog.convert_to("
		   "             'finote-import:' || $2::pg_catalog.text || ':' || src.src_id::pg_catalog.text,"
		   "             'UTF8')), 'hex'), 32), '8', 13, 1), '8', 17, 1)::pg_catalog.uuid AS alt_id"
		   "         FROM src),"
		   " ids AS (SELECT derived.*, CASE WHEN EXISTS ("
		   "           SELECT 1 FROM finote.notes n WHERE n.id = derived.src_id AND n.user_id <> $2"
		   "           UNION ALL SELECT 1 FROM finote.trash t WHERE t.id = derived.src_id AND t.user_id <> $2)"
		   "         THEN derived.alt_id ELSE derived.src_id END AS id FROM derived),"
		   /* present under either id: renamed by an earlier import whose source's owner has gone since */
		   " x AS (SELECT ids.*,"
		   "              pg_catalog.row_number() OVER (PARTITION BY ids.id ORDER BY ids.idx) > 1 AS dup,"
		   "              EXISTS (SELECT 1 FROM finote.notes n"
		   "                       WHERE n.user_id = $2 AND n.id IN (ids.src_id, ids.alt_id)"
		   "                      UNION ALL SELECT 1 FROM finote.trash t"
		   "                       WHERE t.user_id = $2 AND t.id IN (ids.src_id, ids.alt_id))"
		   "                AS present"
		   "         FROM ids),"
		   " todo AS (SELECT * FROM x WHERE NOT x.dup AND NOT x.present),"
		   " n AS (INSERT INTO finote.notes (user_id, id, title, content, created_at, updated_at, pinned, tags, version)"
		   "       SELECT $2, todo.id, todo.e->>'title', todo.e->>'content', " TS("todo.e->>'created_at'") ","
		   "              " TS("todo.e->>'updated_at'") ", (todo.e->>'pinned')::boolean, " TAGS("todo.e->'tags'") ","
		   "              (todo.e->>'version')::bigint"
		   "         FROM todo WHERE NOT todo.in_trash),"
		   " t AS (INSERT INTO finote.trash (user_id, id, title, content, created_at, updated_at, pinned, tags, version,"
		   "                                 deleted_at)"
		   "       SELECT $2, todo.id, todo.e->>'title', todo.e->>'content', " TS("todo.e->>'created_at'") ","
		   "              " TS("todo.e->>'updated_at'") ", (todo.e->>'pinned')::boolean, " TAGS("todo.e->'tags'") ","
		   "              (todo.e->>'version')::bigint, " TS("todo.e->>'deleted_at'")
		   "         FROM todo WHERE todo.in_trash),"
		   " rv AS (INSERT INTO finote.revisions (user_id, note_id, id, version, title, content, tags, pinned, created_at)"
		   "       SELECT $2, todo.id, (r.e->>'id')::pg_catalog.uuid, (r.e->>'version')::bigint, r.e->>'title',"
		   "              r.e->>'content', " TAGS("r.e->'tags'") ", (r.e->>'pinned')::boolean,"
		   "              " TS("r.e->>'created_at'")
		   "         FROM todo, pg_catalog.jsonb_array_elements(" ARRAY_OR_EMPTY("todo.e->'revisions'") ") r(e)"
		   "       ON CONFLICT DO NOTHING)"
		   " SELECT pg_catalog.jsonb_build_object("
		   "   'imported', pg_catalog.count(*) FILTER (WHERE NOT x.dup AND NOT x.present),"
		   "   'skipped', pg_catalog.count(*) FILTER (WHERE NOT x.dup AND x.present),"
		   "   'renamed', pg_catalog.count(*) FILTER (WHERE NOT x.dup AND NOT x.present AND x.id <> x.src_id),"
		   "   'refused', COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
		   "       'index', x.idx, 'id', x.src_id, 'error', 'the document has this id twice')"
		   "     ORDER BY x.idx) FILTER (WHERE x.dup), '[]'::pg_catalog.jsonb))"
		   "  FROM x",
	.nargs = 2,
	.argtypes = {JSONBOID, UUIDOID},
};
/* clang-format on */

/*
 * A part's tags as note_create and note_update check them
 * (finote_check_tags), its error's message prefixed with the part. The
 * error is caught only to be raised again at once, with nothing done in
 * between, so no subtransaction is needed.
 */
static void
check_part_tags(Datum part, Datum tags)
{
	MemoryContext here = CurrentMemoryContext;

	PG_TRY();
	{
		finote_check_tags(DatumGetArrayTypeP(tags));
	}
	PG_CATCH();
	{
		ErrorData *edata;

		MemoryContextSwitchTo(here);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("%s: %s", TextDatumGetCString(part), edata->message)));
	}
	PG_END_TRY();
}

static void
check_row_tags(void *arg, int i)
{
	bool  isnull;
	Datum part = finote_result_column(i, 1, &isnull);

	check_part_tags(part, finote_result_column(i, 2, &isnull));
}

/* Every tag of the document, through a cursor: FETCH_ROWS parts at a time. */
static void
import_check_tags(Datum doc)
{
	finote_cursor_each(&q_tags, &doc, FETCH_ROWS, check_row_tags, NULL);
}

Datum
finote_import_1_3(PG_FUNCTION_ARGS)
{
	Datum user_id;
	Datum doc;
	Datum answer;
	bool  found;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_MISSING_INPUT),
				 errmsg("document is required")));
	doc = PG_GETARG_DATUM(1);

	SPI_connect();
	user_id = finote_session_user_for_write(fcinfo, true);
	if (!DatumGetBool(finote_exec_value(&q_lock, &user_id, NULL, &found)))
		ereport(ERROR,
				(errcode(SQLSTATE_IMPORT_RUNNING),
				 errmsg("an import of this account is already running"),
				 errdetail("Retry after %d seconds.", IMPORT_RETRY_SECONDS)));

	answer = finote_exec_value(&q_check, &doc, NULL, &found);
	if (found)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("%s", TextDatumGetCString(answer))));
	import_check_tags(doc);

	answer = finote_exec_value(&q_import, (Datum[]){doc, user_id}, NULL, &found);
	SPI_finish();
	PG_RETURN_DATUM(answer);
}
