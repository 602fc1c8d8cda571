/*
 * list.c
 *	  A user's notes, a page at a time: finote.note_list, with its search
 *	  (the words' patterns and index keys are search.c's) and its cursor
 *	  (cursor.c). Every statement is keyed by the caller's user id.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(finote_note_list);
PG_FUNCTION_INFO_V1(finote_note_list_1_1);
PG_FUNCTION_INFO_V1(finote_note_list_1_1_2);

/* Notes a search walks in list order before it asks its index (1.1.2). */
#define WALK_BUDGET 500

/*
 * The work of one search statement, in bytes of note text times bytes of
 * search words: a LIKE pattern scans each note it is tried on, and a word
 * of m bytes may cost m comparisons per byte ('%aaab%' over "aaaa..."). A
 * statement reads notes in list order until it has read SEARCH_WORK / (the
 * words' bytes) bytes of them, at most SEARCH_BYTES; each note counts
 * NOTE_OVERHEAD bytes more than its text, so empty notes are not free.
 * About 0.1 s of the database's CPU per statement at worst
 * (test/sql/12_bounded_search.sql).
 */
#define SEARCH_WORK	  (64 * 1024 * 1024)
#define SEARCH_BYTES  (4 * 1024 * 1024)
#define NOTE_OVERHEAD 256
#define NOTE_COST                                                       \
	"(octet_length(n.title) + octet_length(n.content) + " CppAsString2( \
		NOTE_OVERHEAD) ")"

/*
 * A page of a list ends before the note that would bring its JSON past
 * PAGE_BYTES, with a next_cursor, however many notes were asked for (a
 * single note is a page even when it is larger: at most about 600 kB, for
 * 100,000 characters that JSON escapes to six bytes each). A page of 100
 * such notes would be 60 MB, and the shim holds each answer in memory while
 * a client reads it, as slowly as it likes: 50 slow readers of the largest
 * page then cost the shim about 30 MB.
 */
#define PAGE_BYTES (512 * 1024)

/*
 * A list cursor is base64url of a format byte, then the keyset to continue
 * after: the last note's pinned flag, updated_at (int64 microseconds,
 * big-endian) and id. 1.0 lists ignore the flag.
 */

/*
 * One plan serves every list call: no cursor is a keyset above every note
 * (pinned, +infinity), no search is an empty pattern array (ILIKE ALL of
 * nothing is true). Columns: note JSON, pinned, updated_at, id. Arguments:
 * user, keyset (pinned, updated_at, id), patterns, limit, tag, and for the
 * statements of 1.1.2 an eighth one (see list_rows).
 */
#define LIST_ARG_TYPES UUIDOID, BOOLOID, TIMESTAMPTZOID, UUIDOID, TEXTARRAYOID, INT4OID, TEXTOID

static FinoteQuery q_list_1_0 = {
	.sql = "SELECT finote._note_json(n), false, n.updated_at, n.id FROM finote.notes n"
		   " WHERE n.user_id = $1"
		   "   AND (n.updated_at, n.id) < ($3, $4)"
		   "   AND (n.title || ' ' || n.content) ILIKE ALL ($5)"
		   " ORDER BY n.updated_at DESC, n.id DESC"
		   " LIMIT $6",
	.nargs = 7,
	.argtypes = {LIST_ARG_TYPES},
};

static FinoteQuery q_list_1_1 = {
	.sql = "SELECT finote._note_json(n), n.pinned, n.updated_at, n.id FROM finote.notes n"
		   " WHERE n.user_id = $1"
		   "   AND (n.pinned, n.updated_at, n.id) < ($2, $3, $4)"
		   "   AND (n.title || ' ' || n.content) ILIKE ALL ($5)"
		   "   AND ($7 IS NULL OR n.tags @> ARRAY[lower($7)])"
		   " ORDER BY n.pinned DESC, n.updated_at DESC, n.id DESC"
		   " LIMIT $6",
	.nargs = 7,
	.argtypes = {LIST_ARG_TYPES},
};

