/*
 * errors.c: the one table from SQLSTATE to HTTP status and error code, and
 * the answers it gives to a database call that failed or got no answer
 * (handler.c's routes and export.c's stream both send them).
 *
 * The extension says what went wrong with a SQLSTATE (extension/README.md, Errors); this
 * table is the whole of the shim's knowledge about it. Rows are matched in
 * order, and a row ending in "*" matches a whole SQLSTATE class. Anything
 * not listed is a 500 with a generic message: the real SQLSTATE and message
 * go to the error log only.
 *
 * message NULL means the database's own message is safe and useful to pass
 * on (the extension promises messages never carry a password, token or
 * hash). Authentication failures have fixed texts so that an unknown user
 * and a wrong password read exactly alike.
 *
 * Copyright (c) 2026, Finote maintainers
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
	/* 1.3: idempotency keys (extension/idempotency.c) */
	{"PTK09", {409, "idempotency_key_in_use", "a request with this Idempotency-Key is still running"}},
	{"PTK22", {422, "idempotency_key_mismatch", "this Idempotency-Key was used for another request"}},
	{"PTK29", {429, "too_many_idempotency_keys", "too many Idempotency-Keys in use; try again later"}},
	/* 1.3: an import of the account is running (extension/import.c) */
	{"PTI29", {429, "import_in_progress", "an import of this account is running; try again when it is done"}},
	/*
	 * the server's resources, taken for a moment: no background worker slot
	 * for finote's attempt server (finote 1.2.2), memory, connections
	 */
	{"53*", {503, "unavailable", "the database is busy"}},
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
 * Answer a call that got no answer from the database (no connection, the
 * statement timeout, the client gone) and return true; false when there is
 * an answer (rows or an error) for the caller to send.
 */
bool
answer_db_unanswered(struct req *rq, const struct db_answer *a)
{
	if (a->outcome == DB_NO_CONNECTION)
		http_send_unavailable(rq);
	else if (a->outcome == DB_TIMEOUT)
		http_send_error(rq, 503, "unavailable", "the database did not answer in time", NULL);
	else if (a->outcome == DB_CLIENT_GONE)
	{
		/* nobody to answer: log it as nginx does, and close */
		rq->status = 499;
		rq->close = true;
		conn_close_after(rq);
	}
	else
		return false;
	return true;
}

/* Send the error the SQLSTATE table gives for a failed call. */
void
answer_db_error(struct req *rq, const struct route *route, const struct db_answer *a)
{
	const struct pg_error *pe = error_for_sqlstate(a->sqlstate[0] ? a->sqlstate : NULL);

	if (pe->status >= 500)
	{
		const char *msg = a->log ? a->log : "no result";

		fprintf(stderr, "finote-shim: %s %s: SQLSTATE %s: %.*s\n", route->method,
				route->pattern, a->sqlstate[0] ? a->sqlstate : "none",
				(int) strcspn(msg, "\n"), msg);
		metrics_db_error("query");
	}
	if (pe->status == 429)
	{
		char			  wait[16];
		const char *const headers[] = {"Retry-After", wait, NULL};

		snprintf(wait, sizeof(wait), "%d", retry_after_seconds(a->detail));
		http_send_error(rq, pe->status, pe->code, pe->message, headers);
		return;
	}
	http_send_error(rq, pe->status, pe->code,
					pe->message ? pe->message : (a->message ? a->message : pe->code), NULL);
}

/*
 * The Retry-After of a 429: the extension's PT429, PTK29 and PTI29 details
 * say "Retry after N seconds." (extension/throttle.c, idempotency.c,
 * import.c); 1 when
 * it says nothing of the kind.
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
