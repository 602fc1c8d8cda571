/*
 * pool.c: at most DB_POOL_MAX libpq connections, opened when first needed.
 *
 * A request borrows a connection for exactly one statement and gives it
 * back; nothing is left on a connection between requests (no SET, no open
 * transaction) but, with FINOTE_PREPARE=1 (the default), the route table's
 * statements, each prepared on a connection the first time a request needs
 * it: parsing and planning the call on every request cost the database a
 * third of a note_get (test/bench/FINDINGS.md). Behind PgBouncer in
 * transaction pooling mode (before 1.21, or without max_prepared_statements)
 * set FINOTE_PREPARE=0: every request then sends its statement unnamed.
 *
 * A borrower waits at most FINOTE_POOL_WAIT_MS for a free connection, then
 * gets NULL (the caller answers 503). Waiters are served first come, first
 * served: a released connection is handed to the oldest waiter directly, so
 * newcomers cannot overtake it and starve it into a 503 under load.
 * Connections the server dropped (a restart, an administrator's
 * pg_terminate_backend) are noticed when they are handed out: PQconsumeInput
 * reads the termination notice and EOF the server left on the socket, and a
 * dead connection is replaced instead of failing the request.
 *
 * When no connection opens (the database restarting, a leader changing),
 * the database is "away": a borrower then waits, up to the deadline it was
 * given (FINOTE_DB_WAIT_MS from the request's start, dbcall.c), for it to
 * come back, instead of failing at once. While it is away, one borrower at
 * a time tries to connect, after a backoff (BACKOFF_MIN_MS doubling to
 * BACKOFF_MAX_MS, with jitter so that the shims of a deployment do not all
 * knock at once); the others wait on a condition, holding neither a slot
 * nor a connection attempt, only their worker thread, and stop waiting
 * when workers grow scarce (conn.c), so that /healthz and the requests
 * that need no database are still served. Whether a statement may be sent
 * again is the caller's business (dbcall.c).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

#include "shim.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int			   ext_version; /* VERSION_* the database last said; 0: unknown */
static PGconn		 **idle;		/* stack of idle connections */
static int			   n_idle;
static int			   n_busy;	 /* borrowed, or being opened */
static int			   n_closed; /* closed and not replaced yet: the next opens are reconnects */

/* The database as the last connection attempt found it (under lock). */
static bool			  away;		/* the last attempt failed */
static bool			  trying;	/* a borrower is connecting while away */
static double		  retry_at; /* when the next attempt may start, monotonic seconds */
static int			  backoff_ms;
static pthread_cond_t attempt_ended;

/* Every open connection and the route statements prepared on it (bit i: row i). */
struct known
{
	PGconn	*conn;
	uint64_t prepared;
};
static struct known *known;

/* Under lock. */
static struct known *
known_find(PGconn *conn)
{
	for (int i = 0; i < cfg.pool_max; i++)
		if (known[i].conn == conn)
			return &known[i];
	return NULL;
}

/* A connection pool_connect just opened: nothing prepared on it yet. */
static void
known_add(PGconn *conn)
{
	struct known *k;

	bool replaces;

	pthread_mutex_lock(&lock);
	if ((k = known_find(NULL)))
	{
		k->conn = conn;
		k->prepared = 0;
	}
	if ((replaces = n_closed > 0))
		n_closed--;
	pthread_mutex_unlock(&lock);
	if (replaces)
		metrics_db_reconnect();
}

/* Close conn and forget its statements. */
static void
pool_finish(PGconn *conn)
{
	struct known *k;

	pthread_mutex_lock(&lock);
	if ((k = known_find(conn)))
		k->conn = NULL;
	n_closed++;
	pthread_mutex_unlock(&lock);
	PQfinish(conn);
}

/* Only the borrower of conn asks about or sets its bits. */
bool
pool_is_prepared(PGconn *conn, int stmt)
{
	struct known *k;
	bool		  yes;

	pthread_mutex_lock(&lock);
	k = known_find(conn);
	yes = k && stmt < 64 && (k->prepared & ((uint64_t) 1 << stmt));
	pthread_mutex_unlock(&lock);
	return yes;
}

void
pool_set_prepared(PGconn *conn, int stmt)
{
	struct known *k;

	pthread_mutex_lock(&lock);
	if ((k = known_find(conn)) && stmt < 64)
		k->prepared |= (uint64_t) 1 << stmt;
	pthread_mutex_unlock(&lock);
}

/* A borrower waiting for a connection, in the FIFO queue. */
struct waiter
{
	struct waiter *next;
	pthread_cond_t cond;
	bool		   granted; /* served: conn is a pooled connection, or NULL */
	PGconn		  *conn;	/* for a free slot to open a new one in */
};
static struct waiter *queue;

static void
dequeue(struct waiter *w)
{
	for (struct waiter **p = &queue; *p; p = &(*p)->next)
		if (*p == w)
		{
			*p = w->next;
			return;
		}
}

