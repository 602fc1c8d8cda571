/*
 * dbcall.c: one route's statement on a pooled connection, bounded in time,
 * its result taken off the connection before anything is written to the
 * client.
 *
 * The connection is borrowed for the statement alone: its PGresult, which
 * libpq keeps apart from the connection, goes into a db_answer, the
 * connection goes back to the pool, and only then is the client written
 * to. A client that reads slowly (or never) holds its worker and one
 * answer's memory, never a database connection.
 *
 * The statement is sent asynchronously and waited for with poll, so that
 * two things can stop the wait:
 *
 *	- FINOTE_STATEMENT_TIMEOUT_MS: the statement is cancelled (a cancel
 *	  request to the server, the same as a server-side statement_timeout,
 *	  and it works through PgBouncer too), and the server's 57014 becomes a
 *	  503. A server that does not even answer the cancel within
 *	  CANCEL_GRACE_MS (stopped, or unreachable) is given up on: the
 *	  connection is closed and the request gets 503.
 *	- the client going away: after CLIENT_WATCH_MS of waiting, the client's
 *	  socket is watched too, and if the client hangs up the statement is
 *	  cancelled, so that a dropped request stops costing the database.
 *
 * libpq's PQcancel blocks until the server answers, and a stopped server
 * does not; cancels run in a thread of their own (at most CANCELS_MAX at
 * once; past that the connection is only closed).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

#define CANCEL_GRACE_MS 1000
#define CLIENT_WATCH_MS 200
#define CANCELS_MAX		8

static int cancels_running;

static void *
cancel_thread(void *arg)
{
	PGcancel *cancel = arg;
	char	  err[256];

	if (!PQcancel(cancel, err, sizeof(err)))
		fprintf(stderr, "finote-shim: cancel request failed: %.*s\n",
				(int) strcspn(err, "\n"), err);
	PQfreeCancel(cancel);
	__atomic_sub_fetch(&cancels_running, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Ask the server to cancel what db is running, without waiting for it. */
static void
cancel_statement(PGconn *db)
{
	PGcancel	  *cancel;
	pthread_t	   thread;
	pthread_attr_t attr;

	if (__atomic_add_fetch(&cancels_running, 1, __ATOMIC_SEQ_CST) > CANCELS_MAX ||
		!(cancel = PQgetCancel(db)))
	{
		__atomic_sub_fetch(&cancels_running, 1, __ATOMIC_SEQ_CST);
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, cancel_thread, cancel) != 0)
	{
		PQfreeCancel(cancel);
		__atomic_sub_fetch(&cancels_running, 1, __ATOMIC_SEQ_CST);
	}
	pthread_attr_destroy(&attr);
}

static int
ms_until(double t)
{
	double ms = (t - now_seconds()) * 1000.0;

	return ms <= 0 ? 0 : ms > 100 ? 100
								  : (int) ms + 1;
}

/*
 * Wait for the result of the statement just sent on db. Returns it, or
 * NULL with *outcome DB_TIMEOUT or DB_CLIENT_GONE; then the statement may
 * still be running and the connection must not be reused (pool_release
 * closes a connection that is not idle). rq is the request to watch, or
 * NULL.
 */
PGresult *
db_wait(PGconn *db, struct req *rq, enum db_outcome *outcome)
{
	double	  start = now_seconds();
	double	  cancel_at = start + cfg.statement_timeout_ms / 1000.0;
	double	  give_up_at = cancel_at + CANCEL_GRACE_MS / 1000.0;
	double	  watch_at = start + CLIENT_WATCH_MS / 1000.0;
	bool	  cancelled = false;
	int		  client = -2; /* -2: not looked for yet */
	PGresult *res;
	PGresult *more;

	*outcome = DB_DONE;
	/*
	 * Wait first, read after: the answer is never there the moment the
	 * statement is sent, and reading first cost a recv that said EAGAIN on
	 * nearly every call (test/bench/FINDINGS.md, section 11).
	 */
	while (PQisBusy(db))
	{
		struct pollfd pfd[2] = {{PQsocket(db), POLLIN, 0}, {-1, POLLRDHUP, 0}};
		double		  now = now_seconds();
		double		  next = cancelled ? give_up_at : cancel_at;

		if (now >= give_up_at)
		{
			*outcome = DB_TIMEOUT;
			return NULL;
		}
		if (now >= cancel_at && !cancelled)
		{
			cancel_statement(db);
			cancelled = true;
			continue;
		}
		if (rq && client == -2 && now >= watch_at)
			client = client_socket(rq->ri);
		if (rq && client == -2 && watch_at < next)
			next = watch_at;
		pfd[1].fd = client >= 0 ? client : -1;
		if (poll(pfd, 2, ms_until(next)) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR))
		{
			if (!cancelled)
				cancel_statement(db);
			*outcome = DB_CLIENT_GONE;
			return NULL;
		}
		if (pfd[0].revents && !PQconsumeInput(db))
			break;
	}
	/* one statement, one result; a lost connection gives an error result */
	res = PQgetResult(db);
	while ((more = PQgetResult(db)))
		PQclear(more);
	return res;
}

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
