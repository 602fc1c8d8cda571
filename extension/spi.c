/*
 * spi.c
 *	  Run the extension's statements through SPI with plans prepared once.
 *
 * Each statement is a static FinoteQuery next to the code that uses it. The
 * first call in a backend prepares and keeps the plan; the plan cache
 * replans by itself when the tables change (for example after ALTER
 * EXTENSION UPDATE), so a kept plan never goes stale.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "miscadmin.h"
#include "utils/snapmgr.h"

static SPIPlanPtr
finote_plan(FinoteQuery *q)
{
	if (q->plan == NULL)
	{
		SPIPlanPtr plan = SPI_prepare_cursor(q->sql, q->nargs, q->argtypes,
											 q->cursor_options);

		if (plan == NULL)
			elog(ERROR, "finote: SPI_prepare failed: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "finote: SPI_keepplan failed");
		q->plan = plan;
	}
	return q->plan;
}

/*
 * Execute q with the given arguments (nulls as for SPI_execute_plan) and
 * return the number of rows it produced or touched; the rows are in
 * SPI_tuptable until the next call.
 */
int
finote_exec(FinoteQuery *q, Datum *values, const char *nulls)
{
	int rc = SPI_execute_plan(finote_plan(q), values, nulls, false, 0);

	if (rc < 0)
		elog(ERROR, "finote: SPI_execute_plan failed: %s",
			 SPI_result_code_string(rc));
	return (int) SPI_processed;
}

/*
 * Execute q read-only with a snapshot taken now rather than the
 * transaction's: what other transactions have committed since this one's
 * snapshot counts too (a REPEATABLE READ caller must not see stale rows).
 */
int
finote_exec_latest(FinoteQuery *q, Datum *values, const char *nulls)
{
	int rc = SPI_execute_snapshot(finote_plan(q), values, nulls, GetLatestSnapshot(),
								  InvalidSnapshot, true, false, 0);

	if (rc < 0)
		elog(ERROR, "finote: SPI_execute_snapshot failed: %s",
			 SPI_result_code_string(rc));
	return (int) SPI_processed;
}

/*
 * Open q as a read-only cursor, to fetch its rows a few at a time
 * (SPI_cursor_fetch) instead of all at once.
 */
Portal
finote_cursor_open(FinoteQuery *q, Datum *values, const char *nulls)
{
	Portal portal = SPI_cursor_open(NULL, finote_plan(q), values, nulls, true);

	if (portal == NULL)
		elog(ERROR, "finote: SPI_cursor_open failed: %s",
			 SPI_result_code_string(SPI_result));
	return portal;
}

/*
 * Every row of q through a cursor, fetch_rows at a time: row(arg, i) is
 * called with each row i of the batch in SPI_tuptable, whose memory goes
 * before the next batch is fetched; interrupts are looked at in between.
 */
void
finote_cursor_each(FinoteQuery *q, Datum *values, int fetch_rows,
				   void (*row)(void *arg, int i), void *arg)
{
	Portal portal = finote_cursor_open(q, values, NULL);

	for (;;)
	{
		SPI_cursor_fetch(portal, true, fetch_rows);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
			row(arg, (int) i);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

/*
 * Column col (1-based) of row row (0-based) of the last result.
 */
Datum
finote_result_column(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
						 col, isnull);
}

/*
 * Execute q and return the first column of its first row, copied out of the
 * SPI memory context so that it outlives SPI_finish. *found tells whether
 * there was a row; with no row or a NULL value the result is (Datum) 0.
 */
Datum
finote_exec_value(FinoteQuery *q, Datum *values, const char *nulls, bool *found)
{
	bool			  isnull;
	Datum			  value;
	Form_pg_attribute att;

	*found = finote_exec(q, values, nulls) > 0;
	if (!*found)
		return (Datum) 0;

	value = finote_result_column(0, 1, &isnull);
	if (isnull)
		return (Datum) 0;
	att = TupleDescAttr(SPI_tuptable->tupdesc, 0);
	return SPI_datumTransfer(value, att->attbyval, att->attlen);
}
