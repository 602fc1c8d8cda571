/*
 * validate.c
 *	  The contract's input rules. A violation raises 22023 (or 22004 for a
 *	  missing argument) before anything is read or written, with a message
 *	  that names the field and the rule but never echoes a secret.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include <sodium.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"

#define USERNAME_MIN  2
#define USERNAME_MAX  32
#define PASSWORD_MIN  8
#define PASSWORD_MAX  1024
#define TAGS_MAX	  20
#define TAG_MAX_CHARS 32

/* Argument argno as text; a NULL is an error naming the argument. */
text *
finote_arg_text(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_MISSING_INPUT),
				 errmsg("%s is required", name)));
	return PG_GETARG_TEXT_PP(argno);
}

bool
finote_username_valid(text *username)
{
	const char *s = VARDATA_ANY(username);
	int			len = VARSIZE_ANY_EXHDR(username);
	bool		ok = len >= USERNAME_MIN && len <= USERNAME_MAX;

	for (int i = 0; ok && i < len; i++)
		ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			 (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' ||
			 s[i] == '-';
	return ok;
}

void
finote_check_username(text *username)
{
	if (!finote_username_valid(username))
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("username must be %d to %d characters of A-Z, a-z, 0-9, \"_\", \".\" and \"-\"",
						USERNAME_MIN, USERNAME_MAX)));
}

void
finote_check_password(text *password, const char *name)
{
	int len = VARSIZE_ANY_EXHDR(password);

	if (len < PASSWORD_MIN || len > PASSWORD_MAX)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("%s must be %d to %d bytes long",
						name, PASSWORD_MIN, PASSWORD_MAX)));
}

/* value must hold at most max_chars characters (not bytes). */
void
finote_check_length(text *value, const char *name, int max_chars)
{
	int chars = pg_mbstrlen_with_len(VARDATA_ANY(value),
									 VARSIZE_ANY_EXHDR(value));

	if (chars > max_chars)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("%s must be at most %d characters long (it has %d)",
						name, max_chars, chars)));
}

/*
 * Tags (1.1): at most 20, each 1 to 32 characters, no commas or control
 * characters. Case and duplicates are folded by the SQL that stores them.
 */
void
finote_check_tags(ArrayType *tags)
{
	Datum *elems;
	bool  *nulls;
	int	   n;

	if (ARR_NDIM(tags) > 1)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("tags must be a one-dimensional array")));
	deconstruct_array(tags, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n > TAGS_MAX)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("a note can have at most %d tags", TAGS_MAX)));
	for (int i = 0; i < n; i++)
	{
		text				*tag = nulls[i] ? NULL : DatumGetTextPP(elems[i]);
		const unsigned char *s = tag ? (unsigned char *) VARDATA_ANY(tag) : NULL;
		int					 len = tag ? VARSIZE_ANY_EXHDR(tag) : 0;
		int					 chars = tag ? pg_mbstrlen_with_len((char *) s, len) : 0;
		bool				 ok = chars >= 1 && chars <= TAG_MAX_CHARS;

		/* ASCII controls, DEL, and U+0080..U+009F (UTF-8 C2 80..C2 9F). */
		for (int j = 0; ok && j < len; j++)
			ok = s[j] >= 0x20 && s[j] != 0x7f && s[j] != ',' &&
				 !(s[j] == 0xc2 && j + 1 < len && s[j + 1] >= 0x80 && s[j + 1] <= 0x9f);
		if (!ok)
			ereport(ERROR,
					(errcode(FINOTE_ERRCODE_BAD_INPUT),
					 errmsg("each tag must be 1 to %d characters, without commas or control characters",
							TAG_MAX_CHARS)));
	}
}
