/*
 * throttle.c
 *	  Login throttling, kept in the database so that it holds across any
 *	  number of HTTP shims.
 *
 * A failed login raises an error, and that error rolls back the failing
 * login's own transaction: a failure written there would vanish with it.
 * So each failure is written by a short-lived background worker in a
 * transaction of its own (an autonomous transaction), and the login waits
 * for it before raising. Dynamic workers need no shared_preload_libraries.
 * Throttled attempts are not recorded, so a flood cannot extend the window,
 * and successful logins need no worker at all.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"

/* What the recording worker needs; it travels in bgw_extra. */
typedef struct FailureRecord
{
	Oid	  roleid;
	int32 window;		/* seconds; the worker purges older rows */
	char  username[64]; /* as typed: usernames are at most 32 chars */
} FailureRecord;

StaticAssertDecl(sizeof(FailureRecord) <= BGW_EXTRALEN,
				 "FailureRecord must fit in bgw_extra");

PGDLLEXPORT void finote_failure_worker_main(Datum main_arg);

/*
 * Raise PT429 when username has used up its failed logins in the window.
 * The detail says when the next attempt is allowed, when the oldest failure
 * that still counts leaves the window: "Retry after N seconds." (the HTTP
 * shim sends N as Retry-After).
 */
void
finote_throttle_check(text *username)
{
	static FinoteQuery q = {
		.sql = "SELECT pg_catalog.ceil(EXTRACT(epoch FROM f.failed_at"
			   "       OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => $3)"
			   "       OPERATOR(pg_catalog.-) pg_catalog.now()))::pg_catalog.int4"
			   "  FROM (SELECT failed_at FROM finote.login_failures"
			   "         WHERE username_key OPERATOR(pg_catalog.=) pg_catalog.lower($1)"
			   "           AND failed_at OPERATOR(pg_catalog.>) (pg_catalog.now()"
			   "               OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $3))"
			   "         ORDER BY failed_at DESC OFFSET $2 OPERATOR(pg_catalog.-) 1 LIMIT 1) f",
		.nargs = 3,
		.argtypes = {TEXTOID, INT8OID, FLOAT8OID},
	};
	Datum args[3] = {PointerGetDatum(username),
					 Int64GetDatum(finote_login_max_failures),
					 Float8GetDatum(finote_login_failure_window)};
	bool  found;
	Datum wait = finote_exec_value(&q, args, NULL, &found);

	if (found)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_THROTTLED),
				 errmsg("too many failed login attempts, try again later"),
				 errdetail("Retry after %d seconds.", Max(1, DatumGetInt32(wait))),
				 errhint("Failed logins are counted per username for %d seconds.",
						 finote_login_failure_window)));
}

/* A successful login forgets the username's earlier failures. */
void
finote_throttle_clear(text *username)
{
	static FinoteQuery q = {
		.sql = "DELETE FROM finote.login_failures"
			   " WHERE username_key OPERATOR(pg_catalog.=) pg_catalog.lower($1)",
		.nargs = 1,
		.argtypes = {TEXTOID},
	};
	Datum args[1] = {PointerGetDatum(username)};

	finote_exec(&q, args, NULL);
}

/*
 * Record a failed login for username in its own committed transaction. If no
 * worker slot is free the attempt fails as throttled: refusing a login is
 * safe, not counting a failure is not.
 */
void
finote_throttle_record_failure(text *username)
{
	FailureRecord rec = {0};
	int			  len = Min(VARSIZE_ANY_EXHDR(username), (int) sizeof(rec.username) - 1);

	rec.roleid = GetUserId();
	rec.window = finote_login_failure_window;
	memcpy(rec.username, VARDATA_ANY(username), len);

	if (!finote_run_worker("finote_failure_worker_main", "finote failed-login recorder",
						   ObjectIdGetDatum(MyDatabaseId), &rec, sizeof(rec)))
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_THROTTLED),
				 errmsg("too many failed login attempts, try again later"),
				 errdetail("No background worker slot was free to record the failed attempt (max_worker_processes).")));
}

void
finote_failure_worker_main(Datum main_arg)
{
	FailureRecord rec;
	Datum		  args[2];

	memcpy(&rec, MyBgworkerEntry->bgw_extra, sizeof(rec));
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg),
											  rec.roleid, 0);

	/*
	 * The worker is outside the API functions' SET search_path and has the
	 * database's default one, which may name schemas other roles can create
	 * functions in. Pin it, as the API functions do, before any SQL; the
	 * statement below qualifies every name as well.
	 */
	SetConfigOption("search_path", FINOTE_SAFE_SEARCH_PATH, PGC_SUSET, PGC_S_OVERRIDE);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "finote: recording a failed login");

	args[0] = CStringGetTextDatum(rec.username);
	args[1] = Float8GetDatum(rec.window);
	/* Forget failures that no longer count, for every username. */
	if (SPI_execute_with_args("WITH purged AS ("
							  "  DELETE FROM finote.login_failures"
							  "   WHERE failed_at OPERATOR(pg_catalog.<) (pg_catalog.now()"
							  "         OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $2)))"
							  " INSERT INTO finote.login_failures (username_key)"
							  " VALUES (pg_catalog.lower($1))",
							  2, (Oid[]){TEXTOID, FLOAT8OID}, args, NULL,
							  false, 0) != SPI_OK_INSERT)
		elog(ERROR, "finote: could not record a failed login");

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}
