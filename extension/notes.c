/*
 * notes.c
 *	  Notes: finote.note_create, note_get, note_list, note_update and
 *	  note_delete. Every statement is keyed by the caller's user id, so a
 *	  note of another user is indistinguishable from one that does not exist.
 *
 * Times come from clock_timestamp(), not now(): notes written in one
 * transaction still get distinct times, so "newest first" stays true.
 */
#include "finote.h"

#include <sodium.h>

#include "catalog/pg_type.h"
#include "parser/scansup.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(finote_note_create);
PG_FUNCTION_INFO_V1(finote_note_get);
PG_FUNCTION_INFO_V1(finote_note_list);
PG_FUNCTION_INFO_V1(finote_note_update);
PG_FUNCTION_INFO_V1(finote_note_delete);

#define TITLE_MAX_CHARS 200
#define CONTENT_MAX_CHARS 100000
#define LIST_DEFAULT 20
#define LIST_MAX 100

/*
 * A list cursor is base64url of a version byte, the last note's updated_at
 * (int64 microseconds, big-endian) and its id: the keyset to continue after.
 */
#define CURSOR_VERSION 1
#define CURSOR_BYTES (1 + 8 + UUID_LEN)

static void
raise_not_found(void)
{
	ereport(ERROR,
			(errcode(FINOTE_ERRCODE_NOT_FOUND),
			 errmsg("note not found")));
}

/* Optional text argument argno, checked against max_chars; NULL if absent. */
static text *
field_arg(FunctionCallInfo fcinfo, int argno, const char *name, int max_chars)
{
	text	   *value;

	if (PG_ARGISNULL(argno))
		return NULL;
	value = PG_GETARG_TEXT_PP(argno);
	finote_check_length(value, name, max_chars);
	return value;
}

static Datum
note_id_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_MISSING_INPUT),
				 errmsg("id is required")));
	return PG_GETARG_DATUM(1);
}

static text *
token_arg(FunctionCallInfo fcinfo)
{
	return PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
}

