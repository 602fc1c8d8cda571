/*
 * worker.c
 *	  Work in a transaction of its own: a dynamic background worker of this
 *	  library, started and waited for (or, for the attempt server of 1.2.2,
 *	  started and left to run).
 *
 * A failed login raises an error, which rolls back the caller's
 * transaction; what must outlive it (the attempt it spent) is written by a
 * worker, which commits on its own, as an autonomous transaction would. The
 * worker is registered when it is wanted, so no shared_preload_libraries
 * entry is needed; each run takes a worker slot (max_worker_processes) for
 * a few milliseconds.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"

/*
 * Register function (a worker entry point of this library, named name in
 * pg_stat_activity) with main_arg and extra_len bytes of extra (at most
 * BGW_EXTRALEN), to connect to a database; the postmaster signals this
 * backend as it starts and stops. Returns false when no worker slot was free.
 */
bool
finote_start_worker(const char *function, const char *name, Datum main_arg,
					const void *extra, size_t extra_len, BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker = {0};

	Assert(extra_len <= BGW_EXTRALEN);
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "finote");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(worker.bgw_name, BGW_MAXLEN, "%s", name);
	snprintf(worker.bgw_type, BGW_MAXLEN, "%s", name);
	worker.bgw_main_arg = main_arg;
	if (extra_len > 0)
		memcpy(worker.bgw_extra, extra, extra_len);
	worker.bgw_notify_pid = MyProcPid;

	return RegisterDynamicBackgroundWorker(&worker, handle);
}

/*
 * Start a worker as finote_start_worker does and wait until it exits.
 * Returns false when no worker slot was free: then nothing ran.
 */
bool
finote_run_worker(const char *function, const char *name, Datum main_arg,
				  const void *extra, size_t extra_len)
{
	BackgroundWorkerHandle *handle;

	if (!finote_start_worker(function, name, main_arg, extra, extra_len, &handle))
		return false;
	if (WaitForBackgroundWorkerShutdown(handle) != BGWH_STOPPED)
		ereport(ERROR,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("the server is shutting down")));
	return true;
}
