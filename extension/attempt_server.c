/*
 * attempt_server.c
 *	  The attempt budgets of 1.2.2: attempts in flight in a mailbox in
 *	  shared memory, and one long-lived background worker per database, the
 *	  attempt server, that writes finote.attempts. A login starts no process.
 *
 * 1.1.3 reserved each attempt in a short-lived worker of its own (a process
 * start and a commit) and gave a successful login's reservation back through
 * a second one: two process starts per login, about twice the argon2id hash
 * it guards. And since a reservation counted as a failure until it was given
 * back, concurrent logins with the right password used up the budget and
 * were refused (issue 25). Here:
 *
 * - An attempt in flight is a slot of the mailbox in state GRANTED, holding
 *   its keys: shared memory, outside any transaction. The budgets count
 *   failures only: a login may go on when, even if every attempt in flight
 *   on one of its keys failed, that key would not pass its budget (it has
 *   fewer failures than the budget, or none is in flight). Otherwise it
 *   waits, bounded by ANSWER_WAIT_MS, for those attempts to end. So
 *   concurrent attempts never overshoot, and an attempt with the right
 *   password is never refused for attempts that have not failed. A delay
 *   that runs (finote.attempts.blocked_until) refuses at once, as in 1.1.3.
 * - The backend decides a login itself, under slots_lock, from the keys'
 *   rows (read with a fresh snapshot) and the slots in flight: a login that
 *   succeeds, on keys without rows, never involves another process. gen
 *   makes the decision exact: the server bumps it, under slots_lock, each
 *   time it ends attempts whose failures it has just committed, and a
 *   decision whose rows were read before such a bump is made again.
 * - Failures and the rest are written by the attempt server, one long-lived
 *   worker per database, the only writer of finote.attempts: a wrong
 *   password is handed to it (FAILED) and the backend waits for the commit
 *   before raising 28P01; an attempt that ends without a result (the
 *   attempt's transaction rolls back: a cancel, a timeout, an exit) is
 *   turned into a failure by an abort callback, so the reservation survives
 *   the rollback; a success whose username keys have rows has them cleared
 *   (SUCCEEDED); registrations, which count every attempt, are counted by
 *   it at once (ASK), as in 1.1.3. A login makes sure a server runs before
 *   it goes on, and the server does not leave while attempts are in
 *   flight. It runs its statements as finote_throttle, with search_path
 *   pinned, like the 1.1.3 worker, and never waits long for a lock a client
 *   holds (lock_timeout).
 *
 * Options left (test/bench/FINDINGS.md, section 16): the server deciding
 * every login (a round trip to another process per login: under load each
 * hop waits for the scheduler, 1.16-1.22 times the 1.1.2 login measured);
 * a failure path that commits its count without raising (the SQLSTATE reaching the caller some
 * other way) changes the SQL API that every client relies on; counting in
 * shared memory alone loses every budget at a restart and on a standby
 * promoted after a failover (here the rows stay the truth; only attempts in
 * flight are in shared memory, and a restart ends those anyway); shm_mq
 * moves byte streams between one sender and one receiver and must be set
 * up per pair, where every message here is one fixed-size record from one
 * of many backends to one server: a slot per backend and an atomic state
 * word are the whole protocol.
 *
 * finote is not in shared_preload_libraries (docker/, debian/ and make run
 * do not put it there), so the mailbox cannot be sized at startup: it is a
 * dynamic shared memory segment, pinned for the life of the cluster, and
 * the first backend that needs it creates it and records its handle in a
 * few bytes of the main segment (ShmemInitStruct after startup takes them
 * from the space the postmaster leaves for such small structures). The
 * server is a dynamic worker started by the first attempt that finds none;
 * it exits after IDLE_EXIT_MS without attempts, so that DROP DATABASE, which
 * waits 5 seconds for the database's sessions, finds it gone. While it runs
 * it holds one worker slot (max_worker_processes) per database; when no slot
 * is free to start it the attempt fails with 53000 (HTTP 503, Retry-After).
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#if PG_VERSION_NUM >= 170000
#define MY_PROCNO MyProcNumber
#else
#define MY_PROCNO (MyProc->pgprocno)
#endif

#define SERVER_DATABASES 16	   /* databases with a server at once */
#define ANSWER_WAIT_MS	 10000 /* longest wait of an attempt for its answer */
#define POLL_MS			 100   /* how often a waiting backend checks the server lives */
#define IDLE_EXIT_MS	 2000  /* the server exits after this long without attempts */
#define START_STALE_MS	 3000  /* a start no server followed is forgotten after this */

