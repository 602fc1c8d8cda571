/*
 * idempotency.c
 *	  Idempotency keys (1.3): finote.idempotency_claim and
 *	  finote.idempotency_store, which make one write safe to send twice
 *	  (draft-ietf-httpapi-idempotency-key-header).
 *
 * A keyed write is one statement (shim/routes.c, KEYED): claim, then the
 * write and store only when claim found no answer. Everything happens in
 * the write's transaction, so the key is kept exactly when the write
 * committed, with the answer it gave; a write that fails leaves no key
 * behind, and the same key may be sent again.
 *
 * A claim holds a transaction-level advisory lock named by the user and the
 * key, taken without waiting: a second request with the key while the
 * first runs is refused at once (PTK09) instead of waiting for it, and
 * once the first committed the second finds its answer. The lock's name is
 * a 64-bit hash, so two keys may share a lock: the cost of that is a
 * spurious "in use" that a retry clears, never a wrong answer (the row is
 * keyed by the key itself).
 *
 * Storage is bounded per user (finote.idempotency_keys_max live keys: past
 * it a claim is PTK29 with the time until the oldest key expires, rather
 * than a key forgotten early, which would let a retry write twice). Keys
 * expire after finote.idempotency_key_lifetime; each claim sweeps a few
 * expired keys of any user, and finote.purge the rest (purge.c).
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include <sodium.h>

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(finote_idempotency_claim_1_3);
PG_FUNCTION_INFO_V1(finote_idempotency_store_1_3);

#define KEY_MAX_BYTES	255
#define REQUEST_BYTES	32
#define SQLSTATE_IN_USE MAKE_SQLSTATE('P', 'T', 'K', '0', '9')
#define SQLSTATE_OTHER	MAKE_SQLSTATE('P', 'T', 'K', '2', '2')
#define SQLSTATE_FULL	MAKE_SQLSTATE('P', 'T', 'K', '2', '9')

static FinoteQuery q_lock = {
	.sql = "SELECT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended("
		   "$1::pg_catalog.text OPERATOR(pg_catalog.||) $2, 23))",
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
};

static FinoteQuery q_find = {
	.sql = "SELECT k.request, k.answer FROM finote.idempotency_keys k"
		   " WHERE k.user_id = $1 AND k.key = $2 AND k.expires_at > pg_catalog.now()",
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
};

/* The user's live keys, and the seconds until the oldest one expires. */
static FinoteQuery q_count = {
	.sql = "SELECT pg_catalog.count(*),"
		   "       pg_catalog.ceil(EXTRACT(epoch FROM pg_catalog.min(k.expires_at)"
		   "                                      - pg_catalog.now()))::int"
		   "  FROM finote.idempotency_keys k"
		   " WHERE k.user_id = $1 AND k.expires_at > pg_catalog.now()",
	.nargs = 1,
	.argtypes = {UUIDOID},
};

/* A key that expired is replaced, as if it had never been. */
static FinoteQuery q_insert = {
	.sql = "INSERT INTO finote.idempotency_keys AS k"
		   "  (user_id, key, request, answer, created_at, expires_at)"
		   " VALUES ($1, $2, $3, NULL, pg_catalog.now(),"
		   "         pg_catalog.now() + pg_catalog.make_interval(secs => $4))"
		   " ON CONFLICT (user_id, key) DO UPDATE"
		   "   SET request = EXCLUDED.request, answer = NULL,"
		   "       created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at",
	.nargs = 4,
	.argtypes = {UUIDOID, TEXTOID, BYTEAOID, FLOAT8OID},
};

static FinoteQuery q_store = {
	.sql = "UPDATE finote.idempotency_keys k SET answer = $3"
		   " WHERE k.user_id = $1 AND k.key = $2 AND k.answer IS NULL",
	.nargs = 3,
	.argtypes = {UUIDOID, TEXTOID, JSONBOID},
};

static FinoteQuery q_sweep = {
	.sql = "WITH e AS (SELECT k.user_id, k.key FROM finote.idempotency_keys k"
		   "            WHERE k.expires_at <= pg_catalog.now()"
		   "            ORDER BY k.expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
		   " DELETE FROM finote.idempotency_keys k USING e"
		   "  WHERE k.user_id = e.user_id AND k.key = e.key",
	.nargs = 1,
	.argtypes = {INT4OID},
};

/*
 * Remove up to max_rows expired keys of any user, oldest first, skipping
 * those another transaction holds; returns how many. Inside the caller's
 * SPI connection.
 */
int64
finote_idempotency_sweep(int max_rows)
{
	return finote_exec(&q_sweep, (Datum[]){Int32GetDatum(max_rows)}, NULL);
}

/* The key argument: 1 to 255 bytes of visible ASCII, or 22023. */
static text *
key_arg(FunctionCallInfo fcinfo)
{
	text	   *key;
	const char *p;
	int			n;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_MISSING_INPUT),
				 errmsg("idempotency key is required")));
	key = PG_GETARG_TEXT_PP(1);
	p = VARDATA_ANY(key);
	n = VARSIZE_ANY_EXHDR(key);
	for (int i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			n = 0;
	if (n < 1 || n > KEY_MAX_BYTES)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("idempotency key must be 1 to %d visible ASCII characters",
						KEY_MAX_BYTES)));
	return key;
}

