/*
 * export.c: an ANSWER_STREAM route (GET /api/export): a body the database
 * sends as many rows, whatever its size, with bounded shim memory and
 * without a database connection waiting on the client.
 *
 * The statement runs in libpq's single-row mode, so the shim holds one row
 * (one note) at a time, never the whole result. The rows go to a spool file
 * that is unlinked from the start (O_TMPFILE in FINOTE_EXPORT_DIR, or
 * mkstemp + unlink where the file system has no O_TMPFILE): nobody else can
 * open it, and it is gone when closed, even if the shim dies. Once the last
 * row is in, the transaction ends and the connection goes back to the pool;
 * only then is the file sent, with its Content-Length, at whatever pace the
 * client reads. A slow reader holds a worker thread and a file, never a
 * connection; a failure before the last row is an ordinary JSON error,
 * since nothing was sent yet.
 *
 * Bounds: at most FINOTE_EXPORT_MAX exports at once (the next get 503 with
 * Retry-After); the sending takes at most FINOTE_EXPORT_SEND_TIMEOUT_MS,
 * checked between writes (then the connection is closed, the body short of
 * its Content-Length); the statement runs under its own statement_timeout,
 * FINOTE_EXPORT_TIMEOUT_MS (an export of a large account takes longer than
 * any other call), set with SET LOCAL in the export's transaction, so the
 * connection goes back to the pool with the server's default. A server that
 * does not even answer CANCEL_GRACE_MS after that is given up on (the
 * connection is closed). The pool connection is taken with pool_acquire and
 * given back with pool_release, like every other call's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#define CANCEL_GRACE_MS	  1000
#define EXPORT_CHUNK	  65536
#define EXPORT_RETRY_SECS "5"

static int running; /* exports in progress */

/*
 * A file only this process can reach, gone once closed. NULL (errno set)
 * when the directory refuses it.
 */
static FILE *
spool_open(void)
{
	char  path[PATH_MAX];
	int	  fd = open(cfg.export_dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
	{
		snprintf(path, sizeof(path), "%s/finote-export-XXXXXX", cfg.export_dir);
		if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
			unlink(path);
	}
	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "w+")))
		close(fd);
	return f;
}

/*
 * Wait until db has a result ready without blocking, at most until
 * give_up_at. False when the server did not answer in time.
 *
 * The socket is read only when no whole row is buffered yet: libpq grows
 * its input buffer for whatever one read brings, so reading before each
 * row, while the server sends as fast as it can, would gather the whole
 * result in that buffer (45 MB for 37,000 notes) instead of one row.
 */
static bool
wait_ready(PGconn *db, double give_up_at)
{
	while (PQisBusy(db))
	{
		struct pollfd pfd = {PQsocket(db), POLLIN, 0};
		double		  ms = (give_up_at - now_seconds()) * 1000.0;

		if (ms <= 0)
			return false;
		if (poll(&pfd, 1, ms > 100 ? 100 : (int) ms + 1) < 0 && errno != EINTR)
			break;
		if (!PQconsumeInput(db))
			break; /* a broken connection: PQgetResult tells */
	}
	return true;
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
 * The route's rows, in order, into spool. True when all arrived; otherwise
 * *a says why (a->outcome, or the error result).
 */
static bool
spool_rows(struct req *rq, PGconn *db, const struct route *route,
		   const char *const *params, FILE *spool, struct db_answer *a)
{
	double give_up_at = now_seconds() +
						(cfg.export_timeout_ms + CANCEL_GRACE_MS) / 1000.0;
	char	  setup[96];
	PGresult *res;
	bool	  complete = false;

	snprintf(setup, sizeof(setup), "BEGIN; SET LOCAL statement_timeout = %d",
			 cfg.export_timeout_ms);
	if (!run_command(rq, db, setup, a))
		return false;
	if (!PQsendQueryParams(db, route->sql, ROUTE_PARAMS, route_param_types, params, NULL, NULL, 0) ||
		!PQsetSingleRowMode(db))
	{
		db_take_answer(a, db, NULL);
		return false;
	}
	for (;;)
	{
		if (!wait_ready(db, give_up_at))
		{
			a->outcome = DB_TIMEOUT; /* the connection is not idle: closed on release */
			return false;
		}
		if (!(res = PQgetResult(db)))
			break;
		switch (PQresultStatus(res))
		{
			case PGRES_SINGLE_TUPLE:
				if (!PQgetisnull(res, 0, 0) &&
					fwrite(PQgetvalue(res, 0, 0), 1, (size_t) PQgetlength(res, 0, 0), spool) !=
						(size_t) PQgetlength(res, 0, 0))
				{
					fprintf(stderr, "finote-shim: export: cannot write to FINOTE_EXPORT_DIR: %s\n",
							strerror(errno));
					PQclear(res);
					return false; /* the connection is not idle: closed on release */
				}
				PQclear(res);
				break;
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
		return false;
	}
	return run_command(rq, db, "COMMIT", a) && fflush(spool) == 0;
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

void
export_run(struct req *rq, const struct route *route, const char *const *params)
{
	struct db_answer a;
	PGconn			*db = rq->db; /* taken to learn the extension version (handler.c) */
	FILE			*spool = NULL;
	bool			 spooled = false;

	rq->db = NULL;
	memset(&a, 0, sizeof(a));
	if (__atomic_add_fetch(&running, 1, __ATOMIC_SEQ_CST) > cfg.export_max)
	{
		const char *const headers[] = {"Retry-After", EXPORT_RETRY_SECS, NULL};

		if (db)
			pool_release(db);
		http_send_error(rq, 503, "unavailable", "too many exports at once; try again shortly",
						headers);
		__atomic_sub_fetch(&running, 1, __ATOMIC_SEQ_CST);
		return;
	}
	if (!(spool = spool_open()))
		fprintf(stderr, "finote-shim: export: cannot make a file in FINOTE_EXPORT_DIR: %s\n",
				strerror(errno));
	else if (db || (db = pool_acquire()))
		spooled = spool_rows(rq, db, route, params, spool, &a);
	else
		a.outcome = DB_NO_CONNECTION;
	/*
	 * A statement that failed (its timeout, say) leaves the transaction
	 * open: end it, bounded like any statement, and keep the connection.
	 * One still running (the server did not answer) is closed on release.
	 */
	if (db && !spooled && (PQtransactionStatus(db) == PQTRANS_INERROR || PQtransactionStatus(db) == PQTRANS_INTRANS))
	{
		struct db_answer rollback = {0};

		run_command(rq, db, "ROLLBACK", &rollback);
		db_answer_free(&rollback);
	}
	if (db)
		pool_release(db); /* before a byte goes to the client */

	if (spooled)
		send_spool(rq, spool);
	else if (!spool)
		http_send_error(rq, 503, "unavailable", "the export cannot be prepared now", NULL);
	else if (!answer_db_unanswered(rq, &a))
		answer_db_error(rq, route, &a);
	db_answer_free(&a);
	if (spool)
		fclose(spool);
	__atomic_sub_fetch(&running, 1, __ATOMIC_SEQ_CST);
}