/*
 * A slot's state says who owns it. The backend owns FREE, REFUSED, DONE and
 * GRANTED; the server owns ASK, SUCCEEDED and FAILED. Whoever owns a slot
 * writes its state; a backend takes back an ASK by compare-and-exchange.
 * GRANTED, SUCCEEDED and FAILED are attempts in flight: they count against
 * their keys' budgets until they end (FREE) or the server has recorded them
 * (DONE). A slot becomes GRANTED, and the server ends failures, only under
 * slots_lock.
 */
enum
{
	SLOT_FREE,
	SLOT_ASK,		/* keys written: count them (registrations) or refuse */
	SLOT_GRANTED,	/* the attempt runs */
	SLOT_REFUSED,	/* req.wait says how long to wait */
	SLOT_SUCCEEDED, /* a login succeeded: clear the username's keys */
	SLOT_FAILED,	/* it failed, or ended without a result: count it */
	SLOT_DONE		/* recorded (or, for every-attempt keys, counted) */
};

typedef struct Slot
{
	pg_atomic_uint32 state;
	uint64			 seq; /* order of arrival: first asked, first decided */
	Oid				 dbid;
	bool			 clear; /* granted: a success has username keys to clear */
	FinoteAttempts	 req;
} Slot;

typedef struct Server
{
	Oid			dbid;	  /* InvalidOid: unused */
	pid_t		pid;	  /* 0: no server runs */
	int			procno;	  /* its PGPROC, whose latch wakes it */
	TimestampTz starting; /* 0, or when a backend started one */
} Server;

/* The dynamic shared memory segment: one slot per PGPROC of a backend. */
typedef struct Mailbox
{
	LWLock			  lock;		  /* for servers[] */
	LWLock			  slots_lock; /* for decisions, see above */
	uint64			  gen;		  /* bumped as the server ends failures it committed */
	ConditionVariable resolved;	  /* broadcast as attempts in flight end */
	int				  tranche;
	int				  nslots;
	pg_atomic_uint64  next_seq;
	Server			  servers[SERVER_DATABASES];
	Slot			  slots[FLEXIBLE_ARRAY_MEMBER];
} Mailbox;

/*
 * Where backends find it: in the main shared memory, by name. The pinned
 * segment outlives a library update (a new package on a running cluster):
 * the name carries the layout's sizes, so that a library never reads
 * another layout.
 */
#define MAILBOX_NAME "finote attempt mailbox %zu/%zu"
typedef struct MailboxRef
{
	dsm_handle handle;
} MailboxRef;

/* What the server needs besides its database (bgw_main_arg). */
typedef struct ServerArgs
{
	Oid ownerid; /* the API functions' owner: it may connect */
	Oid roleid;	 /* finote_throttle */
} ServerArgs;

PGDLLEXPORT void finote_attempt_server_main(Datum main_arg);

static Mailbox *mailbox;
static bool		in_flight; /* this backend's slot holds an attempt of its own */
static bool		callbacks_set;

static Mailbox *
mailbox_attach(void)
{
	MailboxRef	*ref;
	dsm_segment *seg;
	bool		 found;
	char		 name[64];

	if (mailbox)
		return mailbox;
	snprintf(name, sizeof(name), MAILBOX_NAME, offsetof(Mailbox, slots), sizeof(Slot));
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ref = ShmemInitStruct(name, sizeof(MailboxRef), &found);
	if (!found)
		ref->handle = DSM_HANDLE_INVALID;
	if (ref->handle == DSM_HANDLE_INVALID)
	{
		Size	 size = add_size(offsetof(Mailbox, slots), mul_size(MaxBackends, sizeof(Slot)));
		Mailbox *mb;

		seg = dsm_create(size, 0);
		mb = dsm_segment_address(seg);
		memset(mb, 0, size);
		mb->tranche = LWLockNewTrancheId();
		LWLockInitialize(&mb->lock, mb->tranche);
		LWLockInitialize(&mb->slots_lock, mb->tranche);
		ConditionVariableInit(&mb->resolved);
		mb->nslots = MaxBackends;
		pg_atomic_init_u64(&mb->next_seq, 0);
		for (int i = 0; i < mb->nslots; i++)
			pg_atomic_init_u32(&mb->slots[i].state, SLOT_FREE);
		dsm_pin_segment(seg);
		ref->handle = dsm_segment_handle(seg);
	}
	else if ((seg = dsm_attach(ref->handle)) == NULL)
		elog(ERROR, "finote: could not attach to the attempt mailbox");
	LWLockRelease(AddinShmemInitLock);
	dsm_pin_mapping(seg);
	mailbox = dsm_segment_address(seg);
	LWLockRegisterTranche(mailbox->tranche, "finote_attempts");
	return mailbox;
}

