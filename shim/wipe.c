/*
 * wipe.c: the shim's copies of secrets do not outlive the request.
 *
 * Request bodies (passwords), session tokens and cookies pass through
 * buffers of the shim's own. Freed or reused memory keeps what was written
 * there until something else is, and turns up in core dumps, swap and any
 * later read of the process' memory; so each such buffer is wiped
 * (sodium_memzero, which the compiler may not drop as a dead store) before
 * it is freed or goes out of scope. The copies that civetweb (its request
 * buffer) and libpq (its protocol buffers) keep are theirs, reused by the
 * next request and statement but not wiped: shim/README.md says so.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <stdlib.h>

#include <sodium.h>

#include "shim.h"

/* Wipe the first len bytes of p, then free it; NULL is fine. */
void
wipe_free(void *p, size_t len)
{
	if (!p)
		return;
	sodium_memzero(p, len);
	free(p);
}

/* Wipe every value of a result (a login's holds the token), then clear it. */
void
wipe_clear(PGresult *res)
{
	for (int row = 0; res && row < PQntuples(res); row++)
		for (int col = 0; col < PQnfields(res); col++)
			sodium_memzero(PQgetvalue(res, row, col), (size_t) PQgetlength(res, row, col));
	PQclear(res);
}
