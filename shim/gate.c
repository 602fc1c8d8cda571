/*
 * gate.c: how many password hashes the database computes for us at once.
 *
 * Registering, logging in, changing a password and deleting the account
 * (its password is checked) each cost an argon2id
 * hash in the database: about a core for a tenth of a second, with no
 * session needed. Unbounded, 32 parallel logins took every core and every
 * pooled connection, and other users' note reads waited 15 s. So at most
 * FINOTE_HASH_CONCURRENCY of these calls (default: the cores this process
 * may use) run at once, and never hold more than that many connections;
 * the next ones wait up to FINOTE_HASH_WAIT_MS for a turn and then get 503
 * with Retry-After. They are served first come, first served: a turn that
 * comes free is handed to the oldest waiter, so that under a steady stream
 * of logins none waits much longer than the queue ahead of it, where a
 * condition's wake-up of any waiter (and newcomers taking the turn first)
 * left some waiting out the whole wait into a 503 while others went
 * through at once (test/bench/FINDINGS.md, section 16).
 *
 * A turn is held for the whole call, and a call can wait in the database
 * on something other than the hash: an upgrade (ALTER EXTENSION finote
 * UPDATE) holds its locks for as long as its index builds take, a second or
 * more on a large notes table. The wait's default is therefore
 * FINOTE_POOL_WAIT_MS's (5 s), the time any request waits for a pooled
 * connection; at 1 s, logins queued behind the two in the database got 503
 * during a migration that held `users` for 1.1 s (test/bench/FINDINGS.md,
 * section 16). What bounds a flood of logins is the workers instead: a login
 * that finds no turn free while workers are scarce (conn.c) gets its 503 at
 * once, and one waiting stops within SCARCITY_CHECK_MS of their becoming
 * scarce, so that waiting logins do not take the workers other requests
 * need.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <string.h>

#include "shim.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int			   running; /* turns taken, including those handed to a waiter */

/* A login waiting for a turn, in the FIFO queue. */
struct waiter
{
	struct waiter *next;
	pthread_cond_t handed; /* signalled when granted */
	bool		   granted;
};
static struct waiter *queue;

/* The routes whose call hashes a password (routes.c's patterns). */
bool
gate_needed(const struct route *route)
{
	return strcmp(route->pattern, "/api/auth/login") == 0 ||
		   strcmp(route->pattern, "/api/auth/register") == 0 ||
		   strcmp(route->pattern, "/api/auth/password") == 0 ||
		   (strcmp(route->pattern, "/api/auth/me") == 0 && strcmp(route->method, "DELETE") == 0);
}

/* A waiter looks at the workers this often, between turns coming free. */
#define SCARCITY_CHECK_MS 100

/*
 * Take a turn; false when none came free within FINOTE_HASH_WAIT_MS, or
 * workers are (or grew) scarce while none was free.
 */
bool
gate_enter(void)
{
	double			until = now_seconds() + cfg.hash_wait_ms / 1000.0;
	struct waiter	w = {0};
	struct waiter **p;

	pthread_mutex_lock(&lock);
	if (!queue && running < cfg.hash_concurrency)
	{
		running++;
		pthread_mutex_unlock(&lock);
		return true;
	}
	cond_init_monotonic(&w.handed);
	for (p = &queue; *p; p = &(*p)->next)
		;
	*p = &w;
	while (!w.granted && !conn_workers_scarce())
	{
		double			left_ms = (until - now_seconds()) * 1000.0;
		struct timespec slice;

		if (left_ms <= 0)
			break;
		slice = deadline_in_ms(left_ms < SCARCITY_CHECK_MS ? (int) left_ms + 1 : SCARCITY_CHECK_MS);
		pthread_cond_timedwait(&w.handed, &lock, &slice);
	}
	if (!w.granted)
		for (p = &queue; *p; p = &(*p)->next)
			if (*p == &w)
			{
				*p = w.next;
				break;
			}
	pthread_mutex_unlock(&lock);
	pthread_cond_destroy(&w.handed);
	return w.granted;
}

/* Give the turn back: to the oldest waiter, who then holds it, if any. */
void
gate_leave(void)
{
	pthread_mutex_lock(&lock);
	if (queue)
	{
		struct waiter *w = queue;

		queue = w->next;
		w->granted = true;
		pthread_cond_signal(&w->handed);
	}
	else
		running--;
	pthread_mutex_unlock(&lock);
}
