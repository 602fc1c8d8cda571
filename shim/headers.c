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
	for (int i = 0; i < ri->num_headers && !problem; i++)
	{
		const struct mg_header *h = &ri->http_headers[i];

		if (!valid_name(h->name) || space_before_colon(h))
			problem = "a header name is malformed";
		else if (strcasecmp(h->name, "Content-Length") == 0)
		{
			if (length && strcmp(length, h->value) != 0)
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
