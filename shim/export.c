/*
 * export.c: an ANSWER_STREAM route (GET /api/export): a body the database
 * sends as many rows, whatever its size, with bounded shim memory and
 * without a database connection waiting on the client.
 *
 * The statement runs in libpq's single-row mode, so the shim holds one row
 * (from finote 1.2.2 a note or one revision, at most about 600 kB; before,
 * a note with all its revisions) at a time, never the whole result. The
 * rows go to a spool file (spool.c: nobody else can open it, and it is gone
 * when closed, even if the shim dies). Once the last row is in, the
 * transaction ends and the connection goes back to the pool; only then is
 * the file sent, with its
 * Content-Length, at whatever pace the client reads. A slow reader holds a
 * worker thread and a file, never a connection; a failure before the last
 * row is an ordinary JSON error, since nothing was sent yet.
 *
 * Bounds, so that an export costs bounded work whatever the account holds
 * (issue 20):
 *	- FINOTE_EXPORT_MAX_BYTES: a spool that would pass it ends the statement
 *	  (a cancel request) and the client gets 507 export_too_large;
 *	- a client that hangs up while its export is spooled has the statement
 *	  cancelled: its socket is watched with the database's, and looked at
 *	  every CLIENT_LOOK_MS while rows keep arriving;
 *	- one export per user at a time (the user the database names for the
 *	  session, finote.whoami): the next of the same user gets 429 with
 *	  Retry-After, so that one user cannot hold every export slot;
 *	- at most FINOTE_EXPORT_MAX exports at once (the next get 503 with
 *	  Retry-After);
 *	- the sending takes at most FINOTE_EXPORT_SEND_TIMEOUT_MS, checked
 *	  between writes (then the connection is closed, the body short of its
 *	  Content-Length);
 *	- the statement runs under its own statement_timeout,
 *	  FINOTE_EXPORT_TIMEOUT_MS (an export of a large account takes longer
 *	  than any other call), set with SET LOCAL in the export's transaction,
 *	  so the connection goes back to the pool with the server's default. A
 *	  server that does not even answer CANCEL_GRACE_MS after that is given
 *	  up on (the connection is closed).
 * The pool connection is taken with pool_acquire and given back with
 * pool_release, like every other call's.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#define CANCEL_GRACE_MS	  1000
#define CLIENT_LOOK_MS	  100
#define EXPORT_CHUNK	  65536
#define EXPORT_RETRY_SECS "5"

/* Who asks: one user's id, as the database names it. */
#define WHOAMI_SQL "SELECT finote.whoami($1) OPERATOR(pg_catalog.->>) 'id'"

static int running; /* exports in progress */

/* The users with an export in progress, each entry on its worker's stack. */
struct exporter
{
	struct exporter *next;
	char			 user[64];
};
static struct exporter *exporters;
static pthread_mutex_t	exporters_lock = PTHREAD_MUTEX_INITIALIZER;

/* How the spooling ended. */
enum spool_end
{
	SPOOL_DONE,			/* every row is in the file, the transaction committed */
	SPOOL_FAILED,		/* the database's error, or no answer: see the db_answer */
	SPOOL_TOO_LARGE,	/* past FINOTE_EXPORT_MAX_BYTES: statement cancelled */
	SPOOL_WRITE_FAILED, /* the file took no more (a full disk): statement cancelled */
	SPOOL_CLIENT_GONE	/* the client hung up: statement cancelled */
};

/* What waiting for the database ended on. */
enum wait
{
	WAIT_READY,
	WAIT_TIMEOUT,
	WAIT_CLIENT_GONE
};

