/*
 * attempt_rows.c
 *	  The rows of finote.attempts (1.1.3): the wait a key's row imposes, one
 *	  more attempt counted against an attempt's keys, and the bounded purge
 *	  of forgotten keys. The 1.1.3 worker (attempts.c) and the attempt server
 *	  of 1.2.2 (attempt_server.c) keep the budgets with these, in their own
 *	  transactions, as finote_throttle, with search_path pinned.
 *
 * A key allows `limit` attempts; after that, each further one must wait for
 * a delay that starts at 30 seconds and doubles with each attempt, up to the
 * window: growing delays, not a lockout. An idle key (no attempt for a whole
 * window) is forgotten. A fixed key (the account's) is instead forgotten a
 * window after its first attempt.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#define FIRST_DELAY_SECS 30

/*
 * The wait a key's row imposes at now, in seconds: 0 unless a delay runs.
 * *failures is the count that still stands (0 for a forgotten key).
 */
int32
finote_attempts_row_wait(TimestampTz now, int32 attempts, TimestampTz blocked_until,
						 TimestampTz expires_at, int32 *failures)
{
	bool fresh = expires_at <= now;

	*failures = fresh ? 0 : attempts;
	if (!fresh && blocked_until > now)
		return (int32) Max(1, (blocked_until - now + USECS_PER_SEC - 1) / USECS_PER_SEC);
	return 0;
}

/* The row of one key after one more attempt at now. */
static void
count_one(const FinoteAttemptKey *k, TimestampTz now, int32 attempts, TimestampTz expires_at,
		  int32 *new_attempts, TimestampTz *new_blocked, TimestampTz *new_expires)
{
	bool fresh = expires_at <= now;

	*new_attempts = fresh ? 1 : attempts + 1;
	*new_blocked = now;
	if (*new_attempts >= k->limit)
	{
		int	  over = Min(*new_attempts - k->limit, 30);
		int64 delay = Min((int64) FIRST_DELAY_SECS << over, (int64) k->window);

		*new_blocked = now + delay * USECS_PER_SEC;
	}
	*new_expires = (k->fixed && !fresh) ? expires_at : now + (int64) k->window * USECS_PER_SEC;
}

/*
 * Bounded, so that no attempt pays for all the expired rows; rows another
 * transaction has locked are left to a later one, so that the purge neither
 * waits nor takes locks out of key order (deadlock).
 */
void
finote_attempts_purge(void)
{
	static FinoteQuery q_purge = {
		.sql = "DELETE FROM finote.attempts WHERE key OPERATOR(pg_catalog.=) ANY (ARRAY("
			   "  SELECT key FROM finote.attempts"
			   "   WHERE expires_at OPERATOR(pg_catalog.<) pg_catalog.now()"
			   "   LIMIT 100 FOR UPDATE SKIP LOCKED))",
	};

	finote_exec(&q_purge, NULL, NULL);
}

/*
 * Count one attempt against every key of req, in the current transaction
 * (SPI connected, run as finote_throttle): lock the keys' rows in key order,
 * then either count the attempt against all of them or, when refuse_blocked
 * and a delay runs on one of them, against none. Returns the wait, 0 when
 * counted.
 */
int32
finote_attempts_count(const FinoteAttempts *req, bool refuse_blocked)
{
	static FinoteQuery q_ensure = {
		.sql = "INSERT INTO finote.attempts (key) SELECT pg_catalog.unnest($1)"
			   " ON CONFLICT (key) DO NOTHING",
		.nargs = 1,
		.argtypes = {TEXTARRAYOID},
	};
	static FinoteQuery q_lock = {
		.sql = "SELECT key, attempts, blocked_until, expires_at FROM finote.attempts"
			   " WHERE key OPERATOR(pg_catalog.=) ANY ($1)"
			   " ORDER BY key COLLATE \"C\" FOR UPDATE",
		.nargs = 1,
		.argtypes = {TEXTARRAYOID},
	};
	static FinoteQuery q_count = {
		.sql = "UPDATE finote.attempts SET attempts = $2, blocked_until = $3, expires_at = $4"
			   " WHERE key OPERATOR(pg_catalog.=) $1",
		.nargs = 4,
		.argtypes = {TEXTOID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID},
	};
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Datum		keys[FINOTE_ATTEMPT_KEYS];
	Datum		keyarray;
	int32		attempts[FINOTE_ATTEMPT_KEYS];
	TimestampTz blocked[FINOTE_ATTEMPT_KEYS];
	TimestampTz expires[FINOTE_ATTEMPT_KEYS];
	int32		wait = 0;
	int			n;

	for (int i = 0; i < req->nkeys; i++)
		keys[i] = CStringGetTextDatum(req->keys[i].key);
	keyarray = PointerGetDatum(construct_array(keys, req->nkeys, TEXTOID, -1, false,
											   TYPALIGN_INT));
	finote_exec(&q_ensure, &keyarray, NULL);
	n = finote_exec(&q_lock, &keyarray, NULL);
	for (int r = 0; r < n; r++)
	{
		bool		isnull;
		char	   *key = TextDatumGetCString(finote_result_column(r, 1, &isnull));
		int32		a = DatumGetInt32(finote_result_column(r, 2, &isnull));
		TimestampTz b = DatumGetTimestampTz(finote_result_column(r, 3, &isnull));
		TimestampTz e = DatumGetTimestampTz(finote_result_column(r, 4, &isnull));
		int32		failures;

		for (int i = 0; i < req->nkeys; i++)
			if (strcmp(key, req->keys[i].key) == 0)
			{
				if (refuse_blocked)
					wait = Max(wait, finote_attempts_row_wait(now, a, b, e, &failures));
				count_one(&req->keys[i], now, a, e, &attempts[i], &blocked[i], &expires[i]);
			}
	}
	if (n != req->nkeys)
		elog(ERROR, "finote: attempt keys missing after insert");
	/* All or nothing: a refused attempt counts against no key. */
	for (int i = 0; wait == 0 && i < req->nkeys; i++)
		finote_exec(&q_count,
					(Datum[]){keys[i], Int32GetDatum(attempts[i]),
							  TimestampTzGetDatum(blocked[i]), TimestampTzGetDatum(expires[i])},
					NULL);
	return wait;
}
