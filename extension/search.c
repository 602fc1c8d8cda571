/*
 * search.c
 *	  The words of a search, and the keys of the search index (1.1.2): what
 *	  finote._search_keys stores for a note and what a search looks up.
 *
 * A search matches a note when every word of q occurs in its title or
 * content, case-insensitively (ILIKE, README: The SQL API). No btree serves
 * ILIKE '%word%', so a user's rare word used to cost a walk over all of that
 * user's notes: a third of a second for the heaviest user of the bench's
 * data set (test/bench/FINDINGS.md). The index is a GIN index over an int4
 * array built here from parts of the core distribution only, so that a plain
 * CREATE EXTENSION finote keeps working without pg_trgm or btree_gin:
 *
 *	- one key for the owner, a hash of user_id with the sign bit set;
 *	- one key per distinct byte trigram of lower(title) and of lower(content)
 *	  that holds no white space, the three bytes themselves (0 .. 2^24 - 1).
 *
 * A note matching a search holds every word's lower-cased bytes, so its keys
 * contain the owner's key and every trigram of every word: "keys @> query
 * keys" finds a superset of the matches among the owner's notes, with GIN
 * intersecting the owner's list with the rarest trigram's. ILIKE then keeps
 * the true matches, so a hash collision costs a recheck, never an answer.
 * Both sides are lower-cased with the database's default collation, as
 * ILIKE does for multibyte encodings, and character by character as libc
 * collations do: this is why the function is IMMUTABLE, like pg_trgm's.
 * Words have no white space (finote_next_word), so trigrams spanning white
 * space, or the space between title and content, cannot be asked for.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/formatting.h"

PG_FUNCTION_INFO_V1(finote_search_keys);

typedef struct KeySet
{
	int32 *keys;
	int	   n;
	int	   size;
} KeySet;

static void
keys_add(KeySet *ks, int32 key)
{
	if (ks->n == ks->size)
	{
		ks->size *= 2;
		ks->keys = repalloc(ks->keys, sizeof(int32) * ks->size);
	}
	ks->keys[ks->n++] = key;
}

static int32
owner_key(const pg_uuid_t *user_id)
{
	return (int32) (hash_bytes(user_id->data, UUID_LEN) | 0x80000000);
}

/* Add the trigrams of s[0..len) lower-cased, skipping those with white space. */
static void
keys_add_trigrams(KeySet *ks, const char *s, int len)
{
	char  *low;
	size_t n;

	/* lower-casing may change the length: test it after, not before */
	if (len == 0)
		return;
	low = str_tolower(s, len, DEFAULT_COLLATION_OID);
	n = strlen(low);
	for (size_t i = 0; i + 2 < n; i++)
	{
		const unsigned char *t = (const unsigned char *) low + i;

		if (scanner_isspace(t[0]) || scanner_isspace(t[1]) || scanner_isspace(t[2]))
			continue;
		keys_add(ks, (int32) ((t[0] << 16) | (t[1] << 8) | t[2]));
	}
	pfree(low);
}

static int
key_cmp(const void *a, const void *b)
{
	int32 x = *(const int32 *) a;
	int32 y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* The distinct keys as an int4[]. */
static ArrayType *
keys_array(KeySet *ks)
{
	Datum *elems = palloc(sizeof(Datum) * ks->n);
	int	   n = 0;

	qsort(ks->keys, ks->n, sizeof(int32), key_cmp);
	for (int i = 0; i < ks->n; i++)
		if (i == 0 || ks->keys[i] != ks->keys[i - 1])
			elems[n++] = Int32GetDatum(ks->keys[i]);
	return construct_array(elems, n, INT4OID, sizeof(int32), true, TYPALIGN_INT);
}

static void
keys_init(KeySet *ks, const pg_uuid_t *user_id)
{
	ks->size = 64;
	ks->n = 0;
	ks->keys = palloc(sizeof(int32) * ks->size);
	keys_add(ks, owner_key(user_id));
}

/* finote._search_keys(user_id uuid, title text, content text) RETURNS int4[] */
Datum
finote_search_keys(PG_FUNCTION_ARGS)
{
	text  *title = PG_GETARG_TEXT_PP(1);
	text  *content = PG_GETARG_TEXT_PP(2);
	KeySet ks;

	keys_init(&ks, PG_GETARG_UUID_P(0));
	keys_add_trigrams(&ks, VARDATA_ANY(title), VARSIZE_ANY_EXHDR(title));
	keys_add_trigrams(&ks, VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content));
	PG_RETURN_ARRAYTYPE_P(keys_array(&ks));
}