/* BLAKE2b-256 of the request's name (method and route), a NUL, its body. */
static bytea *
request_hash(FunctionCallInfo fcinfo)
{
	crypto_generichash_state st;
	text					*request;
	bytea					*out = palloc(VARHDRSZ + REQUEST_BYTES);

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_MISSING_INPUT),
				 errmsg("request is required")));
	request = PG_GETARG_TEXT_PP(2);
	crypto_generichash_init(&st, NULL, 0, REQUEST_BYTES);
	crypto_generichash_update(&st, (const unsigned char *) VARDATA_ANY(request),
							  VARSIZE_ANY_EXHDR(request));
	crypto_generichash_update(&st, (const unsigned char *) "", 1);
	if (!PG_ARGISNULL(3))
	{
		text *body = PG_GETARG_TEXT_PP(3);

		crypto_generichash_update(&st, (const unsigned char *) VARDATA_ANY(body),
								  VARSIZE_ANY_EXHDR(body));
	}
	SET_VARSIZE(out, VARHDRSZ + REQUEST_BYTES);
	crypto_generichash_final(&st, (unsigned char *) VARDATA(out), REQUEST_BYTES);
	return out;
}

/* answer with "replayed": true beside its fields. */
static Datum
replayed(Datum answer)
{
	return DirectFunctionCall2(jsonb_concat, answer,
							   DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"replayed\": true}")));
}

/*
 * idempotency_claim(token, key, request, body) RETURNS jsonb: the answer a
 * committed request with this key gave, with "replayed": true, when request
 * and body are the same; else NULL, with the key reserved for this
 * transaction, whose write must then call idempotency_store.
 */
Datum
finote_idempotency_claim_1_3(PG_FUNCTION_ARGS)
{
	text  *key = key_arg(fcinfo);
	bytea *request = request_hash(fcinfo);
	Datum  user_id;
	Datum  result = (Datum) 0;
	bool   isnull;
	bool   found;

	SPI_connect();
	user_id = finote_session_user_for_write(fcinfo, true);
	if (!DatumGetBool(finote_exec_value(&q_lock, (Datum[]){user_id, PointerGetDatum(key)},
										NULL, &found)))
		ereport(ERROR,
				(errcode(SQLSTATE_IN_USE),
				 errmsg("a request with this idempotency key is still running")));
	finote_idempotency_sweep(FINOTE_SWEEP_ROWS);
	if (finote_exec(&q_find, (Datum[]){user_id, PointerGetDatum(key)}, NULL) > 0)
	{
		bytea *had = DatumGetByteaPP(finote_result_column(0, 1, &isnull));
		Datum  answer = finote_result_column(0, 2, &isnull);

		if (VARSIZE_ANY_EXHDR(had) != REQUEST_BYTES ||
			memcmp(VARDATA_ANY(had), VARDATA(request), REQUEST_BYTES) != 0)
			ereport(ERROR,
					(errcode(SQLSTATE_OTHER),
					 errmsg("this idempotency key was used for another request")));
		if (isnull) /* a claim without its store: cannot commit (store raises) */
			elog(ERROR, "finote: idempotency key without an answer");
		result = SPI_datumTransfer(replayed(answer), false, -1);
	}
	else
	{
		int32 live;
		int32 wait;

		finote_exec(&q_count, (Datum[]){user_id}, NULL);
		live = (int32) DatumGetInt64(finote_result_column(0, 1, &isnull));
		wait = DatumGetInt32(finote_result_column(0, 2, &isnull));
		if (live >= finote_idempotency_keys_max)
			ereport(ERROR,
					(errcode(SQLSTATE_FULL),
					 errmsg("too many idempotency keys in use"),
					 errdetail("Retry after %d seconds.", isnull ? 1 : Max(wait, 1))));
		finote_exec(&q_insert,
					(Datum[]){user_id, PointerGetDatum(key), PointerGetDatum(request),
							  Float8GetDatum(finote_idempotency_key_lifetime)},
					NULL);
	}
	SPI_finish();
	if (result == (Datum) 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/*
 * idempotency_store(token, key, answer) RETURNS jsonb: keep answer with the
 * key this transaction claimed, and return it. Without that claim (another
 * transaction's key, or none) it is an error, so that a statement that
 * skipped the claim cannot commit a write under a key.
 */
Datum
finote_idempotency_store_1_3(PG_FUNCTION_ARGS)
{
	text *key = key_arg(fcinfo);
	Datum user_id;
	int	  stored;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_MISSING_INPUT),
				 errmsg("answer is required")));
	SPI_connect();
	user_id = finote_session_user_for_write(fcinfo, false);
	stored = finote_exec(&q_store, (Datum[]){user_id, PointerGetDatum(key), PG_GETARG_DATUM(2)},
						 NULL);
	SPI_finish();
	if (stored != 1)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("idempotency key was not claimed by this transaction")));
	PG_RETURN_DATUM(PG_GETARG_DATUM(2));
}
