/*
 * wipe.c
 *	  Secrets do not outlive their use: a buffer that held a password, a
 *	  token or a request body is zeroed before its memory goes back, so that
 *	  no later palloc, core file or memory scan finds it.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include <sodium.h>

/* Zero and free a palloc'd buffer that held a secret. */
void
finote_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
	pfree(p);
}
