/*
 * idemkey.c: the Idempotency-Key header of a write
 * (draft-ietf-httpapi-idempotency-key-header) as the key the database keeps.
 *
 * The draft's key is a Structured Field string, in practice a UUID, quoted
 * or not; we take the value as sent, quotes included, and compare it as
 * bytes: 1 to 255 visible ASCII characters (0x21-0x7E), so that a key fits
 * a log line, a header and an index and can carry nothing that reads as
 * something else. Anything else, or two such headers (civetweb would show
 * us only the first), is refused with 400 rather than guessed at: a key
 * read wrongly would answer one request with another's answer. Matching
 * keys and requests is the database's job (finote.idempotency_claim).
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <string.h>
#include <strings.h>

#include "shim.h"

enum idem_key
idem_key_header(const struct req *rq, char *key, size_t len)
{
	const char *value = NULL;
	size_t		n;
	int			headers = 0;

	for (int i = 0; i < rq->ri->num_headers; i++)
		if (strcasecmp(rq->ri->http_headers[i].name, "Idempotency-Key") == 0)
		{
			value = rq->ri->http_headers[i].value;
			headers++;
		}
	if (headers == 0)
		return IDEM_KEY_NONE;
	n = strlen(value);
	if (headers > 1 || n < 1 || n > IDEM_KEY_MAX || n >= len)
		return IDEM_KEY_MALFORMED;
	for (size_t i = 0; i < n; i++)
		if (value[i] < 0x21 || value[i] > 0x7e)
			return IDEM_KEY_MALFORMED;
	memcpy(key, value, n + 1);
	return IDEM_KEY_GIVEN;
}