/* The server entry of dbid; with claim, a free one is taken for it. */
static Server *
server_entry(Oid dbid, bool claim)
{
	Server *unused = NULL;

	for (int i = 0; i < SERVER_DATABASES; i++)
	{
		Server *s = &mailbox->servers[i];

		if (s->dbid == dbid)
			return s;
		if (!unused && (s->dbid == InvalidOid || (s->pid == 0 && s->starting == 0)))
			unused = s;
	}
	if (!claim || !unused)
		return NULL;
	unused->dbid = dbid;
	unused->pid = 0;
	unused->starting = 0;
	return unused;
}

static void
wake(int procno)
{
	SetLatch(&GetPGProcByNumber(procno)->procLatch);
}

static void
raise_busy(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
			 errmsg("the login attempt could not be counted: %s", why),
			 errdetail("Retry after 1 seconds.")));
}

/*
 * Make sure this database's server runs, starting it if none does (without
 * waiting for it: a login goes on meanwhile); with nudge, also set its
 * latch. Raises 53000 when no worker slot is free to start it.
 */
static void
server_ensure(bool nudge)
{
	ServerArgs				args;
	Server				   *s;
	int						procno = -1;
	bool					start = false;
	TimestampTz				now;
	BackgroundWorkerHandle *handle;

	LWLockAcquire(&mailbox->lock, LW_SHARED);
	s = server_entry(MyDatabaseId, false);
	if (s && s->pid != 0)
		procno = s->procno;
	LWLockRelease(&mailbox->lock);
	if (procno >= 0)
	{
		if (nudge)
			wake(procno);
		return;
	}

	now = GetCurrentTimestamp();
	LWLockAcquire(&mailbox->lock, LW_EXCLUSIVE);
	s = server_entry(MyDatabaseId, true);
	if (s && s->pid == 0 &&
		(s->starting == 0 || TimestampDifferenceExceeds(s->starting, now, START_STALE_MS)))
	{
		s->starting = now;
		start = true;
	}
	LWLockRelease(&mailbox->lock);
	if (!s)
		raise_busy("too many databases use the attempt server at once");
	if (!start)
		return;

	args.ownerid = GetUserId();
	args.roleid = get_role_oid("finote_throttle", true);
	if (!OidIsValid(args.roleid) ||
		!finote_start_worker("finote_attempt_server_main", "finote attempt server",
							 ObjectIdGetDatum(MyDatabaseId), &args, sizeof(args), &handle))
	{
		LWLockAcquire(&mailbox->lock, LW_EXCLUSIVE);
		s->starting = 0;
		LWLockRelease(&mailbox->lock);
		if (!OidIsValid(args.roleid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("role \"finote_throttle\" does not exist"),
					 errhint("ALTER EXTENSION finote UPDATE creates it.")));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("the login attempt could not be counted: no background worker slot is free"),
				 errdetail("Retry after 1 seconds."),
				 errhint("The attempt server of each database that uses finote needs one (max_worker_processes).")));
	}
}

/*
 * Wait until slot is no longer in state from, or deadline passes; returns
 * the state it is in then. Every POLL_MS it checks that a server runs.
 */
