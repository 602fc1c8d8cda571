/*
 * attempts.c
 *	  Attempt budgets (1.1.3): logins per account and client address, and
 *	  registrations per client address, kept in finote.attempts so that they
 *	  hold across any number of HTTP shims.
 *
 * Each budgeted attempt is reserved before its work is done (the argon2id
 * hash), by a short-lived background worker in a transaction of its own: the
 * attempt's own transaction rolls back when the attempt fails, and would take
 * the reservation with it. The worker locks the rows of all the attempt's
 * keys, in key order, and either counts the attempt against every key or
 * refuses it; concurrent attempts therefore cannot overshoot a budget. A
 * successful login gives its reservation back through the same worker, so
 * that the caller's transaction never holds a lock on finote.attempts that a
 * later attempt's worker would wait for.
 *
 * A key allows `limit` attempts; after that, each further one must wait for
 * a delay that starts at 30 seconds and doubles with each attempt, up to the
 * window: growing delays, not a lockout. An idle key (no attempt for a whole
 * window) is forgotten. The account key, which counts attempts from every
 * address, is instead forgotten a window after its first attempt, so that
 * one address, held to its own budget, cannot keep it growing forever.
 *
 * The worker's statements run as finote_throttle, a role that can only touch
 * this table (created by the 1.1.3 script), with search_path pinned and every
 * name qualified: it runs outside the API functions' SET clause.
 *
 * That is the 1.1.3 to 1.2.1 way (FINOTE_BUDGET_WORKER), kept for databases
 * at those versions. From 1.2.2 (FINOTE_BUDGET_SERVER) the same keys, rows
 * and delays are kept by the long-lived attempt server of attempt_server.c,
 * which counts failures only and starts no process per login.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/guc.h"
#include "utils/inet.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PGDLLEXPORT void finote_attempt_worker_main(Datum main_arg);

static void
add_key(FinoteAttempts *req, const char *kind, const char *a, const char *b,
		int limit, int window, bool fixed)
{
	FinoteAttemptKey *k = &req->keys[req->nkeys++];

	snprintf(k->key, sizeof(k->key), "%s:%s%s%s", kind, a, b ? " " : "", b ? b : "");
	k->limit = limit;
	k->window = window;
	k->fixed = fixed;
}

/* The username as the throttle keys it: lower-cased. */
static char *
username_key(text *username)
{
	return str_tolower(VARDATA_ANY(username), VARSIZE_ANY_EXHDR(username),
					   DEFAULT_COLLATION_OID);
}

/*
 * The client address as the budgets key it: an IPv4 address, or the /64 of
 * an IPv6 one (one host commonly has a whole /64). NULL for no address.
 */
static char *
address_key(Datum addr, bool isnull)
{
	if (isnull)
		return NULL;
	if (ip_family(DatumGetInetPP(addr)) == PGSQL_AF_INET6)
		addr = DirectFunctionCall1(network_network,
								   DirectFunctionCall2(inet_set_masklen, addr,
													   Int32GetDatum(64)));
	return TextDatumGetCString(DirectFunctionCall1(network_host, addr));
}

void
finote_attempts_login_keys(FinoteAttempts *a, FinoteBudget budget, text *username,
						   bool name_valid, Datum addr, bool addr_isnull)
{
	char *addr_key = address_key(addr, addr_isnull);

	memset(a, 0, sizeof(*a));
	a->server = budget == FINOTE_BUDGET_SERVER;
	if (name_valid)
	{
		char *user = username_key(username);

		/* With no address, every address-less attempt shares one pair key. */
		add_key(a, "login", user, addr_key ? addr_key : "", finote_login_max_failures,
				finote_login_failure_window, false);
		add_key(a, "account", user, NULL, finote_login_account_max_failures,
				finote_login_failure_window, true);
	}
	if (addr_key)
		add_key(a, "address", addr_key, NULL, finote_login_address_max_failures,
				finote_login_failure_window, false);
}

/*
 * Registrations are budgeted per address only when the caller gives one: the
 * calls of shims older than 1.1.3 have none, and must not share one budget.
 */
void
finote_attempts_register_keys(FinoteAttempts *a, FinoteBudget budget, Datum addr,
							  bool addr_isnull)
{
	char *addr_key = address_key(addr, addr_isnull);

	memset(a, 0, sizeof(*a));
	a->server = budget == FINOTE_BUDGET_SERVER;
	a->every = true;
	if (addr_key)
		add_key(a, "register", addr_key, NULL, finote_register_max_per_address,
				finote_register_window, false);
}

/*
 * Run the worker on a and wait for it; returns whether it committed. Every
 * step of the worker is in its own transaction, and it never waits for a
 * row lock held by the caller's transaction (which may be this one's): the
 * caller writes nothing to finote.attempts itself.
 */
static bool
run_worker(FinoteAttempts *a)
{
	dsm_segment	   *seg;
	FinoteAttempts *req;
	Oid				role = get_role_oid("finote_throttle", true);
	bool			done;

	if (!OidIsValid(role))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"finote_throttle\" does not exist"),
				 errhint("ALTER EXTENSION finote UPDATE creates it.")));

	seg = dsm_create(sizeof(FinoteAttempts), 0);
	req = dsm_segment_address(seg);
	memcpy(req, a, sizeof(FinoteAttempts));
	req->dbid = MyDatabaseId;
	req->ownerid = GetUserId(); /* the API function's owner: it may connect */
	req->roleid = role;
	req->done = false;

	if (!finote_run_worker("finote_attempt_worker_main", "finote attempt budget",
						   UInt32GetDatum(dsm_segment_handle(seg)), NULL, 0))
	{
		dsm_detach(seg);
		return false;
	}
	done = req->done;
	a->wait = req->wait;
	dsm_detach(seg);
	return done;
}