/*
 * 1.1.2: a list walks the user's notes in list order as q_list_1_1 does, but
 * at most $8 of them and $9 bytes of them (NOTE_COST each, the last note
 * read may cross the limit), and builds the JSON of the matching ones only.
 * Two more columns: whether the note matches, and whether it is the last
 * note the budgets allow; that note is returned even when it does not
 * match, to tell "the user's notes ended" from "the budget ran out". The
 * outer ORDER BY is the subquery's own order, so no sort keeps the walk from
 * stopping once the page is full, nor reading past the budgets. The budget is summed from the notes'
 * stored sizes, which octet_length reads without detoasting the text.
 *
 * ILIKE lower-cases the note once per pattern; lower() once, then LIKE
 * with the lower-cased patterns (finote_search_patterns), gives the same answer in
 * a UTF-8 database, where ILIKE is exactly that (like.c), for a pattern's
 * worth of the work.
 *
 * Unlike q_list_1_1, whose generic plan sees ILIKE as a filter expected to
 * leave one row and may then fetch and sort all of a user's notes, this
 * statement's plan only has to walk an index in order until a LIMIT: it is
 * planned once, generic and for a fast start, instead of on every call
 * (test/bench/FINDINGS.md).
 */
#define READ_BEFORE "sum(" NOTE_COST ") OVER o - " NOTE_COST " < $9"
#define READ_ALL	"sum(" NOTE_COST ") OVER o >= $9"
/* no more notes than $9 bytes can pay for: the rest would only be skipped */
#define ROWS_READ	"$9 / " CppAsString2(NOTE_OVERHEAD) " + 1"
#define MATCH		"lower(n.title || ' ' || n.content) LIKE ALL ($5)"