/* Has the client hung up? -1 (no socket found) never has. */
static bool
client_gone(int client)
{
	struct pollfd pfd = {client, POLLRDHUP, 0};

	return client >= 0 && poll(&pfd, 1, 0) > 0 &&
		   (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/*
 * Wait until db has a result ready without blocking, at most until
 * give_up_at, watching the client's socket (or none: -1) meanwhile.
 *
 * The socket is read only when no whole row is buffered yet: libpq grows
 * its input buffer for whatever one read brings, so reading before each
 * row, while the server sends as fast as it can, would gather the whole
 * result in that buffer (45 MB for 37,000 notes) instead of one row.
 */
static enum wait
wait_ready(PGconn *db, double give_up_at, int client)
{
	while (PQisBusy(db))
	{
		struct pollfd pfd[2] = {{PQsocket(db), POLLIN, 0}, {client, POLLRDHUP, 0}};
		double		  ms = (give_up_at - now_seconds()) * 1000.0;

		if (ms <= 0)
			return WAIT_TIMEOUT;
		if (poll(pfd, 2, ms > 100 ? 100 : (int) ms + 1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR))
			return WAIT_CLIENT_GONE;
		if (!PQconsumeInput(db))
			break; /* a broken connection: PQgetResult tells */
	}
	return WAIT_READY;
}

/*
 * Stop the statement db runs: a cancel request, then what the server still
 * sends is read and dropped until the statement ends, at most
 * CANCEL_GRACE_MS. If it does not end, the connection is not idle, and
 * pool_release closes it. The server is the one that just sent rows, so
 * PQcancel, which waits for it, waits for a live server.
 */
static enum spool_end
stop_statement(PGconn *db, enum spool_end why)
{
	double	  give_up_at = now_seconds() + CANCEL_GRACE_MS / 1000.0;
	PGcancel *cancel = PQgetCancel(db);
	char	  err[256];
	PGresult *res;

	if (cancel && !PQcancel(cancel, err, sizeof(err)))
		fprintf(stderr, "finote-shim: export: cancel request failed: %.*s\n",
				(int) strcspn(err, "\n"), err);
	PQfreeCancel(cancel);
	while (wait_ready(db, give_up_at, -1) == WAIT_READY && (res = PQgetResult(db)))
		PQclear(res);
	return why;
}

/* A statement with no rows to keep (BEGIN, SET, COMMIT): true when it ran. */
static bool
run_command(struct req *rq, PGconn *db, const char *sql, struct db_answer *a)
{
	PGresult *res;

	if (!PQsendQuery(db, sql))
	{
		db_take_answer(a, db, NULL);
		return false;
	}
	res = db_wait(db, rq, &a->outcome);
	if (a->outcome != DB_DONE)
	{
		PQclear(res);
		return false;
	}
	/* a multi-statement string: one failure puts the transaction in error */
	if (PQresultStatus(res) != PGRES_COMMAND_OK ||
		PQtransactionStatus(db) == PQTRANS_INERROR)
	{
		db_take_answer(a, db, res);
		return false;
	}
	PQclear(res);
	return true;
}

/*
 * The session's user id into me->user: true, or false with *a saying why
 * (28000 for a session that is not valid: 401).
 */
static bool
session_user_id(struct req *rq, PGconn *db, const char *token, struct exporter *me,
				struct db_answer *a)
{
	const char *const params[1] = {token};
	PGresult		 *res;

	if (!PQsendQueryParams(db, WHOAMI_SQL, 1, route_param_types, params, NULL, NULL, 0))
	{
		db_take_answer(a, db, NULL);
		return false;
	}
	res = db_wait(db, rq, &a->outcome);
	if (a->outcome != DB_DONE)
	{
		PQclear(res);
		return false;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
	{
		db_take_answer(a, db, res);
		a->row = false; /* no user: answered as the error it is */
		return false;
	}
	snprintf(me->user, sizeof(me->user), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

/* Enter me's user among the exporters: false when that user has an export running. */
static bool
user_claim(struct exporter *me)
{
	bool free = true;

	pthread_mutex_lock(&exporters_lock);
	for (struct exporter *e = exporters; e && free; e = e->next)
		free = strcmp(e->user, me->user) != 0;
	if (free)
	{
		me->next = exporters;
		exporters = me;
	}
	pthread_mutex_unlock(&exporters_lock);
	return free;
}

static void
user_release(struct exporter *me)
{
	struct exporter **p;

	pthread_mutex_lock(&exporters_lock);
	for (p = &exporters; *p != me; p = &(*p)->next)
		;
	*p = me->next;
	pthread_mutex_unlock(&exporters_lock);
}

/*
 * The route's rows, in order, into spool, at most FINOTE_EXPORT_MAX_BYTES
 * of them. On SPOOL_FAILED *a says why (a->outcome, or the error result).
 */
static enum spool_end
spool_rows(struct req *rq, PGconn *db, const struct route *route,
		   const char *const *params, FILE *spool, struct db_answer *a)
{
	double give_up_at = now_seconds() +
						(cfg.export_timeout_ms + CANCEL_GRACE_MS) / 1000.0;
	double	  look_at = 0; /* when to look at the client next */
	int		  client = client_socket(rq->ri);
	long long spooled = 0; /* bytes */
	char	  setup[96];
	PGresult *res;
	bool	  complete = false;

	snprintf(setup, sizeof(setup), "BEGIN; SET LOCAL statement_timeout = %d",
			 cfg.export_timeout_ms);
	if (!run_command(rq, db, setup, a))
		return SPOOL_FAILED;
	if (!PQsendQueryParams(db, route->sql, ROUTE_PARAMS, route_param_types, params, NULL, NULL, 0) ||
		!PQsetSingleRowMode(db))
	{
		db_take_answer(a, db, NULL);
		return SPOOL_FAILED;
	}
	for (;;)
	{
		enum wait waited = wait_ready(db, give_up_at, client);

		if (waited == WAIT_TIMEOUT)
		{
			a->outcome = DB_TIMEOUT; /* the connection is not idle: closed on release */
			return SPOOL_FAILED;
		}
		/* rows that arrive without a wait are no time to look away from the client */
		if (waited == WAIT_CLIENT_GONE || (now_seconds() >= look_at && client_gone(client)))
			return stop_statement(db, SPOOL_CLIENT_GONE);
		look_at = now_seconds() + CLIENT_LOOK_MS / 1000.0;
		if (!(res = PQgetResult(db)))
			break;
		switch (PQresultStatus(res))
		{
			case PGRES_SINGLE_TUPLE:
			{
				size_t len = (size_t) PQgetlength(res, 0, 0);

				if (spooled + (long long) len > cfg.export_max_bytes)
				{
					PQclear(res);
					return stop_statement(db, SPOOL_TOO_LARGE);
				}
				if (fwrite(PQgetvalue(res, 0, 0), 1, len, spool) != len)
				{
					fprintf(stderr, "finote-shim: export: cannot write to FINOTE_EXPORT_DIR: %s\n",
							strerror(errno));
					PQclear(res);
					return stop_statement(db, SPOOL_WRITE_FAILED);
				}
				spooled += (long long) len;
				PQclear(res);
				break;
			}
			case PGRES_TUPLES_OK:
				complete = true; /* the end of the rows */
				PQclear(res);
				break;
			default:
				if (a->res || a->log_copy)
					PQclear(res); /* one error is enough */
				else
					db_take_answer(a, db, res);
				break;
		}
	}
	if (!complete)
	{
		if (!a->res && !a->log_copy)
			db_take_answer(a, db, NULL);
		return SPOOL_FAILED;
	}
	if (!run_command(rq, db, "COMMIT", a))
		return SPOOL_FAILED;
	return fflush(spool) == 0 ? SPOOL_DONE : SPOOL_WRITE_FAILED;
}

/* The spooled body, from the start, at the client's pace. */
static void
send_spool(struct req *rq, FILE *spool)
{
	char			 *chunk = malloc(EXPORT_CHUNK); /* not on a worker's small stack */
	long long		  len = ftello(spool);
	const char *const headers[] = {
		"Content-Disposition", "attachment; filename=\"finote-export.json\"", NULL};
	double give_up_at = now_seconds() + cfg.export_send_timeout_ms / 1000.0;
	size_t n;

	rewind(spool);
	http_send_head(rq, 200, "application/json; charset=utf-8", len, headers);
	if (!chunk)
		abort();
	while ((n = fread(chunk, 1, EXPORT_CHUNK, spool)) > 0)
		/*
		 * Gone, or stalled one write past civetweb's send timeout, or too
		 * slow on the whole: a client reading 64 KiB every few seconds would
		 * otherwise hold this worker and an export slot for hours.
		 */
		if (mg_write(rq->conn, chunk, n) <= 0 || now_seconds() > give_up_at)
		{
			rq->close = true;
			conn_close_after(rq);
			break;
		}
	free(chunk);
}

/*
 * The export, in an export slot: spooled, the connection given back, then
 * sent (or the error answered).
 */
static void
export_spool_send(struct req *rq, PGconn *db, const struct route *route,
				  const char *const *params)
{
	const char *const retry[] = {"Retry-After", EXPORT_RETRY_SECS, NULL};
	struct db_answer  a;
	FILE			 *spool = spool_open();
	enum spool_end	  end = SPOOL_WRITE_FAILED;
	char			  message[160];

	memset(&a, 0, sizeof(a));
	if (!spool)
		fprintf(stderr, "finote-shim: export: cannot make a file in FINOTE_EXPORT_DIR: %s\n",
				strerror(errno));
	else
		end = spool_rows(rq, db, route, params, spool, &a);
	/*
	 * A statement that failed or was stopped leaves the transaction open:
	 * end it, bounded like any statement, and keep the connection. One
	 * still running (the server did not answer) is closed on release.
	 */
	if (end != SPOOL_DONE &&
		(PQtransactionStatus(db) == PQTRANS_INERROR || PQtransactionStatus(db) == PQTRANS_INTRANS))
	{
		struct db_answer rollback = {0};

		run_command(rq, db, "ROLLBACK", &rollback);
		db_answer_free(&rollback);
	}
	pool_release(db); /* before a byte goes to the client */

	switch (end)
	{
		case SPOOL_DONE:
			send_spool(rq, spool);
			break;
		case SPOOL_TOO_LARGE:
			snprintf(message, sizeof(message),
					 "the export is larger than this server allows (%d bytes); "
					 "an export without revisions is smaller",
					 cfg.export_max_bytes);
			http_send_error(rq, 507, "export_too_large", message, NULL);
			break;
		case SPOOL_WRITE_FAILED:
			http_send_error(rq, 503, "unavailable", "the export cannot be prepared now", retry);
			break;
		case SPOOL_CLIENT_GONE:
			a.outcome = DB_CLIENT_GONE; /* answered as any call whose client left */
										/* fall through */
		case SPOOL_FAILED:
			if (!answer_db_unanswered(rq, &a))
				answer_db_error(rq, route, &a);
			break;
	}
	db_answer_free(&a);
	if (spool)
		fclose(spool);
}

/*
 * The export of the user me names, who may have one running at a time,
 * among at most FINOTE_EXPORT_MAX at once. db goes back to the pool.
 */
static void
export_user(struct req *rq, PGconn *db, const struct route *route, const char *const *params,
			struct exporter *me)
{
	const char *const retry[] = {"Retry-After", EXPORT_RETRY_SECS, NULL};

	if (!user_claim(me))
	{
		pool_release(db);
		http_send_error(rq, 429, "export_in_progress",
						"an export of this account is running; try again when it is done", retry);
		return;
	}
	if (__atomic_add_fetch(&running, 1, __ATOMIC_SEQ_CST) > cfg.export_max)
	{
		pool_release(db);
		http_send_error(rq, 503, "unavailable", "too many exports at once; try again shortly", retry);
	}
	else
		export_spool_send(rq, db, route, params);
	__atomic_sub_fetch(&running, 1, __ATOMIC_SEQ_CST);
	user_release(me);
}

void
export_run(struct req *rq, const struct route *route, const char *const *params)
{
	struct db_answer a;
	struct exporter	 me;
	PGconn			*db = rq->db; /* taken to learn the extension version (handler.c) */

	rq->db = NULL;
	memset(&a, 0, sizeof(a));
	memset(&me, 0, sizeof(me));
	if (!db && !(db = pool_acquire()))
		a.outcome = DB_NO_CONNECTION;
	else if (session_user_id(rq, db, params[0], &me, &a))
	{
		export_user(rq, db, route, params, &me);
		return;
	}
	if (db)
		pool_release(db);
	if (!answer_db_unanswered(rq, &a))
		answer_db_error(rq, route, &a);
	db_answer_free(&a);
}