void
pool_init(void)
{
	idle = calloc((size_t) cfg.pool_max, sizeof(PGconn *));
	known = calloc((size_t) cfg.pool_max, sizeof(struct known));
	if (!known)
		abort();
	if (!idle)
		abort();
	cond_init_monotonic(&attempt_ended);
}

static PGconn *
pool_connect(void)
{
	/* the URL comes last so that anything it says overrides our defaults */
	const char *const keys[] = {"connect_timeout", "application_name",
								"client_encoding", "dbname", NULL};
	char			  connect_timeout[16];
	const char *const values[] = {connect_timeout, "finote-shim", "UTF8", cfg.database_url, NULL};
	PGconn			 *conn;

	/* a connection may take as long as a statement, in whole seconds, 2 at least (libpq's floor) */
	snprintf(connect_timeout, sizeof(connect_timeout), "%d",
			 cfg.statement_timeout_ms < 2000 ? 2 : (cfg.statement_timeout_ms + 999) / 1000);
	conn = PQconnectdbParams(keys, values, 1);

	if (PQstatus(conn) != CONNECTION_OK)
	{
		/* the first line of libpq's message: host and reason, no password */
		const char *msg = PQerrorMessage(conn);

		fprintf(stderr, "finote-shim: database connection failed: %.*s\n",
				(int) strcspn(msg, "\n"), msg);
		metrics_db_error("connect");
		PQfinish(conn);
		return NULL;
	}
	PQclear(pool_query_version(conn));
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
	{
		/* the server accepted the connection but does not answer */
		fprintf(stderr, "finote-shim: database connection failed: no answer in time\n");
		metrics_db_error("connect");
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/*
 * Ask the database which finote version is installed, and remember it for
 * route selection (routes.c). Done on every new connection and by /readyz,
 * so an ALTER EXTENSION finote UPDATE is noticed without a restart. Returns
 * the result for the caller to look at or PQclear.
 */
PGresult *
pool_query_version(PGconn *conn)
{
	/* extended protocol, unnamed statement: like every other query here */
	enum db_outcome outcome;
	PGresult	   *res = PQsendQueryParams(conn, "SELECT extversion FROM pg_extension WHERE extname = 'finote'",
											0, NULL, NULL, NULL, NULL, 0)
							  ? db_wait(conn, NULL, &outcome)
							  : NULL;
	int				version;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		(version = version_parse(PQgetvalue(res, 0, 0))) != 0)
		__atomic_store_n(&ext_version, version, __ATOMIC_RELAXED);
	return res;
}

int
pool_extension_version(void)
{
	return __atomic_load_n(&ext_version, __ATOMIC_RELAXED);
}

/*
 * True when a pooled connection is still usable. Never blocks: an idle
 * connection has nothing to read unless the server is closing it (a FATAL
 * notice, then end-of-file), so we read whatever is pending, up to EOF.
 */
static bool
alive(PGconn *conn)
{
	struct pollfd pfd = {PQsocket(conn), POLLIN, 0};

	for (int i = 0; i < 8 && PQstatus(conn) == CONNECTION_OK && poll(&pfd, 1, 0) > 0; i++)
		PQconsumeInput(conn);
	return PQstatus(conn) == CONNECTION_OK &&
		   PQtransactionStatus(conn) == PQTRANS_IDLE;
}

/*
 * A slot in the pool: an idle connection in *conn, or NULL and room to open
 * one. False when none came free within FINOTE_POOL_WAIT_MS.
 */
static bool
slot_take(PGconn **conn)
{
	struct timespec deadline = deadline_in_ms(cfg.pool_wait_ms);
	double			start = now_seconds();
	bool			served = true;

	*conn = NULL;
	pthread_mutex_lock(&lock);
	if (!queue && n_idle > 0)
	{
		*conn = idle[--n_idle];
		n_busy++;
	}
	else if (queue || n_busy + n_idle >= cfg.pool_max)
	{
		struct waiter	w = {0};
		struct waiter **tail = &queue;

		cond_init_monotonic(&w.cond);
		while (*tail)
			tail = &(*tail)->next;
		*tail = &w;
		while (!w.granted &&
			   pthread_cond_timedwait(&w.cond, &lock, &deadline) != ETIMEDOUT)
			;
		if (!w.granted)
			dequeue(&w);
		/* a grant is counted in n_busy already: the releaser passed it on */
		served = w.granted;
		*conn = w.conn;
		pthread_cond_destroy(&w.cond);
	}
	else
		n_busy++; /* no connection idle but room for one more: open it */
	pthread_mutex_unlock(&lock);
	metrics_observe_pool_wait(now_seconds() - start, !served);
	return served;
}

/*
 * Whether this borrower may try to connect now: always while the database
 * is not away; while it is, once the backoff has passed and nobody else is
 * trying (*trier: it is this borrower's attempt that says whether it is back).
 */
static bool
attempt_begin(bool *trier)
{
	bool may;

	pthread_mutex_lock(&lock);
	*trier = away && !trying && now_seconds() >= retry_at;
	may = !away || *trier;
	trying |= *trier;
	pthread_mutex_unlock(&lock);
	return may;
}

/* The attempt's outcome: the database is back, or (still) away until a later try. */
static void
attempt_end(bool trier, bool connected)
{
	pthread_mutex_lock(&lock);
	if (connected)
	{
		away = false;
		backoff_ms = 0;
	}
	else if (trier || !away)
	{
		/* attempts begun before the first failure was known do not add to the backoff */
		backoff_ms = backoff_ms == 0 ? BACKOFF_MIN_MS : backoff_ms * 2;
		if (backoff_ms > BACKOFF_MAX_MS)
			backoff_ms = BACKOFF_MAX_MS;
		/* between three quarters and the whole of it */
		retry_at = now_seconds() +
				   (backoff_ms - randombytes_uniform((uint32_t) backoff_ms / 4 + 1)) / 1000.0;
		away = true;
	}
	if (trier)
		trying = false;
	pthread_cond_broadcast(&attempt_ended);
	pthread_mutex_unlock(&lock);
}

/*
 * Wait while the database is away and it is not this borrower's turn to
 * try; false when until passed first, or workers grew scarce.
 */
static bool
await_turn(double until)
{
	bool turn = true;

	pthread_mutex_lock(&lock);
	while (away && (trying || now_seconds() < retry_at))
	{
		double			now = now_seconds();
		double			wake = trying || retry_at > until ? until : retry_at;
		struct timespec deadline = deadline_in_ms((int) ((wake - now) * 1000.0) + 1);

		if (now >= until || conn_workers_scarce())
		{
			turn = false;
			break;
		}
		pthread_cond_timedwait(&attempt_ended, &lock, &deadline);
	}
	pthread_mutex_unlock(&lock);
	return turn;
}

/*
 * A working connection, or NULL when none came free within
 * FINOTE_POOL_WAIT_MS, or the database stayed away until `until`
 * (monotonic seconds; a time past means: one attempt if one is due, no
 * waiting).
 */
PGconn *
pool_acquire_by(double until)
{
	for (;;)
	{
		PGconn *conn;
		bool	trier;

		if (!slot_take(&conn))
			return NULL;
		if (conn && alive(conn))
			return conn;
		if (conn)
			pool_finish(conn);
		if (attempt_begin(&trier))
		{
			if ((conn = pool_connect()))
				known_add(conn);
			attempt_end(trier, conn != NULL);
			if (conn)
				return conn;
		}
		pool_release(NULL); /* the slot back while we wait */
		if (!await_turn(until))
			return NULL;
	}
}

/* A working connection for a request that arrives now (FINOTE_DB_WAIT_MS). */
PGconn *
pool_acquire(void)
{
	return pool_acquire_by(now_seconds() + cfg.db_wait_ms / 1000.0);
}

/* Return a connection; a broken one is closed, NULL just frees the slot. */
void
pool_release(PGconn *conn)
{
	if (conn && (PQstatus(conn) != CONNECTION_OK ||
				 PQtransactionStatus(conn) != PQTRANS_IDLE))
	{
		pool_finish(conn);
		conn = NULL;
	}
	pthread_mutex_lock(&lock);
	if (queue)
	{
		/*
		 * Hand it (or, if it was closed, its slot) to the oldest waiter. It
		 * stays counted in n_busy, so no newcomer can open one more meanwhile.
		 */
		struct waiter *w = queue;

		queue = w->next;
		w->granted = true;
		w->conn = conn;
		pthread_cond_signal(&w->cond);
	}
	else
	{
		n_busy--;
		if (conn)
			idle[n_idle++] = conn;
	}
	pthread_mutex_unlock(&lock);
}

/*
 * Close a connection whose server went away or only reads (after a
 * failover the old leader may come back as a replica), and the idle ones,
 * which reached the same server and would fail the same way; its slot goes
 * back.
 */
void
pool_drop(PGconn *conn)
{
	int n;

	pthread_mutex_lock(&lock);
	n = n_idle;
	pthread_mutex_unlock(&lock);
	/* one at a time: PQfinish writes to the server, not under the lock */
	while (n-- > 0)
	{
		PGconn *old = NULL;

		pthread_mutex_lock(&lock);
		if (n_idle > 0)
			old = idle[--n_idle];
		pthread_mutex_unlock(&lock);
		if (!old)
			break;
		pool_finish(old);
	}
	pool_finish(conn);
	pool_release(NULL);
}

/* At shutdown, after the HTTP server has finished every request. */
void
pool_close(void)
{
	pthread_mutex_lock(&lock);
	while (n_idle > 0)
		PQfinish(idle[--n_idle]);
	pthread_mutex_unlock(&lock);
	free(idle);
	free(known);
	idle = NULL;
	known = NULL;
}

void
pool_counts(int *in_use, int *n_idle_out)
{
	pthread_mutex_lock(&lock);
	*in_use = n_busy;
	*n_idle_out = n_idle;
	pthread_mutex_unlock(&lock);
}