static uint32
await_change(Slot *slot, uint32 from, TimestampTz deadline)
{
	for (;;)
	{
		uint32 st = pg_atomic_read_u32(&slot->state);

		if (st != from || GetCurrentTimestamp() >= deadline)
		{
			pg_read_barrier();
			return st;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, POLL_MS,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		server_ensure(false);
	}
}

static Slot *
my_slot(void)
{
	if (MY_PROCNO < 0 || MY_PROCNO >= mailbox->nslots)
		elog(ERROR, "finote: process %d has no attempt slot", MY_PROCNO);
	return &mailbox->slots[MY_PROCNO];
}

/*
 * An attempt that ends without a result (its transaction or subtransaction
 * aborts, or the backend exits) counts as failed: a cancel after the hash
 * must not be a free guess. Nothing here may fail.
 */
static void
abandon_attempt(void)
{
	Slot   *slot;
	uint32	expected = SLOT_ASK;
	Server *s;

	if (!in_flight)
		return;
	in_flight = false;
	slot = &mailbox->slots[MY_PROCNO];
	if (pg_atomic_compare_exchange_u32(&slot->state, &expected, SLOT_FREE))
		return; /* not granted yet: nothing to count */
	if (expected == SLOT_GRANTED)
		(void) pg_atomic_exchange_u32(&slot->state, SLOT_FAILED);
	s = server_entry(MyDatabaseId, false);
	if (s && s->pid != 0)
		wake(s->procno);
}

static void
xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		abandon_attempt();
}

static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid,
				 void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		abandon_attempt();
}

static void
exit_callback(int code, Datum arg)
{
	abandon_attempt();
}

static bool
slot_has_key(const Slot *slot, const char *key)
{
	for (int i = 0; i < slot->req.nkeys; i++)
		if (strcmp(slot->req.keys[i].key, key) == 0)
			return true;
	return false;
}

/* Attempts in flight on key in this database (slots_lock held). */
static int
in_flight_on(const char *key)
{
	int n = 0;

	for (int i = 0; i < mailbox->nslots; i++)
	{
		Slot  *slot = &mailbox->slots[i];
		uint32 st = pg_atomic_read_u32(&slot->state);

		if ((st == SLOT_GRANTED || st == SLOT_SUCCEEDED || st == SLOT_FAILED) &&
			slot->dbid == MyDatabaseId && slot_has_key(slot, key))
			n++;
	}
	return n;
}

/* A registration: the server counts it, or refuses it. */
static int32
ask_server(Slot *slot, const FinoteAttempts *a, TimestampTz deadline)
{
	uint32 st;
	uint32 expected = SLOT_ASK;

	slot->dbid = MyDatabaseId;
	slot->seq = pg_atomic_fetch_add_u64(&mailbox->next_seq, 1);
	memcpy(&slot->req, a, sizeof(FinoteAttempts));
	slot->req.wait = 0;
	in_flight = true;
	(void) pg_atomic_exchange_u32(&slot->state, SLOT_ASK);
	server_ensure(true);

	st = await_change(slot, SLOT_ASK, deadline);
	if (st == SLOT_ASK && pg_atomic_compare_exchange_u32(&slot->state, &expected, SLOT_FREE))
	{
		in_flight = false;
		raise_busy("the attempt server did not answer in time");
	}
	in_flight = false;
	st = pg_atomic_read_u32(&slot->state);
	pg_read_barrier();
	return st == SLOT_REFUSED ? Max(slot->req.wait, 1) : 0;
}

/*
 * A login (failures-only keys), decided here: refused with the wait a
 * running delay imposes, granted (the slot GRANTED: in flight), or, while
 * attempts in flight could take a key past its budget, waited for.
 */
