/*
 * body.c
 *	  The request body of an HTTP route (1.1.3): parsed here rather than by a
 *	  cast to jsonb, and read field by field with JSON types checked.
 *
 * A cast ($2::jsonb) reports malformed JSON with the input around the fault
 * in the error's CONTEXT ("JSON data, line 1: ..."), and PostgreSQL logs that
 * context: a login body with a stray comma put the password in the log.
 * finote.body_json parses with PostgreSQL's own JSON lexer and raises its own
 * 22P02, whose message and detail never quote the input. It also refuses a
 * key that appears twice in one object, which a jsonb cast would resolve
 * silently (the last one wins), so that no two readers of a body can
 * disagree on it.
 *
 * The field readers refuse the wrong JSON type: b->>'title' would turn 42
 * into '42' and {"a":1} into its text, and store them.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include <sodium.h>

#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(finote_body);
PG_FUNCTION_INFO_V1(finote_body_text);
PG_FUNCTION_INFO_V1(finote_body_tags);

/* PostgreSQL 16 lets semantic actions return an error; 15 and older do not. */
#if PG_VERSION_NUM >= 160000
#define SEM_RETURN_TYPE JsonParseErrorType
#define SEM_RETURN		return JSON_SUCCESS
#else
#define SEM_RETURN_TYPE void
#define SEM_RETURN		return
#endif

/* PostgreSQL 17 lets the caller allocate the lexer; NULL has it allocated. */
#if PG_VERSION_NUM >= 170000
#define make_lexer(json, len) \
	makeJsonLexContextCstringLen(NULL, (json), (len), GetDatabaseEncoding(), true)
#else
#define make_lexer(json, len) \
	makeJsonLexContextCstringLen((json), (len), GetDatabaseEncoding(), true)
#endif

/* The text being parsed, and the keys of each object in it, innermost last. */
typedef struct BodyParse
{
	char		   *body;
	int				len;
	JsonLexContext *lex;
	List		   *objects; /* of List * of char * */
} BodyParse;

/*
 * The body may hold a password: wipe the copies made here (the text and the
 * lexer's buffer of the last string) before they are freed, on every path.
 */
static void
wipe_copies(BodyParse *bp)
{
	if (bp->lex && bp->lex->strval)
		sodium_memzero(bp->lex->strval->data, bp->lex->strval->maxlen);
	finote_wipe(bp->body, bp->len);
}

static void
raise_bad_body(BodyParse *bp, const char *detail)
{
	if (bp)
		wipe_copies(bp);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("the request body is not valid JSON"),
			 detail ? errdetail("%s", detail) : 0));
}

static SEM_RETURN_TYPE
object_start(void *state)
{
	BodyParse *ks = state;

	ks->objects = lappend(ks->objects, NIL);
	SEM_RETURN;
}

static SEM_RETURN_TYPE
object_field_start(void *state, char *fname, bool isnull)
{
	BodyParse *ks = state;
	ListCell  *top = list_last_cell(ks->objects);

	lfirst(top) = lappend((List *) lfirst(top), fname);
	SEM_RETURN;
}

static int
key_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/* Sorting makes the check O(n log n) for an object with many keys. */
static SEM_RETURN_TYPE
object_end(void *state)
{
	BodyParse *ks = state;
	List	  *keys = llast(ks->objects);

	list_sort(keys, key_cmp);
	for (int i = 1; i < list_length(keys); i++)
		if (strcmp(list_nth(keys, i - 1), list_nth(keys, i)) == 0)
			raise_bad_body(ks, "A key appears twice in one object.");
	list_free_deep(keys);
	ks->objects = list_delete_last(ks->objects);
	SEM_RETURN;
}

/*
 * finote.body_json(body text) RETURNS jsonb. NULL in, NULL out (a route with no
 * body). The lexer runs with escapes decoded, so that \u0000 and lone
 * surrogates, which jsonb cannot hold, fail here too.
 */
