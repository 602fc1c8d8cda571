/*
 * errors.c: the one table from SQLSTATE to HTTP status and error code.
 *
 * The extension says what went wrong with a SQLSTATE (README.md, Errors); this
 * table is the whole of the shim's knowledge about it. Rows are matched in
 * order, and a row ending in "*" matches a whole SQLSTATE class. Anything
 * not listed is a 500 with a generic message: the real SQLSTATE and message
 * go to the error log only.
 *
 * message NULL means the database's own message is safe and useful to pass
 * on (the extension promises messages never carry a password, token or
 * hash). Authentication failures have fixed texts so that an unknown user
 * and a wrong password read exactly alike.
 */
#include <stdio.h>
#include <string.h>

#include "shim.h"

struct sqlstate_row
{
	const char	   *sqlstate;
	struct pg_error error;
};

static const struct sqlstate_row sqlstate_map[] = {
	{"22*", {400, "invalid_input", NULL}},
	/* limits of the server hit by what the client sent (e.g. JSON nesting) */
	{"54*", {400, "invalid_input", NULL}},
	{"28P01", {401, "invalid_credentials", "invalid username or password"}},
	{"28000", {401, "unauthorized", "missing, invalid or expired session"}},
	{"P0002", {404, "not_found", "not found"}},
	{"23505", {409, "username_taken", "that username is taken"}},
	/* If-Match named another version: "note has changed since version N" (handler.c adds the note) */
	{"PT412", {412, "precondition_failed", NULL}},
	{"PT429", {429, "too_many_attempts", "too many attempts; try again later"}},
	{"08*", {503, "unavailable", "the database is unavailable"}},
	{"57P01", {503, "unavailable", "the database is unavailable"}},
	{"57P02", {503, "unavailable", "the database is unavailable"}},
	{"57P03", {503, "unavailable", "the database is unavailable"}},
	/* a read-only server (a leader changing), once more on a new connection (dbcall.c) */
	{"25006", {503, "unavailable", "the database is unavailable"}},
	/* cancelled at FINOTE_STATEMENT_TIMEOUT_MS (dbwait.c) */
	{"57014", {503, "unavailable", "the database did not answer in time"}},
};

static const struct pg_error internal = {500, "internal", "internal error"};

const struct pg_error *
error_for_sqlstate(const char *sqlstate)
{
	if (!sqlstate || strlen(sqlstate) != 5)
		return &internal;
	for (size_t i = 0; i < sizeof(sqlstate_map) / sizeof(sqlstate_map[0]); i++)
	{
		const char *s = sqlstate_map[i].sqlstate;
		size_t		n = strcspn(s, "*");

		if (strncmp(s, sqlstate, n) == 0 && (s[n] == '*' || sqlstate[n] == '\0'))
			return &sqlstate_map[i].error;
	}
	return &internal;
}

/*
 * The Retry-After of a 429: the extension's PT429 detail says "Retry after
 * N seconds." (extension/throttle.c); 1 when it says nothing of the kind.
 */
int
retry_after_seconds(const char *detail)
{
	int seconds;

	if (detail && sscanf(detail, "Retry after %d seconds", &seconds) == 1 &&
		seconds > 0 && seconds <= 86400)
		return seconds;
	return 1;
}