static int32
ask_self(Slot *slot, const FinoteAttempts *a, TimestampTz deadline)
{
	static FinoteQuery q_rows = {
		.sql = "SELECT key, attempts, blocked_until, expires_at FROM finote.attempts"
			   " WHERE key OPERATOR(pg_catalog.=) ANY ($1)",
		.nargs = 1,
		.argtypes = {TEXTARRAYOID},
	};
	Datum keys[FINOTE_ATTEMPT_KEYS];
	Datum keyarray;

	for (int k = 0; k < a->nkeys; k++)
		keys[k] = CStringGetTextDatum(a->keys[k].key);
	keyarray = PointerGetDatum(construct_array(keys, a->nkeys, TEXTOID, -1, false, TYPALIGN_INT));
	ConditionVariablePrepareToSleep(&mailbox->resolved);
	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		uint64		gen;
		int			nrows;
		int32		wait = 0;
		int32		failures[FINOTE_ATTEMPT_KEYS] = {0};
		bool		clear = false;
		bool		go = true;

		/*
		 * A server must run before the attempt goes on: its failure, or its
		 * end without a result, is recorded by it. (It does not exit while
		 * an attempt is in flight.)
		 */
		server_ensure(false);
		LWLockAcquire(&mailbox->slots_lock, LW_SHARED);
		gen = mailbox->gen;
		LWLockRelease(&mailbox->slots_lock);
		nrows = finote_exec_latest(&q_rows, &keyarray, NULL);
		for (int r = 0; r < nrows; r++)
		{
			bool  isnull;
			char *key = TextDatumGetCString(finote_result_column(r, 1, &isnull));

			for (int k = 0; k < a->nkeys; k++)
				if (strcmp(key, a->keys[k].key) == 0)
				{
					wait = Max(wait, finote_attempts_row_wait(
										 now, DatumGetInt32(finote_result_column(r, 2, &isnull)),
										 DatumGetTimestampTz(finote_result_column(r, 3, &isnull)),
										 DatumGetTimestampTz(finote_result_column(r, 4, &isnull)),
										 &failures[k]));
					/* A success has username keys to clear: the server does it. */
					clear |= strncmp(key, "address:", 8) != 0;
				}
		}

		LWLockAcquire(&mailbox->slots_lock, LW_EXCLUSIVE);
		if (mailbox->gen != gen)
		{
			/* Failures were committed meanwhile: read the rows again. */
			LWLockRelease(&mailbox->slots_lock);
			if (now >= deadline)
				raise_busy("the login attempts in flight did not end in time");
			continue;
		}
		for (int k = 0; wait == 0 && k < a->nkeys; k++)
		{
			int flying = in_flight_on(a->keys[k].key);

			if (flying > 0 && failures[k] + flying >= a->keys[k].limit)
				go = false;
		}
		if (wait == 0 && go)
		{
			slot->dbid = MyDatabaseId;
			memcpy(&slot->req, a, sizeof(FinoteAttempts));
			slot->clear = clear;
			in_flight = true;
			(void) pg_atomic_exchange_u32(&slot->state, SLOT_GRANTED);
		}
		LWLockRelease(&mailbox->slots_lock);
		if (wait > 0 || go)
		{
			ConditionVariableCancelSleep();
			return wait;
		}
		if (now >= deadline)
		{
			ConditionVariableCancelSleep();
			raise_busy("the login attempts in flight did not end in time");
		}
		(void) ConditionVariableTimedSleep(&mailbox->resolved, POLL_MS, PG_WAIT_EXTENSION);
	}
}

/*
 * Ask for an attempt with a's keys. Returns the wait when it is refused, 0
 * when it may go on: then, for failures-only keys (logins), the attempt is
 * in flight until finote_attempt_server_outcome. Raises 53000 when it
 * cannot be decided (no worker slot to start the server, or no answer
 * within ANSWER_WAIT_MS).
 */
int32
finote_attempt_server_ask(const FinoteAttempts *a)
{
	Slot	   *slot;
	uint32		st;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ANSWER_WAIT_MS);

	mailbox_attach();
	if (!callbacks_set)
	{
		RegisterXactCallback(xact_callback, NULL);
		RegisterSubXactCallback(subxact_callback, NULL);
		before_shmem_exit(exit_callback, (Datum) 0);
		callbacks_set = true;
	}
	slot = my_slot();

	/* An earlier attempt of this process that was cut short may not be recorded yet. */
	st = pg_atomic_read_u32(&slot->state);
	if (st == SLOT_SUCCEEDED || st == SLOT_FAILED)
	{
		server_ensure(true);
		st = await_change(slot, st, deadline);
	}
	if (st != SLOT_FREE && st != SLOT_REFUSED && st != SLOT_DONE)
		raise_busy("the attempt server did not answer in time");
	return a->every ? ask_server(slot, a, deadline) : ask_self(slot, a, deadline);
}

/*
 * The end of a login in flight. A success with no row to clear (the common
 * login) just ends it. A failure, or a success with username keys to clear,
 * goes to the server, and the backend waits for its commit, so that what
 * the caller answers next is already in finote.attempts; past
 * ANSWER_WAIT_MS it returns anyway, and the attempt stays in flight (it
 * counts) until a server records it.
 */
void
finote_attempt_server_outcome(bool succeeded)
{
	Slot  *slot;
	uint32 st = succeeded ? SLOT_SUCCEEDED : SLOT_FAILED;

	if (!in_flight)
		return;
	slot = my_slot();
	in_flight = false;
	if (succeeded && !slot->clear)
	{
		(void) pg_atomic_exchange_u32(&slot->state, SLOT_FREE);
		ConditionVariableBroadcast(&mailbox->resolved);
		return;
	}
	(void) pg_atomic_exchange_u32(&slot->state, st);
	server_ensure(true);
	(void) await_change(slot, st,
						TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ANSWER_WAIT_MS));
}

