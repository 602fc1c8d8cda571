/*
 * dbcall.c: one route's statement on a pooled connection, its result taken
 * off the connection before anything is written to the client.
 *
 * The connection is borrowed for the statement alone: its PGresult, which
 * libpq keeps apart from the connection, goes into a db_answer, the
 * connection goes back to the pool, and only then is the client written
 * to. A client that reads slowly (or never) holds its worker and one
 * answer's memory, never a database connection. The wait for the answer,
 * with the statement timeout and the cancel, is dbwait.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

/*
 * The route's statement: prepared on this connection the first time (named
 * after the route's row), then only bound and executed; or sent unnamed
 * every time with FINOTE_PREPARE=0.
 */
static PGresult *
exec_route(struct req *rq, PGconn *db, const struct route *route,
		   const char *const *params, enum db_outcome *outcome)
{
	const Oid *types = route_param_types;
	int		   stmt = (int) (route - routes);
	char	   name[32];

	if (!cfg.prepare || stmt >= 64)
	{
		if (!PQsendQueryParams(db, route->sql, ROUTE_PARAMS, types, params, NULL, NULL, 0))
			return NULL;
		return db_wait(db, rq, outcome);
	}
	snprintf(name, sizeof(name), "finote_route_%d", stmt);
	if (!pool_is_prepared(db, stmt))
	{
		PGresult *res;

		if (!PQsendPrepare(db, name, route->sql, ROUTE_PARAMS, types))
			return NULL;
		res = db_wait(db, rq, outcome);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			return res; /* answered like a failed call */
		PQclear(res);
		pool_set_prepared(db, stmt);
	}
	if (!PQsendQueryPrepared(db, name, ROUTE_PARAMS, params, NULL, NULL, 0))
		return NULL;
	return db_wait(db, rq, outcome);
}

/* What the answer needs from res (NULL: libpq could not even send). */
void
db_take_answer(struct db_answer *a, PGconn *db, PGresult *res)
{
	const char *sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	a->res = res;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
	{
		a->row = true;
		for (int c = 0; c < PQnfields(res) && c < DB_ANSWER_COLUMNS; c++)
			a->value[c] = PQgetisnull(res, 0, c) ? NULL : PQgetvalue(res, 0, c);
		return;
	}
	/* libpq's own failures (connection lost) carry no SQLSTATE */
	if (!sqlstate && PQstatus(db) != CONNECTION_OK)
		sqlstate = "08006";
	snprintf(a->sqlstate, sizeof(a->sqlstate), "%s", sqlstate ? sqlstate : "");
	if (res)
	{
		a->message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		a->detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		a->log = PQresultErrorMessage(res);
	}
	else if (!(a->log_copy = strdup(PQerrorMessage(db))))
		abort();
	else
		a->log = a->log_copy;
}

/*
 * Run route's statement for rq with params and fill *a; the connection is
 * back in the pool when this returns. The caller frees a (db_answer_free).
 */
void
db_call(struct req *rq, const struct route *route, const char *const *params,
		struct db_answer *a)
{
	PGconn	 *db;
	PGresult *res;

	memset(a, 0, sizeof(*a));
	db = rq->db; /* taken to learn the extension version (handler.c) */
	rq->db = NULL;
	if (!db && !(db = pool_acquire()))
	{
		a->outcome = DB_NO_CONNECTION;
		return;
	}
	res = exec_route(rq, db, route, params, &a->outcome);
	if (a->outcome == DB_DONE)
		db_take_answer(a, db, res);
	else
		PQclear(res);
	pool_release(db);
}

void
db_answer_free(struct db_answer *a)
{
	PQclear(a->res);
	free(a->log_copy);
}