static FinoteQuery q_walk_1_1_2 = {
	.sql = "SELECT w.note, w.pinned, w.updated_at, w.id, w.note IS NOT NULL, w.last"
		   "  FROM (SELECT CASE WHEN " READ_BEFORE " THEN"
		   "                 CASE WHEN " MATCH " THEN finote._note_json(n) END"
		   "               END AS note,"
		   "               n.pinned, n.updated_at, n.id,"
		   "               " READ_BEFORE " AND (row_number() OVER o = $8 OR " READ_ALL ") AS last"
		   "          FROM finote.notes n"
		   "         WHERE n.user_id = $1"
		   "           AND (n.pinned, n.updated_at, n.id) < ($2, $3, $4)"
		   "           AND ($7 IS NULL OR n.tags @> ARRAY[lower($7)])"
		   "        WINDOW o AS (ORDER BY n.pinned DESC, n.updated_at DESC, n.id DESC"
		   "                     ROWS UNBOUNDED PRECEDING)"
		   "         ORDER BY n.pinned DESC, n.updated_at DESC, n.id DESC"
		   "         LIMIT least($8, " ROWS_READ ")) w"
		   " WHERE w.note IS NOT NULL OR w.last"
		   " ORDER BY w.pinned DESC, w.updated_at DESC, w.id DESC"
		   " LIMIT $6",
	.nargs = 9,
	.argtypes = {LIST_ARG_TYPES, INT4OID, INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN | CURSOR_OPT_FAST_PLAN,
};

/*
 * 1.1.2, a search, second step, when the walk found too few matches to fill
 * the page: the notes whose search keys (search.c) contain q's ($8),
 * through notes_search_idx; sorted by the list order on their keys alone
 * (the OFFSET 0 keeps LIKE out of the sort's input); then, in that order,
 * each note is fetched by its primary key and matched until the page is
 * full or $9 bytes were read, with the walk's columns. The cost grows with
 * the user's notes holding all of q's trigrams, not with all of the user's
 * notes, and LIKE runs on about as many notes as the page needs. The owner
 * is in the keys already, so "user_id = $1" is tested above the sort, where
 * no index can take it: a bitmap of all of a heavy user's notes ANDed in
 * would cost more than it saves. Planned for each call: a generic plan,
 * blind to how rare q's trigrams are, may go parallel for what is a handful
 * of rows.
 */
static FinoteQuery q_search_1_1_2 = {
	.sql = "SELECT w.note, w.pinned, w.updated_at, w.id, w.note IS NOT NULL, w.last"
		   "  FROM (SELECT CASE WHEN " READ_BEFORE " THEN"
		   "                 CASE WHEN " MATCH " THEN finote._note_json(n) END"
		   "               END AS note,"
		   "               k.pinned, k.updated_at, k.id,"
		   "               " READ_BEFORE " AND " READ_ALL " AS last"
		   "          FROM (SELECT c.user_id, c.id, c.pinned, c.updated_at FROM finote.notes c"
		   "                 WHERE finote._search_keys(c.user_id, c.title, c.content) @> $8"
		   "                   AND (c.pinned, c.updated_at, c.id) < ($2, $3, $4)"
		   "                   AND ($7 IS NULL OR c.tags @> ARRAY[lower($7)])"
		   "                 ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC OFFSET 0) k"
		   "          JOIN finote.notes n ON n.user_id = k.user_id AND n.id = k.id"
		   "         WHERE k.user_id = $1"
		   "        WINDOW o AS (ORDER BY k.pinned DESC, k.updated_at DESC, k.id DESC"
		   "                     ROWS UNBOUNDED PRECEDING)"
		   "         ORDER BY k.pinned DESC, k.updated_at DESC, k.id DESC"
		   "         LIMIT " ROWS_READ ") w"
		   " WHERE w.note IS NOT NULL OR w.last"
		   " ORDER BY w.pinned DESC, w.updated_at DESC, w.id DESC"
		   " LIMIT $6",
	.nargs = 9,
	.argtypes = {LIST_ARG_TYPES, INT4ARRAYOID, INT8OID},
	.cursor_options = CURSOR_OPT_CUSTOM_PLAN,
};

/* The statements of one version's note_list: list, or walk and search. */
typedef struct ListQueries
{
	FinoteQuery *list;
	FinoteQuery *walk;
	FinoteQuery *search;
} ListQueries;

static void
push_key(JsonbParseState **state, const char *key)
{
	JsonbValue k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
}

/*
 * What the list statements returned: rows in SPI_tuptable with the columns
 * of q_list_1_1 first, and from 1.1.2 "matches" and "last read" (see
 * q_walk_1_1_2). A page shows the matching rows among the first lim; it
 * continues after row cursor_row, or ends the list when that is -1.
 */
typedef struct ListRows
{
	int	 rows;
	bool flagged; /* the 1.1.2 columns are there */
	int	 cursor_row;
} ListRows;

static bool
row_flag(int row, int col)
{
	bool isnull;

	return DatumGetBool(finote_result_column(row, col, &isnull));
}

/* What one statement's rows say about the page; lim + 1 rows were asked. */
static ListRows
list_rows_of(int rows, bool flagged, int lim)
{
	ListRows lr = {rows, flagged, -1};

	if (rows > lim)
		lr.cursor_row = lim - 1; /* a full page, and there is more */
	else if (flagged && rows > 0 && row_flag(rows - 1, 6))
		lr.cursor_row = rows - 1; /* the budget ran out before the page filled */
	return lr;
}

/*
 * Run the list statements of qs for args (the first seven; args[7] and
 * args[8] are set here) and describe the rows.
 *
 * From 1.1.2 a search reads at most a bounded amount of note text
 * (SEARCH_WORK), however many notes the user has and whatever they hold.
 * With a word of three bytes or more, it walks at most WALK_BUDGET notes
 * (q_walk_1_1_2): a word found in at least one note in WALK_BUDGET / (lim +
 * 1) fills the page within the budget, and a user with few notes is walked
 * to the end. When the walk runs out with the page not full it asks the
 * index (q_search_1_1_2), whose cost grows with the user's notes that hold
 * q's trigrams, not with all the user's notes. A search whose words are all
 * shorter, which the index cannot serve, only walks. Either way, a step
 * whose byte budget runs out before the page is full ends the page there,
 * with fewer notes than asked and a next_cursor after the last note read:
 * the client asks for the next page, and the search goes on from there. A
 * list without a search reads as far as its page needs.
 */
static ListRows
list_rows(const ListQueries *qs, Datum *args, char *nulls, text *q, int lim)
{
	FinoteSearchWords words;
	ArrayType		 *keys = NULL;
	int64			  budget = PG_INT64_MAX;
	ListRows		  lr;

	finote_search_words(q, &words);
	args[4] = PointerGetDatum(finote_search_patterns(&words));
	if (!qs->walk)
		return list_rows_of(finote_exec(qs->list, args, nulls), false, lim);

	if (words.n > 0)
	{
		keys = finote_search_query_keys(DatumGetUUIDP(args[0]), &words);
		budget = Min(SEARCH_BYTES, SEARCH_WORK / words.bytes);
	}
	args[7] = Int32GetDatum(keys ? WALK_BUDGET : PG_INT32_MAX);
	args[8] = Int64GetDatum(budget);
	lr = list_rows_of(finote_exec(qs->walk, args, nulls), true, lim);
	if (!keys || lr.cursor_row < 0 || lr.rows > lim)
		return lr; /* the notes ended, or the page is full, or no index */

	args[7] = PointerGetDatum(keys);
	return list_rows_of(finote_exec(qs->search, args, nulls), true, lim);
}

/* The length of a note's JSON text, as the page will hold it. */
static size_t
note_json_length(Jsonb *note)
{
	char  *text = JsonbToCString(NULL, &note->root, VARSIZE(note));
	size_t len = strlen(text);

	pfree(text);
	return len;
}

/*
 * note_list(token, q, lim, cursor [, tag]) RETURNS jsonb:
 * {"notes": [...], "next_cursor": text or null}. It fetches one row more
 * than asked to know whether a next page exists.
 */
static Datum
note_list(FunctionCallInfo fcinfo, const ListQueries *qs)
{
	int				 lim = finote_page_limit(fcinfo, 2);
	bool			 after_pinned = true;
	TimestampTz		 after_ts = DT_NOEND;
	pg_uuid_t		 after_id = {{0}};
	bool			 has_tag = PG_NARGS() > 4 && !PG_ARGISNULL(4);
	text			*q = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	Datum			 args[9];
	char			 nulls[9] = {' ', ' ', ' ', ' ', ' ', ' ', has_tag ? ' ' : 'n', ' ', ' '};
	ListRows		 lr;
	size_t			 page_bytes = 0;
	int				 last_row = -1; /* the last note on the page */
	JsonbParseState *state = NULL;
	JsonbValue		 v;
	JsonbValue		*res;
	Datum			 result;

	if (!PG_ARGISNULL(3) && VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(3)) > 0)
		finote_cursor_parse(PG_GETARG_TEXT_PP(3), &after_pinned, &after_ts, &after_id);

	SPI_connect();
	args[0] = finote_session_user(fcinfo);
	args[1] = BoolGetDatum(after_pinned);
	args[2] = TimestampTzGetDatum(after_ts);
	args[3] = UUIDPGetDatum(&after_id);
	args[5] = Int32GetDatum(lim + 1);
	args[6] = has_tag ? PG_GETARG_DATUM(4) : (Datum) 0;
	lr = list_rows(qs, args, nulls, q, lim);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_key(&state, "notes");
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < Min(lr.rows, lim); i++)
	{
		bool   isnull;
		Jsonb *note;
		size_t note_bytes;

		if (lr.flagged && !row_flag(i, 5))
			continue; /* the last note read, not a match */
		note = DatumGetJsonbP(finote_result_column(i, 1, &isnull));
		note_bytes = note_json_length(note);
		if (page_bytes > 0 && page_bytes + note_bytes > PAGE_BYTES)
		{
			lr.cursor_row = last_row; /* this note and the rest: next page */
			break;
		}
		page_bytes += note_bytes;
		last_row = i;
		v.type = jbvBinary;
		v.val.binary.data = &note->root;
		v.val.binary.len = VARSIZE(note) - VARHDRSZ;
		pushJsonbValue(&state, WJB_ELEM, &v);
	}
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);

	push_key(&state, "next_cursor");
	if (lr.cursor_row >= 0)
	{
		bool isnull;
		int	 c = lr.cursor_row;

		v.type = jbvString;
		v.val.string.val =
			finote_cursor_format(DatumGetBool(finote_result_column(c, 2, &isnull)),
								 DatumGetTimestampTz(finote_result_column(c, 3, &isnull)),
								 DatumGetUUIDP(finote_result_column(c, 4, &isnull)));
		v.val.string.len = strlen(v.val.string.val);
	}
	else
		v.type = jbvNull;
	pushJsonbValue(&state, WJB_VALUE, &v);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	result = SPI_datumTransfer(JsonbPGetDatum(JsonbValueToJsonb(res)), false, -1);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

Datum
finote_note_list(PG_FUNCTION_ARGS)
{
	static const ListQueries qs = {.list = &q_list_1_0};

	return note_list(fcinfo, &qs);
}

Datum
finote_note_list_1_1(PG_FUNCTION_ARGS)
{
	static const ListQueries qs = {.list = &q_list_1_1};

	return note_list(fcinfo, &qs);
}

Datum
finote_note_list_1_1_2(PG_FUNCTION_ARGS)
{
	static const ListQueries qs = {
		.walk = &q_walk_1_1_2,
		.search = &q_search_1_1_2,
	};

	return note_list(fcinfo, &qs);
}