/*
 * The next word of s[0..len) from *pos on: q's words are separated by white
 * space. Returns the word's start and moves *pos to its end, or returns -1
 * when no word is left. The ILIKE patterns (notes.c) and the index keys
 * below must see the same words, so both go through here.
 */
int
finote_next_word(const char *s, int len, int *pos)
{
	int start;

	while (*pos < len && scanner_isspace(s[*pos]))
		(*pos)++;
	if (*pos == len)
		return -1;
	start = *pos;
	while (*pos < len && !scanner_isspace(s[*pos]))
		(*pos)++;
	return start;
}

/*
 * The words of q a search matches, each lower-cased as ILIKE compares, each
 * at most once, and none that another word contains: a note holding
 * "banana" holds "nan", so that word adds no condition, only work. What is
 * left is at most FINOTE_SEARCH_MAX_WORDS words of at most
 * FINOTE_SEARCH_MAX_WORD_BYTES bytes each, or an error: a pattern costs a
 * scan of every note it is tried on, up to the word's length per byte
 * ('%aaab%' over "aaaa..."), so the number and the length of the words bound
 * the work per note (notes.c bounds the notes).
 */
void
finote_search_words(text *q, FinoteSearchWords *words)
{
	const char *s = q ? VARDATA_ANY(q) : "";
	int			len = q ? VARSIZE_ANY_EXHDR(q) : 0;
	int			pos = 0;
	int			start;

	words->n = 0;
	words->bytes = 0;
	while ((start = finote_next_word(s, len, &pos)) >= 0)
	{
		char *w;
		int	  wlen;
		bool  implied = false;

		if (pos - start > FINOTE_SEARCH_MAX_WORD_BYTES)
			ereport(ERROR,
					(errcode(FINOTE_ERRCODE_BAD_INPUT),
					 errmsg("a search word is longer than %d bytes",
							FINOTE_SEARCH_MAX_WORD_BYTES)));
		w = str_tolower(s + start, pos - start, DEFAULT_COLLATION_OID);
		wlen = strlen(w);
		for (int i = 0; i < words->n && !implied; i++)
			implied = strstr(words->word[i], w) != NULL;
		if (implied)
		{
			pfree(w);
			continue;
		}
		/* drop the words this one contains: it implies them */
		for (int i = 0; i < words->n;)
			if (strstr(w, words->word[i]))
			{
				words->bytes -= strlen(words->word[i]);
				pfree(words->word[i]);
				words->word[i] = words->word[--words->n];
			}
			else
				i++;
		if (words->n == FINOTE_SEARCH_MAX_WORDS)
			ereport(ERROR,
					(errcode(FINOTE_ERRCODE_BAD_INPUT),
					 errmsg("a search has at most %d different words",
							FINOTE_SEARCH_MAX_WORDS)));
		words->word[words->n++] = w;
		words->bytes += wlen;
	}
}

/*
 * The keys a search of user_id for words looks up, or NULL when no word has
 * three bytes or more: then the owner's key alone would select all of the
 * owner's notes, and the index cannot help.
 */
ArrayType *
finote_search_query_keys(const pg_uuid_t *user_id, const FinoteSearchWords *words)
{
	KeySet ks;

	keys_init(&ks, user_id);
	for (int i = 0; i < words->n; i++)
		keys_add_trigrams(&ks, words->word[i], strlen(words->word[i]));
	return ks.n > 1 ? keys_array(&ks) : NULL;
}

/*
 * The words of a search (lower-cased, each once, bounded) as LIKE
 * patterns matching them anywhere, with the LIKE metacharacters % _ and \
 * escaped so that they match themselves. Lower-cased words serve ILIKE (the
 * statements of 1.0 and 1.1) and LIKE on lower() (those of 1.1.2) alike.
 */
ArrayType *
finote_search_patterns(const FinoteSearchWords *words)
{
	Datum *pats = palloc(sizeof(Datum) * (words->n + 1));

	for (int w = 0; w < words->n; w++)
	{
		StringInfoData pat;

		initStringInfo(&pat);
		appendStringInfoChar(&pat, '%');
		for (const char *c = words->word[w]; *c; c++)
		{
			if (*c == '%' || *c == '_' || *c == '\\')
				appendStringInfoChar(&pat, '\\');
			appendStringInfoChar(&pat, *c);
		}
		appendStringInfoChar(&pat, '%');
		pats[w] = CStringGetTextDatum(pat.data);
	}
	return construct_array(pats, words->n, TEXTOID, -1, false, TYPALIGN_INT);
}
