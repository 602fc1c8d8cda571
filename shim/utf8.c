/*
 * utf8.c: is a request body valid UTF-8, and where may it be cut?
 *
 * The database is UTF-8 and refuses anything else, but its error quotes up
 * to four of the offending bytes ("invalid byte sequence for encoding UTF8:
 * 0xe9 0x58 0x79"), in the server log and in the answer, and those bytes may
 * be a password's. So the shim checks a body before any of it is sent, with
 * the rules PostgreSQL applies (RFC 3629): no overlong form, no UTF-16
 * surrogate, nothing past U+10FFFF. NUL bytes are refused elsewhere.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "shim.h"

/* The length of the sequence at s (at most n bytes left), 0 if invalid. */
static size_t
sequence(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t		  len;
	unsigned char lo = 0x80, /* the second byte's range, which rules out */
		hi = 0xBF;			 /* overlongs, surrogates and past U+10FFFF */

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	}
	else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

bool
utf8_valid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *) text;

	for (size_t i = 0, k; i < len; i += k)
		if ((k = sequence(s + i, len - i)) == 0)
			return false;
	return true;
}

/*
 * The length of the longest prefix of text[0, len) that does not end inside
 * a sequence: a body read in blocks is checked (and sent) block by block,
 * each cut there and the rest carried into the next.
 */
size_t
utf8_cut(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *) text;

	for (size_t back = 1; back <= 3 && back <= len; back++)
	{
		unsigned char c = s[len - back];
		size_t		  need;

		if ((c & 0xC0) == 0x80)
			continue; /* a continuation byte: its lead is further back */
		need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3
						   : c >= 0xC0	 ? 2
										 : 1;
		return need > back ? len - back : len;
	}
	return len;
}