/* ---- the server ---- */

static Oid		   server_role;
static TimestampTz last_purge; /* expired rows are purged at most once a second */
static Oid		   saved_user;
static int		   saved_sec;

static void
txn_begin(const char *what)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();

	/*
	 * Connected as the owner (a NOLOGIN role cannot connect), run every
	 * statement as finote_throttle, in a security-restricted operation, as
	 * the 1.1.3 worker does. Checked at each transaction: the server lives on
	 * while roles change.
	 */
	if (superuser_arg(server_role) || has_createrole_privilege(server_role) ||
		has_bypassrls_privilege(server_role))
		elog(ERROR, "finote: role \"finote_throttle\" has more rights than it may have");
	GetUserIdAndSecContext(&saved_user, &saved_sec);
	SetUserIdAndSecContext(server_role, saved_sec | SECURITY_RESTRICTED_OPERATION);
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, what);
}

static void
txn_end(void)
{
	SPI_finish();
	PopActiveSnapshot();
	SetUserIdAndSecContext(saved_user, saved_sec);
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* The slots of this database in state st, in order of arrival. */
static int
slot_cmp(const void *a, const void *b)
{
	uint64 x = mailbox->slots[*(const int *) a].seq;
	uint64 y = mailbox->slots[*(const int *) b].seq;

	return x < y ? -1 : x > y;
}

static int
collect(uint32 st1, uint32 st2, int *out)
{
	int n = 0;

	for (int i = 0; i < mailbox->nslots; i++)
	{
		uint32 st = pg_atomic_read_u32(&mailbox->slots[i].state);

		if ((st == st1 || st == st2) && mailbox->slots[i].dbid == MyDatabaseId)
			out[n++] = i;
	}
	pg_read_barrier();
	qsort(out, n, sizeof(int), slot_cmp);
	return n;
}

/* A successful login: the username's keys start over; the address keeps its count. */
static void
clear_username_keys(const FinoteAttempts *req)
{
	static FinoteQuery q = {
		.sql = "DELETE FROM finote.attempts WHERE key OPERATOR(pg_catalog.=) ANY ($1)",
		.nargs = 1,
		.argtypes = {TEXTARRAYOID},
	};
	Datum keys[FINOTE_ATTEMPT_KEYS];
	int	  n = 0;

	for (int i = 0; i < req->nkeys; i++)
		if (strncmp(req->keys[i].key, "address:", 8) != 0)
			keys[n++] = CStringGetTextDatum(req->keys[i].key);
	if (n > 0)
		finote_exec(&q,
					(Datum[]){PointerGetDatum(construct_array(keys, n, TEXTOID, -1, false,
															  TYPALIGN_INT))},
					NULL);
}

/* Bounded, and at most once a second: expired rows cost only space. */
static void
purge(void)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	if (TimestampDifferenceExceeds(last_purge, now, 1000))
	{
		finote_attempts_purge();
		last_purge = now;
	}
}

/*
 * Record the outcomes handed over, in one transaction; then end them, under
 * slots_lock with gen bumped, so that a login deciding meanwhile reads its
 * keys' rows again (see the top). Returns how many.
 */
static int
record_outcomes(int *idx)
{
	int n = collect(SLOT_SUCCEEDED, SLOT_FAILED, idx);

	if (n == 0)
		return 0;
	txn_begin("finote: recording login attempts");
	purge();
	for (int i = 0; i < n; i++)
	{
		Slot *slot = &mailbox->slots[idx[i]];

		if (pg_atomic_read_u32(&slot->state) == SLOT_FAILED)
			(void) finote_attempts_count(&slot->req, false);
		else
			clear_username_keys(&slot->req);
	}
	txn_end();
	LWLockAcquire(&mailbox->slots_lock, LW_EXCLUSIVE);
	for (int i = 0; i < n; i++)
		(void) pg_atomic_exchange_u32(&mailbox->slots[idx[i]].state, SLOT_DONE);
	mailbox->gen++;
	LWLockRelease(&mailbox->slots_lock);
	ConditionVariableBroadcast(&mailbox->resolved);
	for (int i = 0; i < n; i++)
		wake(idx[i]);
	return n;
}

