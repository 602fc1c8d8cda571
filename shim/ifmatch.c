/*
 * ifmatch.c: the If-Match header of a conditional change (RFC 9110, 13.1.1)
 * as the note version it names.
 *
 * The shim's ETags are strong and are the note's version in quotes ("7"), so
 * the only conditions a client can mean are "*" (any current note: no
 * condition) and one such tag. Anything else cannot be an ETag this server
 * gave out (a weak tag, a list, an unquoted or empty value, a leading zero,
 * a number past bigint): it is refused with 400 rather than guessed at,
 * since guessing wrong could let a stale change through. Comparing the
 * version is the database's job (PT412); parsing HTTP is ours.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <string.h>

#include "shim.h"

#define VERSION_DIGITS_MAX 18 /* every such number fits a bigint */

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/*
 * header: the If-Match value, or NULL when absent. On IF_MATCH_VERSION the
 * digits are copied to version (len at least VERSION_DIGITS_MAX + 1).
 */
enum if_match
if_match_parse(const char *header, char *version, size_t len)
{
	const char *s;
	size_t		digits;

	if (!header)
		return IF_MATCH_NONE;
	s = skip_space(header);
	if (*s == '*')
		return *skip_space(s + 1) == '\0' ? IF_MATCH_NONE : IF_MATCH_MALFORMED;
	if (*s++ != '"')
		return IF_MATCH_MALFORMED;
	digits = strspn(s, "0123456789");
	if (digits == 0 || digits > VERSION_DIGITS_MAX || digits >= len ||
		(s[0] == '0' && digits > 1) || s[digits] != '"' ||
		*skip_space(s + digits + 1) != '\0')
		return IF_MATCH_MALFORMED;
	memcpy(version, s, digits);
	version[digits] = '\0';
	return IF_MATCH_VERSION;
}
