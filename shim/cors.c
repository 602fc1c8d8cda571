/*
 * cors.c: which browser origins may call the API with credentials.
 *
 * civetweb's own CORS support is switched off in main.c: it defaults to
 * "*" and would answer preflights before our handler ran. Here an Origin is
 * allowed only when it is exactly one of CORS_ORIGIN's entries; the answer
 * then echoes that entry (never "*", which browsers refuse with cookies).
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <string.h>

#include "shim.h"

const char *
cors_allowed(const char *origin)
{
	if (!origin)
		return NULL;
	for (char **o = cfg.cors_origins; *o; o++)
		if (strcmp(*o, origin) == 0)
			return *o;
	return NULL;
}
