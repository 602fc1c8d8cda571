/*
 * bodyparts.c: an import's body, spooled to a file as it arrived
 * (handler.c, spool.c), sent to the database a part at a time, so that the
 * shim never holds it whole.
 *
 * On the route's connection, around the route's statement (dbcall.c):
 *
 *	BEGIN
 *	SELECT finote.import_part($1)	one per PART_BYTES of the body, each cut
 *									between two characters (utf8_cut)
 *	the statement, which reads the parts back: finote.import_parts()
 *	COMMIT, or ROLLBACK when the statement failed
 *
 * The database keeps the parts in the transaction's memory, so they go with
 * it whatever happens (extension/import_parts.c). When dbcall.c sends a
 * keyed import once more on a new connection, the parts are sent again
 * from the start of the file. Each part waits under the route's statement
 * timeout, as the statement does; the shim holds one part at a time.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "shim.h"

#define PART_BYTES (1024 * 1024)
#define PART_SQL   "SELECT finote.import_part($1)"

/* sql (with one text parameter, or none) on db; its result, or NULL. */
static PGresult *
run(struct req *rq, PGconn *db, const char *sql, const char *param, enum db_outcome *outcome)
{
	const char *const params[1] = {param};
	bool			  sent = param ? PQsendQueryParams(db, sql, 1, NULL, params, NULL, NULL, 0)
								   : PQsendQuery(db, sql);

	if (!sent)
	{
		*outcome = DB_DONE; /* an answer without a result: the connection broke */
		return NULL;
	}
	return db_wait(db, rq, outcome);
}

/*
 * BEGIN and the parts of rq->spool: true when all are in; else false with
 * *failed the database's error (or NULL: no result, see *outcome).
 */
bool
parts_send(struct req *rq, PGconn *db, PGresult **failed, enum db_outcome *outcome)
{
	char	 *part = malloc(PART_BYTES + 1);
	size_t	  carried = 0;
	size_t	  got;
	PGresult *res;
	bool	  ok;

	if (!part)
		abort();
	rewind(rq->spool);
	res = run(rq, db, "BEGIN", NULL, outcome);
	ok = res && *outcome == DB_DONE && PQresultStatus(res) == PGRES_COMMAND_OK;
	while (ok && (got = fread(part + carried, 1, PART_BYTES - carried, rq->spool)) > 0)
	{
		size_t n = carried + got;
		size_t whole = utf8_cut(part, n);
		char   rest[4]; /* at most 3 bytes of a character cut at the end */

		carried = n - whole;
		memcpy(rest, part + whole, carried);
		part[whole] = '\0';
		PQclear(res);
		res = run(rq, db, PART_SQL, part, outcome);
		ok = res && *outcome == DB_DONE && PQresultStatus(res) == PGRES_TUPLES_OK;
		memcpy(part, rest, carried);
	}
	sodium_memzero(part, PART_BYTES + 1);
	free(part);
	if (ok && ferror(rq->spool))
	{
		/* no result to answer with: a 500, and the connection is closed (not idle) */
		fprintf(stderr, "finote-shim: import: cannot read back its spool in FINOTE_EXPORT_DIR\n");
		ok = false;
	}
	if (ok || (res && PQresultStatus(res) != PGRES_FATAL_ERROR))
	{
		PQclear(res);
		res = NULL;
	}
	*failed = res;
	return ok;
}

/*
 * After the statement (its result res): COMMIT, or ROLLBACK when it failed.
 * Returns the answer: res, or the COMMIT's error instead.
 */
PGresult *
parts_end(struct req *rq, PGconn *db, PGresult *res, enum db_outcome *outcome)
{
	bool	  worked = PQresultStatus(res) == PGRES_TUPLES_OK;
	PGresult *end = run(rq, db, worked ? "COMMIT" : "ROLLBACK", NULL, outcome);

	if (worked && (!end || *outcome != DB_DONE || PQresultStatus(end) != PGRES_COMMAND_OK))
	{
		PQclear(res);
		return end;
	}
	PQclear(end);
	return res;
}