/*
 * Reserve one attempt against every key of a, or raise PT429 with the wait.
 * what names the attempts in the message ("failed login attempts"). With no
 * worker slot free, or a worker that failed, the attempt is refused: refusing
 * is safe, letting an attempt through uncounted is not. From 1.2.2 the
 * attempt server decides, and a login's attempt is then in flight until
 * finote_attempts_refund or finote_attempts_failed.
 */
void
finote_attempts_reserve(FinoteAttempts *a, const char *what)
{
	if (a->nkeys == 0)
		return;
	a->refund = false;
	if (a->server)
		a->wait = finote_attempt_server_ask(a);
	else if (!run_worker(a))
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_THROTTLED),
				 errmsg("too many %s, try again later", what),
				 errdetail("Retry after 1 seconds."),
				 errhint("The attempt could not be counted (max_worker_processes, or the server log).")));
	if (a->wait > 0)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_THROTTLED),
				 errmsg("too many %s, try again later", what),
				 errdetail("Retry after %d seconds.", a->wait)));
}

/*
 * A successful login: the username's keys start over, and the address gets
 * its reservation back (an attacker's own account must not reset the
 * address's budget). Best effort: a refund that finds no worker slot only
 * leaves the attempt counted. From 1.2.2 nothing was counted for the
 * attempt: the server only clears the username's keys.
 */
void
finote_attempts_refund(FinoteAttempts *a)
{
	if (a->nkeys == 0)
		return;
	if (a->server)
	{
		finote_attempt_server_outcome(true);
		return;
	}
	a->refund = true;
	if (!run_worker(a))
		ereport(WARNING,
				(errmsg("finote: a successful login could not give its attempt back")));
}

/*
 * A failed attempt, before its error is raised. 1.1.3's reservation counts
 * already; from 1.2.2 the server counts it now, in a transaction of its own.
 */
void
finote_attempts_failed(FinoteAttempts *a)
{
	if (a->nkeys > 0 && a->server)
		finote_attempt_server_outcome(false);
}

static void
worker_refund(FinoteAttempts *req)
{
	static FinoteQuery q = {
		.sql = "WITH cleared AS ("
			   "  DELETE FROM finote.attempts"
			   "   WHERE key OPERATOR(pg_catalog.=) ANY ($1)"
			   "     AND key OPERATOR(pg_catalog.<>) $2)"
			   " UPDATE finote.attempts"
			   "    SET attempts = GREATEST(attempts OPERATOR(pg_catalog.-) 1, 0)"
			   "  WHERE key OPERATOR(pg_catalog.=) $2",
		.nargs = 2,
		.argtypes = {TEXTARRAYOID, TEXTOID},
	};
	Datum keys[FINOTE_ATTEMPT_KEYS];
	char *address = "";

	for (int i = 0; i < req->nkeys; i++)
	{
		keys[i] = CStringGetTextDatum(req->keys[i].key);
		if (strncmp(req->keys[i].key, "address:", 8) == 0)
			address = req->keys[i].key;
	}
	finote_exec(&q,
				(Datum[]){PointerGetDatum(construct_array(keys, req->nkeys, TEXTOID, -1,
														  false, TYPALIGN_INT)),
						  CStringGetTextDatum(address)},
				NULL);
}

static void
worker_decide(FinoteAttempts *req)
{
	finote_attempts_purge();
	req->wait = finote_attempts_count(req, true);
}

void
finote_attempt_worker_main(Datum main_arg)
{
	dsm_segment	   *seg;
	FinoteAttempts *req;

	BackgroundWorkerUnblockSignals();
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		proc_exit(1); /* the requesting backend is gone */
	req = dsm_segment_address(seg);
	BackgroundWorkerInitializeConnectionByOid(req->dbid, req->ownerid, 0);

	/*
	 * Outside the API functions' SET clause: pin search_path before any SQL
	 * (every name below is qualified as well). Do not wait long for a row
	 * lock: the backend that waits for this worker may hold it itself.
	 */
	SetConfigOption("search_path", FINOTE_SAFE_SEARCH_PATH, PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "2s", PGC_SUSET, PGC_S_OVERRIDE);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();

	/*
	 * Connected as the owner (a NOLOGIN role cannot connect), run every
	 * statement as finote_throttle, in a security-restricted operation as
	 * autovacuum does for index functions: no SET ROLE back to the owner.
	 * The role must not be able to grant itself anything.
	 */
	if (superuser_arg(req->roleid) || has_createrole_privilege(req->roleid) ||
		has_bypassrls_privilege(req->roleid))
		elog(ERROR, "finote: role \"finote_throttle\" has more rights than it may have");
	SetUserIdAndSecContext(req->roleid, SECURITY_RESTRICTED_OPERATION);
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "finote: counting an attempt");
	if (req->refund)
		worker_refund(req);
	else
		worker_decide(req);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	req->done = true;
	pgstat_report_activity(STATE_IDLE, NULL);
	dsm_detach(seg);
	proc_exit(0);
}