/* Answer one ASK slot with state st (REFUSED carries req.wait). */
static void
answer(int i, uint32 st)
{
	uint32 expected = SLOT_ASK;

	if (pg_atomic_compare_exchange_u32(&mailbox->slots[i].state, &expected, st))
		wake(i);
}

/*
 * Registrations, which count every attempt: each counted at once, in one
 * transaction, or refused while a delay runs; answered after the commit.
 * Returns how many.
 */
static int
count_asks(int *idx)
{
	int		n = collect(SLOT_ASK, SLOT_ASK, idx);
	uint32 *answers;

	if (n == 0)
		return 0;
	answers = palloc(sizeof(uint32) * n); /* outlives the transaction */
	txn_begin("finote: counting registrations");
	purge();
	for (int i = 0; i < n; i++)
	{
		FinoteAttempts *req = &mailbox->slots[idx[i]].req;

		req->wait = finote_attempts_count(req, true);
		answers[i] = req->wait > 0 ? SLOT_REFUSED : SLOT_DONE;
	}
	txn_end();
	for (int i = 0; i < n; i++)
		answer(idx[i], answers[i]);
	pfree(answers);
	return n;
}

/* Whether any slot of this database holds an attempt not yet recorded. */
static bool
busy(void)
{
	for (int i = 0; i < mailbox->nslots; i++)
	{
		uint32 st = pg_atomic_read_u32(&mailbox->slots[i].state);

		if (st != SLOT_FREE && st != SLOT_REFUSED && st != SLOT_DONE &&
			mailbox->slots[i].dbid == MyDatabaseId)
			return true;
	}
	return false;
}

/* The server is gone: waiting backends start another. */
static void
server_exit(int code, Datum arg)
{
	Server *s;

	LWLockAcquire(&mailbox->lock, LW_EXCLUSIVE);
	s = server_entry(MyDatabaseId, false);
	if (s && s->pid == MyProcPid)
		s->pid = 0;
	LWLockRelease(&mailbox->lock);
	for (int i = 0; i < mailbox->nslots; i++)
		if (mailbox->slots[i].dbid == MyDatabaseId &&
			pg_atomic_read_u32(&mailbox->slots[i].state) != SLOT_FREE)
			wake(i);
}

void
finote_attempt_server_main(Datum main_arg)
{
	ServerArgs	  args;
	Server		 *s;
	int			 *idx;
	MemoryContext round_cxt;
	TimestampTz	  last = GetCurrentTimestamp();

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	server_role = args.roleid;
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), args.ownerid, 0);

	/*
	 * Outside the API functions' SET clause: pin search_path before any SQL
	 * (every name is qualified as well). Never wait long for a row lock: a
	 * client's transaction may hold one (a DBA's UPDATE), and every login of
	 * the database waits for this process.
	 */
	SetConfigOption("search_path", FINOTE_SAFE_SEARCH_PATH, PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "2s", PGC_SUSET, PGC_S_OVERRIDE);

	mailbox_attach();
	LWLockAcquire(&mailbox->lock, LW_EXCLUSIVE);
	s = server_entry(MyDatabaseId, true);
	if (s && s->pid != 0)
		s = NULL; /* another server runs */
	else if (s)
	{
		s->pid = MyProcPid;
		s->procno = MY_PROCNO;
		s->starting = 0;
	}
	LWLockRelease(&mailbox->lock);
	if (!s)
		proc_exit(0);
	before_shmem_exit(server_exit, (Datum) 0);

	idx = MemoryContextAlloc(TopMemoryContext, sizeof(int) * mailbox->nslots);
	round_cxt = AllocSetContextCreate(TopMemoryContext, "finote attempt server",
									  ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		MemoryContext old;
		int			  n;

		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(round_cxt);
		n = record_outcomes(idx);
		n += count_asks(idx);
		MemoryContextSwitchTo(old);
		MemoryContextReset(round_cxt);

		if (n > 0)
			last = GetCurrentTimestamp();
		else if (TimestampDifferenceExceeds(last, GetCurrentTimestamp(), IDLE_EXIT_MS))
		{
			/* Under the lock: a backend that finds no server starts one. */
			bool idle;

			LWLockAcquire(&mailbox->lock, LW_EXCLUSIVE);
			idle = !busy();
			if (idle)
				s->pid = 0;
			LWLockRelease(&mailbox->lock);
			if (idle)
				proc_exit(0);
			last = GetCurrentTimestamp();
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000,
						 PG_WAIT_EXTENSION);
	}
}