/* finote.note_create(token text, title text, content text) RETURNS jsonb */
Datum
finote_note_create(PG_FUNCTION_ARGS)
{
	static FinoteQuery q = {
		"INSERT INTO finote.notes AS n (user_id, title, content, created_at, updated_at)"
		" SELECT $1, coalesce($2, ''), coalesce($3, ''), t, t FROM clock_timestamp() t"
		" RETURNING finote._note_json(n)",
		3, {UUIDOID, TEXTOID, TEXTOID}
	};
	text	   *title = field_arg(fcinfo, 1, "title", TITLE_MAX_CHARS);
	text	   *content = field_arg(fcinfo, 2, "content", CONTENT_MAX_CHARS);
	Datum		args[3];
	Datum		result;
	bool		found;

	SPI_connect();
	args[0] = finote_session_user(token_arg(fcinfo));
	args[1] = PointerGetDatum(title);
	args[2] = PointerGetDatum(content);
	result = finote_exec_value(&q, args,
							   (char[]) {' ', title ? ' ' : 'n', content ? ' ' : 'n'},
							   &found);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* finote.note_get(token text, id uuid) RETURNS jsonb */
Datum
finote_note_get(PG_FUNCTION_ARGS)
{
	static FinoteQuery q = {
		"SELECT finote._note_json(n) FROM finote.notes n"
		" WHERE n.user_id = $1 AND n.id = $2",
		2, {UUIDOID, UUIDOID}
	};
	Datum		args[2];
	Datum		result;
	bool		found;

	SPI_connect();
	args[0] = finote_session_user(token_arg(fcinfo));
	args[1] = note_id_arg(fcinfo);
	result = finote_exec_value(&q, args, NULL, &found);
	if (!found)
		raise_not_found();
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * finote.note_update(token text, id uuid, title text, content text)
 * RETURNS jsonb. A NULL field stays as it is; updated_at moves only when
 * something really changed, so a no-op save does not reorder the list.
 */
Datum
finote_note_update(PG_FUNCTION_ARGS)
{
	static FinoteQuery q = {
		"UPDATE finote.notes AS n"
		"   SET title = coalesce($3, title),"
		"       content = coalesce($4, content),"
		"       updated_at = CASE WHEN coalesce($3, title) = title"
		"                          AND coalesce($4, content) = content"
		"                    THEN updated_at ELSE clock_timestamp() END"
		" WHERE n.user_id = $1 AND n.id = $2"
		" RETURNING finote._note_json(n)",
		4, {UUIDOID, UUIDOID, TEXTOID, TEXTOID}
	};
	text	   *title = field_arg(fcinfo, 2, "title", TITLE_MAX_CHARS);
	text	   *content = field_arg(fcinfo, 3, "content", CONTENT_MAX_CHARS);
	Datum		args[4];
	Datum		result;
	bool		found;

	SPI_connect();
	args[0] = finote_session_user(token_arg(fcinfo));
	args[1] = note_id_arg(fcinfo);
	args[2] = PointerGetDatum(title);
	args[3] = PointerGetDatum(content);
	result = finote_exec_value(&q, args,
							   (char[]) {' ', ' ', title ? ' ' : 'n', content ? ' ' : 'n'},
							   &found);
	if (!found)
		raise_not_found();
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* finote.note_delete(token text, id uuid) RETURNS void */
Datum
finote_note_delete(PG_FUNCTION_ARGS)
{
	static FinoteQuery q = {
		"DELETE FROM finote.notes WHERE user_id = $1 AND id = $2",
		2, {UUIDOID, UUIDOID}
	};
	Datum		args[2];

	SPI_connect();
	args[0] = finote_session_user(token_arg(fcinfo));
	args[1] = note_id_arg(fcinfo);
	if (finote_exec(&q, args, NULL) == 0)
		raise_not_found();
	SPI_finish();
	PG_RETURN_VOID();
}

static char *
cursor_format(TimestampTz updated_at, const pg_uuid_t *id)
{
	unsigned char raw[CURSOR_BYTES];
	uint64		ts = (uint64) updated_at;
	size_t		outlen = sodium_base64_ENCODED_LEN(CURSOR_BYTES,
												   sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char	   *out = palloc(outlen);

	raw[0] = CURSOR_VERSION;
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (unsigned char) (ts >> (56 - 8 * i));
	memcpy(raw + 9, id->data, UUID_LEN);
	return sodium_bin2base64(out, outlen, raw, sizeof(raw),
							 sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void
cursor_parse(text *cursor, TimestampTz *updated_at, pg_uuid_t *id)
{
	unsigned char raw[CURSOR_BYTES];
	size_t		rawlen = 0;
	uint64		ts = 0;

	if (sodium_base642bin(raw, sizeof(raw), VARDATA_ANY(cursor),
						  VARSIZE_ANY_EXHDR(cursor), NULL, &rawlen, NULL,
						  sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
		rawlen != CURSOR_BYTES || raw[0] != CURSOR_VERSION)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("cursor is not valid"),
				 errhint("Pass the next_cursor of the previous page unchanged.")));
	for (int i = 0; i < 8; i++)
		ts = (ts << 8) | raw[1 + i];
	*updated_at = (TimestampTz) ts;
	memcpy(id->data, raw + 9, UUID_LEN);
}

/*
 * The words of q as ILIKE patterns matching them anywhere, with the LIKE
 * metacharacters % _ and \ escaped so that they match themselves.
 */
static ArrayType *
search_patterns(text *q)
{
	const char *s = q ? VARDATA_ANY(q) : "";
	int			len = q ? VARSIZE_ANY_EXHDR(q) : 0;
	Datum	   *words = palloc(sizeof(Datum) * (len / 2 + 1));
	int			nwords = 0;
	int			i = 0;

	while (i < len)
	{
		StringInfoData pat;

		while (i < len && scanner_isspace(s[i]))
			i++;
		if (i == len)
			break;
		initStringInfo(&pat);
		appendStringInfoChar(&pat, '%');
		for (; i < len && !scanner_isspace(s[i]); i++)
		{
			if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
				appendStringInfoChar(&pat, '\\');
			appendStringInfoChar(&pat, s[i]);
		}
		appendStringInfoChar(&pat, '%');
		words[nwords++] = CStringGetTextDatum(pat.data);
	}
	return construct_array(words, nwords, TEXTOID, -1, false, TYPALIGN_INT);
}

static void
push_key(JsonbParseState **state, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
}

/*
 * finote.note_list(token text, q text, lim int, cursor text) RETURNS jsonb:
 * {"notes": [...], "next_cursor": text or null}, newest updated_at first.
 * One plan serves every call: no cursor is a keyset of +infinity, no search
 * is an empty pattern array (ILIKE ALL of nothing is true). It fetches one
 * row more than asked to know whether a next page exists.
 */
Datum
finote_note_list(PG_FUNCTION_ARGS)
{
	static FinoteQuery q = {
		"SELECT finote._note_json(n), n.updated_at, n.id FROM finote.notes n"
		" WHERE n.user_id = $1"
		"   AND (n.updated_at, n.id) < ($2, $3)"
		"   AND (n.title || ' ' || n.content) ILIKE ALL ($4)"
		" ORDER BY n.updated_at DESC, n.id DESC"
		" LIMIT $5",
		5, {UUIDOID, TIMESTAMPTZOID, UUIDOID, TEXTARRAYOID, INT4OID}
	};
	int			lim = PG_ARGISNULL(2) ? LIST_DEFAULT : PG_GETARG_INT32(2);
	TimestampTz after_ts = DT_NOEND;
	pg_uuid_t	after_id = {{0}};
	Datum		args[5];
	int			rows;
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *res;
	Datum		result;

	if (lim < 1 || lim > LIST_MAX)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("lim must be between 1 and %d", LIST_MAX)));
	if (!PG_ARGISNULL(3) && VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(3)) > 0)
		cursor_parse(PG_GETARG_TEXT_PP(3), &after_ts, &after_id);

	SPI_connect();
	args[0] = finote_session_user(token_arg(fcinfo));
	args[1] = TimestampTzGetDatum(after_ts);
	args[2] = UUIDPGetDatum(&after_id);
	args[3] = PointerGetDatum(search_patterns(PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1)));
	args[4] = Int32GetDatum(lim + 1);
	rows = finote_exec(&q, args, NULL);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_key(&state, "notes");
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < Min(rows, lim); i++)
	{
		bool		isnull;
		Jsonb	   *note = DatumGetJsonbP(finote_result_column(i, 1, &isnull));

		v.type = jbvBinary;
		v.val.binary.data = &note->root;
		v.val.binary.len = VARSIZE(note) - VARHDRSZ;
		pushJsonbValue(&state, WJB_ELEM, &v);
	}
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);

	push_key(&state, "next_cursor");
	if (rows > lim)
	{
		bool		isnull;
		TimestampTz last_ts = DatumGetTimestampTz(finote_result_column(lim - 1, 2, &isnull));
		pg_uuid_t  *last_id = DatumGetUUIDP(finote_result_column(lim - 1, 3, &isnull));

		v.type = jbvString;
		v.val.string.val = cursor_format(last_ts, last_id);
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
