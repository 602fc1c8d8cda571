/*
 * validate.c
 *	  The contract's input rules. A violation raises 22023 (or 22004 for a
 *	  missing argument) before anything is read or written, with a message
 *	  that names the field and the rule but never echoes a secret.
 */
#include "finote.h"

#include <sodium.h>

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#define USERNAME_MIN 2
#define USERNAME_MAX 32
#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

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
	int			len = VARSIZE_ANY_EXHDR(password);

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
	int			chars = pg_mbstrlen_with_len(VARDATA_ANY(value),
											 VARSIZE_ANY_EXHDR(value));

	if (chars > max_chars)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("%s must be at most %d characters long (it has %d)",
						name, max_chars, chars)));
}

/*
 * A private copy of a password for libsodium; the caller wipes it with
 * finote_wipe as soon as it is no longer needed.
 */
char *
finote_password_cstring(text *password, size_t *len)
{
	*len = VARSIZE_ANY_EXHDR(password);
	return text_to_cstring(password);
}

/* Zero and free a palloc'd buffer that held a secret. */
void
finote_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
	pfree(p);
}
