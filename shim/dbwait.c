/*
 * dbwait.c: waiting for the answer to a statement just sent on a
 * connection, bounded in time, and cancelling it.
 *
 * The statement was sent asynchronously; the wait is a poll, so that two
 * things can stop it:
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
 *
 * Below both the pool (pool.c asks a new connection its extension version)
 * and the calls (dbcall.c, export.c): it knows no pool.
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