Datum
finote_body(PG_FUNCTION_ARGS)
{
	text		 *body = PG_GETARG_TEXT_PP(0);
	BodyParse	  bp = {0};
	JsonSemAction sem = {0};
	Datum		  result;
	MemoryContext cxt = CurrentMemoryContext;

	bp.len = VARSIZE_ANY_EXHDR(body);
	bp.body = text_to_cstring(body);
	sem.semstate = &bp;
	sem.object_start = object_start;
	sem.object_field_start = object_field_start;
	sem.object_end = object_end;
	bp.lex = make_lexer(bp.body, bp.len);
	if (pg_parse_json(bp.lex, &sem) != JSON_SUCCESS)
		raise_bad_body(&bp, NULL);

	/*
	 * The same lexer has accepted the text, so jsonb_in cannot fail on its
	 * syntax; should it fail on anything else of the input (a number out of
	 * numeric's range), its message must not carry the input either.
	 */
	PG_TRY();
	{
		result = DirectFunctionCall1(jsonb_in, CStringGetDatum(bp.body));
	}
	PG_CATCH();
	{
		ErrorData *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_DATA_EXCEPTION)
			raise_bad_body(&bp, "A value is out of range.");
		wipe_copies(&bp);
		edata->detail = NULL;
		edata->context = NULL;
		ReThrowError(edata);
	}
	PG_END_TRY();

	wipe_copies(&bp);
	PG_RETURN_DATUM(result);
}

/* The value of key in body b, or NULL when b has no such key. */
static JsonbValue *
body_field(Jsonb *b, text *key)
{
	JsonbValue k;

	if (!JB_ROOT_IS_OBJECT(b))
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("the request body must be a JSON object")));
	k.type = jbvString;
	k.val.string.val = VARDATA_ANY(key);
	k.val.string.len = VARSIZE_ANY_EXHDR(key);
	return findJsonbValueFromContainer(&b->root, JB_FOBJECT, &k);
}

static void
raise_wrong_type(text *key, const char *what)
{
	ereport(ERROR,
			(errcode(FINOTE_ERRCODE_BAD_INPUT),
			 errmsg("%s must be %s", text_to_cstring(key), what)));
}

/*
 * finote.body_text(b jsonb, key text) RETURNS text: the string at key; NULL
 * when the key is absent or null (the function called decides whether NULL
 * is allowed). Any other JSON type is 22023 naming the field.
 */
Datum
finote_body_text(PG_FUNCTION_ARGS)
{
	Jsonb	   *b = PG_GETARG_JSONB_P(0);
	text	   *key = PG_GETARG_TEXT_PP(1);
	JsonbValue *v = body_field(b, key);

	if (v == NULL || v->type == jbvNull)
		PG_RETURN_NULL();
	if (v->type != jbvString)
		raise_wrong_type(key, "a JSON string");
	PG_RETURN_TEXT_P(cstring_to_text_with_len(v->val.string.val, v->val.string.len));
}

/*
 * finote.body_tags(b jsonb) RETURNS text[]: the array of strings at "tags";
 * NULL when absent or null. Anything else, or an element that is not a
 * string, is 22023.
 */
Datum
finote_body_tags(PG_FUNCTION_ARGS)
{
	Jsonb			  *b = PG_GETARG_JSONB_P(0);
	text			  *key = cstring_to_text("tags");
	JsonbValue		  *v = body_field(b, key);
	JsonbIterator	  *it;
	JsonbValue		   elem;
	JsonbIteratorToken tok;
	ArrayBuildState	  *astate = NULL;

	if (v == NULL || v->type == jbvNull)
		PG_RETURN_NULL();
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		raise_wrong_type(key, "a JSON array of strings");
	astate = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
			raise_wrong_type(key, "a JSON array of strings");
		accumArrayResult(astate,
						 PointerGetDatum(cstring_to_text_with_len(elem.val.string.val,
																  elem.val.string.len)),
						 false, TEXTOID, CurrentMemoryContext);
	}
	PG_RETURN_DATUM(makeArrayResult(astate, CurrentMemoryContext));
}
