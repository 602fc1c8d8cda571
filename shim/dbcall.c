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
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

/*
 * The route's statement, prepared on this connection the first time (named
 * after the route's row, finote_route_<stmt>), then only bound and executed.
 */
static PGresult *
exec_prepared(struct req *rq, PGconn *db, int stmt, const struct route *route,
			  const char *const *params, enum db_outcome *outcome)
{
	char name[32];

	snprintf(name, sizeof(name), "finote_route_%d", stmt);
	if (!pool_is_prepared(db, stmt))
	{
		PGresult *res;

		if (!PQsendPrepare(db, name, route->sql, ROUTE_PARAMS, route_param_types))
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

/*
 * The route's statement: prepared (exec_prepared), or sent unnamed every
 * time with FINOTE_PREPARE=0. An import's spooled body goes first, in parts,
 * and the statement ends its transaction (bodyparts.c).
 */
static PGresult *
exec_route(struct req *rq, PGconn *db, const struct route *route,
		   const char *const *params, enum db_outcome *outcome)
{
	int		  stmt = (int) (route - routes);
	PGresult *res;

	if (rq->spool && !parts_send(rq, db, &res, outcome))
		return res;
	if (!cfg.prepare || stmt >= 64)
		res = PQsendQueryParams(db, route->sql, ROUTE_PARAMS, route_param_types, params, NULL,
								NULL, 0)
				  ? db_wait(db, rq, outcome)
				  : NULL;
	else
		res = exec_prepared(rq, db, stmt, route, params, outcome);
	if (res && rq->spool && *outcome == DB_DONE)
		res = parts_end(rq, db, res, outcome);
	return res;
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
 * Whether the statement failed for its connection rather than for itself:
 * the connection broke (a restart, a switchover, an administrator's
 * pg_terminate_backend), or its server only reads (25006: after a failover
 * the old leader may come back as a replica, and a new connection through
 * HAProxy may reach it before the health check says so).
 */
static bool
connection_lost(PGconn *db, const struct db_answer *a)
{
	return !a->row && PQstatus(db) != CONNECTION_OK &&
		   (strncmp(a->sqlstate, "08", 2) == 0 || strncmp(a->sqlstate, "57P0", 4) == 0);
}

static bool
read_only_server(const struct db_answer *a)
{
	return !a->row && strcmp(a->sqlstate, "25006") == 0;
}

/*
 * Run route's statement for rq with params and fill *a; the connection is
 * back in the pool when this returns. The caller frees a (db_answer_free).
 *
 * A connection is waited for until FINOTE_DB_WAIT_MS after the request
 * arrived (pool.c). A statement that failed for its connection is sent once
 * more, on a new connection, when that cannot do a thing twice:
 *
 *	- a read (GET) whose connection broke: it changed nothing;
 *	- any call a read-only server refused (25006): the error aborted its
 *	  transaction, so nothing of it was done;
 *	- a keyed write (an Idempotency-Key, finote 1.3: route->keyed) whose
 *	  connection broke: if it committed, the database kept its answer with
 *	  the key and the second sending gets that answer (Idempotent-Replayed);
 *	  if it did not, it is done now, once. Should the first sending still
 *	  run on a server that has not yet seen its connection go, the second
 *	  is 409 (idempotency_key_in_use), and the client sends it again later.
 *
 * Any other change whose connection broke after it was sent is not sent
 * again: it may have committed (the server can die between the commit and
 * its answer, and a commit waiting for a synchronous standby when the
 * server is stopped is kept locally though the client hears 57P01), so its
 * answer is the 503 (with Retry-After) the lost connection maps to, and the
 * client decides.
 */
void
db_call(struct req *rq, const struct route *route, const char *const *params,
		struct db_answer *a)
{
	double until = rq->started + cfg.db_wait_ms / 1000.0;
	bool   reads = strcmp(route->method, "GET") == 0;

	for (int attempt = 1;; attempt++)
	{
		PGconn	   *db = rq->db; /* taken to learn the extension version (handler.c) */
		PGresult   *res;
		const char *retry = NULL;

		rq->db = NULL;
		memset(a, 0, sizeof(*a));
		if (!db && !(db = pool_acquire_by(until)))
		{
			a->outcome = DB_NO_CONNECTION;
			return;
		}
		res = exec_route(rq, db, route, params, &a->outcome);
		if (a->outcome != DB_DONE)
		{
			PQclear(res);
			pool_release(db);
			return;
		}
		db_take_answer(a, db, res);
		if (read_only_server(a))
			retry = "read_only";
		else if (connection_lost(db, a))
			retry = reads || route->keyed ? "connection_lost" : NULL;
		else
		{
			pool_release(db);
			return;
		}
		pool_drop(db);
		if (!retry || attempt == 2 || now_seconds() >= until)
			return;
		metrics_db_retry(retry);
		db_answer_free(a);
	}
}

void
db_answer_free(struct db_answer *a)
{
	PQclear(a->res);
	free(a->log_copy);
}
