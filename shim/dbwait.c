/*
 * dbwait.c: waiting for the answer to a statement just sent on a
 * connection, bounded in time, and cancelling it.
 *
 * The statement was sent asynchronously; the wait is a poll, so that two
 * things can stop it:
 *
 *	- FINOTE_STATEMENT_TIMEOUT_MS (a route's own: FINOTE_IMPORT_TIMEOUT_MS):
 *	  the statement is cancelled (a cancel
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
 *
 * Below both the pool (pool.c asks a new connection its extension version)
 * and the calls (dbcall.c, export.c): it knows no pool.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
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

/* The deadlines of one statement's wait. */
struct wait
{
	double cancel_at;
	double give_up_at;
	double watch_at;
	bool   cancelled;
	int	   client; /* the client's socket; -2: not looked for yet */
};

/*
 * Poll until libpq has the next result (or knows there is none) without
 * blocking. False, with *outcome set, when the wait ended first: the
 * statement timed out and the cancel was not answered either, or the client
 * hung up.
 */
static bool
await_result(PGconn *db, struct req *rq, struct wait *w, enum db_outcome *outcome)
{
	/*
	 * Wait first, read after: the answer is never there the moment the
	 * statement is sent, and reading first cost a recv that said EAGAIN on
	 * nearly every call (test/bench/FINDINGS.md, section 11).
	 */
	while (PQisBusy(db))
	{
		struct pollfd pfd[2] = {{PQsocket(db), POLLIN, 0}, {-1, POLLRDHUP, 0}};
		double		  now = now_seconds();
		double		  next = w->cancelled ? w->give_up_at : w->cancel_at;

		if (now >= w->give_up_at)
		{
			*outcome = DB_TIMEOUT;
			return false;
		}
		if (now >= w->cancel_at && !w->cancelled)
		{
			cancel_statement(db);
			w->cancelled = true;
			continue;
		}
		if (rq && w->client == -2 && now >= w->watch_at)
			w->client = client_socket(rq->ri);
		if (rq && w->client == -2 && w->watch_at < next)
			next = w->watch_at;
		pfd[1].fd = w->client >= 0 ? w->client : -1;
		if (poll(pfd, 2, ms_until(next)) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR))
		{
			if (!w->cancelled)
				cancel_statement(db);
			*outcome = DB_CLIENT_GONE;
			return false;
		}
		if (pfd[0].revents && !PQconsumeInput(db))
			break;
	}
	return true;
}

/*
 * Wait for the result of the statement just sent on db. Returns it, or
 * NULL with *outcome DB_TIMEOUT or DB_CLIENT_GONE; then the statement may
 * still be running and the connection must not be reused (pool_release
 * closes a connection that is not idle). rq is the request to watch, or
 * NULL.
 *
 * One statement, one result; but the result comes when the statement ends,
 * and its implicit transaction commits after that, at the Sync: an error
 * after the result (the commit failed, the server went away before saying
 * it was done) is the answer instead, and the connection is read up to the
 * server's ReadyForQuery under the same deadlines, never blocking on a
 * server that went silent.
 */
PGresult *
db_wait(PGconn *db, struct req *rq, enum db_outcome *outcome)
{
	double		start = now_seconds();
	int			timeout_ms = rq && rq->statement_timeout_ms ? rq->statement_timeout_ms
															: cfg.statement_timeout_ms;
	struct wait w = {
		.cancel_at = start + timeout_ms / 1000.0,
		.give_up_at = start + (timeout_ms + CANCEL_GRACE_MS) / 1000.0,
		.watch_at = start + CLIENT_WATCH_MS / 1000.0,
		.cancelled = false,
		.client = -2,
	};
	PGresult *res = NULL;
	PGresult *more;

	*outcome = DB_DONE;
	while (await_result(db, rq, &w, outcome))
	{
		if (!(more = PQgetResult(db)))
			return res;
		if (res && PQresultStatus(res) != PGRES_FATAL_ERROR &&
			PQresultStatus(more) == PGRES_FATAL_ERROR)
		{
			PQclear(res);
			res = more;
		}
		else if (res)
			PQclear(more);
		else
			res = more;
	}
	PQclear(res);
	return NULL;
}
