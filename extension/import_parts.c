/*
 * import_parts.c
 *	  finote.import_part(part) and finote.import_parts() (1.3): an import's
 *	  document sent in parts, so that the shim never holds it whole.
 *
 * The shim spools a POST /api/import body to a file and sends it here a
 * part at a time, in one transaction with the import that reads it back:
 *
 *	BEGIN; SELECT finote.import_part($1); ...;
 *	SELECT finote.import($1, finote.body_json(finote.import_parts())); COMMIT
 *
 * The parts are kept in the transaction's memory (TopTransactionContext), so
 * they go with the transaction whatever becomes of it, and one transaction
 * never sees another's. A pooled connection holds nothing after its
 * transaction; autocommit calls each see an empty buffer.
 *
 * Nothing here reads a table or trusts a name: the functions only move
 * bytes. What bounds the buffer is the shim's FINOTE_IMPORT_MAX_BYTES (and,
 * past it, PostgreSQL's 1 GB limit for a text value).
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include "access/xact.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(finote_import_part_1_3);
PG_FUNCTION_INFO_V1(finote_import_parts_1_3);

/* The parts of the current transaction, or NULL: none yet. */
static StringInfo parts = NULL;
static bool		  callback_registered = false;

/* The memory went with TopTransactionContext; forget the pointer too. */
static void
forget_parts(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
		parts = NULL;
}

/* finote.import_part(part text) RETURNS void: appends part. */
Datum
finote_import_part_1_3(PG_FUNCTION_ARGS)
{
	text *part = PG_GETARG_TEXT_PP(0);

	if (!callback_registered)
	{
		RegisterXactCallback(forget_parts, NULL);
		callback_registered = true;
	}
	if (!parts)
	{
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

		parts = makeStringInfo();
		MemoryContextSwitchTo(old);
	}
	/* enlargeStringInfo refuses past 1 GB with its own error */
	appendBinaryStringInfo(parts, VARDATA_ANY(part), VARSIZE_ANY_EXHDR(part));
	PG_RETURN_VOID();
}

/* finote.import_parts() RETURNS text: the parts so far, and an empty buffer. */
Datum
finote_import_parts_1_3(PG_FUNCTION_ARGS)
{
	text *whole;

	if (!parts)
		PG_RETURN_NULL();
	whole = cstring_to_text_with_len(parts->data, parts->len);
	pfree(parts->data);
	pfree(parts);
	parts = NULL;
	PG_RETURN_TEXT_P(whole);
}
