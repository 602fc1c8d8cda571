/*
 * headers.c: the request head checks civetweb 1.15 does not make.
 *
 * civetweb keeps the first 64 headers and silently drops the rest, takes
 * the first of conflicting Content-Length headers, accepts Content-Length
 * together with Transfer-Encoding, and strips white space between a header
 * name and its colon. Behind a proxy that reads the same bytes differently,
 * each of these lets a client hide a request in another's body (request
 * smuggling). So a request with 64 headers or more is answered 431, and
 * the others 400; all of them close the connection, since where their body
 * ends is unknown.
 *
 * civetweb also ends the header block at the first line it cannot read as
 * "name: value", say a line folded onto the previous one with a leading
 * space (obs-fold), and ignores the rest of the head: a Content-Length
 * after it is lost, and the body is served as the next request. RFC 9112
 * section 5.2 lets a server refuse obs-fold with 400, which we do, and with
 * it any other line civetweb stopped at. A bare LF ending a line is refused
 * too: civetweb takes it, a proxy in front may not (RFC 9112 section 2.2
 * only allows a recipient to). And Content-Length must be 1*DIGIT (RFC
 * 9110 section 8.6): civetweb's strtoll would take "5x", "+5" or "5, 5".
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <string.h>
#include <strings.h>

#include "shim.h"

/* RFC 9110 token characters: what a header name is made of. */
static bool
valid_name(const char *name)
{
	if (!*name)
		return false;
	for (const unsigned char *c = (const unsigned char *) name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || strchr("!#$%&'*+-.^_`|~", *c)))
			return false;
	return true;
}

/*
 * civetweb parses "Name : value" in place: the spaces before the colon and
 * the colon itself become NULs, and the value starts after the white space
 * that follows the colon. So between the end of the name and the value
 * there is one NUL (the colon's) for a well-formed header, more for white
 * space before the colon.
 */
static bool
space_before_colon(const struct mg_header *h)
{
	const char *p = h->name + strlen(h->name) + 1;

	if (h->value < p || h->value - p > 1024)
		return false; /* not laid out as parsed: nothing to tell */
	for (; p < h->value; p++)
		if (*p == '\0')
			return true;
	return false;
}

/*
 * Where civetweb's parse left its marks: it writes NULs over the CR and LF
 * ending each line it read, and over the final LF of the head; a line it
 * did not read keeps its bytes. So, when every line ends in CRLF, there are
 * exactly two NULs between the HTTP version and the first header's name,
 * and between each header's value and the next name, and the last value is
 * followed by NUL, NUL, the blank line's CR and NUL. Without headers the
 * version is followed by four NULs (civetweb skips white space after it).
 */
static bool
lines_intact(const struct mg_request_info *ri)
{
	const char *p = ri->http_version;

	if (!p)
		return false;
	p += strlen(p);
	if (ri->num_headers == 0)
		return p[0] == '\0' && p[1] == '\0' && p[2] == '\0' && p[3] == '\0';
	for (int i = 0; i < ri->num_headers; i++)
	{
		if (p[0] != '\0' || p[1] != '\0' || p + 2 != ri->http_headers[i].name)
			return false;
		p = ri->http_headers[i].value + strlen(ri->http_headers[i].value);
	}
	return p[0] == '\0' && p[1] == '\0' && p[2] == '\r' && p[3] == '\0';
}

/* 1*DIGIT, with the trailing white space a field value may have (RFC 9110 5.5). */
static bool
valid_length(const char *v)
{
	size_t n = strspn(v, "0123456789");

	return n > 0 && v[n + strspn(v + n, " ")] == '\0';
}

/*
 * Check the head of rq; false after answering it (and closing), true when
 * the request may go on.
 */
bool
head_check(struct req *rq)
{
	const struct mg_request_info *ri = rq->ri;
	const char					 *length = NULL;
	bool						  chunked = false;
	const char					 *problem = NULL;

	if (ri->num_headers >= MG_MAX_HEADERS)
	{
		rq->close = true;
		http_send_error(rq, 431, "headers_too_many",
						"a request may have at most 63 headers", NULL);
		return false;
	}
	if (!lines_intact(ri))
		problem = "a header line is folded, malformed or not ended by CRLF";
	for (int i = 0; i < ri->num_headers && !problem; i++)
	{
		const struct mg_header *h = &ri->http_headers[i];

		if (!valid_name(h->name) || space_before_colon(h))
			problem = "a header name is malformed";
		else if (strcasecmp(h->name, "Content-Length") == 0)
		{
			if (!valid_length(h->value))
				problem = "Content-Length must be digits";
			else if (length && strcmp(length, h->value) != 0)
				problem = "conflicting Content-Length headers";
			length = h->value;
		}
		else if (strcasecmp(h->name, "Transfer-Encoding") == 0)
			chunked = true;
	}
	if (!problem && length && chunked)
		problem = "Content-Length and Transfer-Encoding together";
	if (!problem)
		return true;
	rq->close = true;
	http_send_error(rq, 400, "bad_request", problem, NULL);
	return false;
}
