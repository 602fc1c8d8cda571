/*
 * version.c: the extension's version strings ("1.1", "1.2.1") as the one
 * number VERSION() makes of them, which compares like the versions do, and
 * back. The pool learns the database's version with them, /readyz and the
 * route table name versions with them.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <stdio.h>

#include "shim.h"

/*
 * "1.1" or "1.1.3" as a VERSION(); 0 for anything else (each part 0-99, no
 * sign, no trailing text), so that an unknown version never selects rows.
 */
int
version_parse(const char *s)
{
	int part[3] = {0, 0, 0};
	int n = 0;

	for (;;)
	{
		int digits = 0;

		if (n == 3)
			return 0;
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			part[n] = part[n] * 10 + (*s - '0');
		if (digits == 0 || digits > 2)
			return 0;
		n++;
		if (*s == '\0')
			break;
		if (*s++ != '.')
			return 0;
	}
	return n >= 2 ? VERSION(part[0], part[1], part[2]) : 0;
}

/* "1.1" for a patch level of 0, else "1.1.3": as the extension names them. */
void
version_format(int version, char *out, size_t outlen)
{
	if (version % 100 == 0)
		snprintf(out, outlen, "%d.%d", version / 10000, version / 100 % 100);
	else
		snprintf(out, outlen, "%d.%d.%d", version / 10000, version / 100 % 100, version % 100);
}
