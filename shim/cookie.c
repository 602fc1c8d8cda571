/*
 * cookie.c: the signed session cookie.
 *
 * The cookie carries the extension's session token, base64url-encoded (the
 * token is opaque, so we do not trust it to be cookie-safe), a dot, and a
 * crypto_auth (HMAC-SHA512-256) tag over the token. A cookie whose tag does
 * not verify is treated as absent before any database work, so a forged or
 * tampered cookie costs no query and reveals nothing.
 *
 * In production the cookie is named __Host-SESSION_NAME
 * (FINOTE_COOKIE_HOST_PREFIX, on by default): a browser keeps such a cookie
 * only from this host, Secure, with Path=/ and no Domain, so a sibling
 * subdomain cannot plant one (login CSRF). Sessions from before the prefix
 * was on still carry the plain name, which is read when no prefixed cookie
 * came. A request with two cookies of the name it reads is ambiguous, the
 * first of them maybe a plant, and gets no session at all (handler.c: 401).
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "shim.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* Hash the secret into a key, so any secret length gives a full-size key. */
void
cookie_set_key(const char *secret)
{
	crypto_generichash(cfg.session_key, sizeof(cfg.session_key),
					   (const unsigned char *) secret, strlen(secret), NULL, 0);
}

char *
cookie_sign(const char *token)
{
	unsigned char mac[crypto_auth_BYTES];
	size_t		  toklen = strlen(token);
	size_t		  len1 = sodium_base64_ENCODED_LEN(toklen, B64);
	size_t		  len2 = sodium_base64_ENCODED_LEN(sizeof(mac), B64);
	char		 *out = malloc(len1 + len2 + 1);
	size_t		  n;

	if (!out)
		return NULL;
	crypto_auth(mac, (const unsigned char *) token, toklen, cfg.session_key);
	sodium_bin2base64(out, len1, (const unsigned char *) token, toklen, B64);
	n = strlen(out);
	out[n++] = '.';
	sodium_bin2base64(out + n, len2, mac, sizeof(mac), B64);
	sodium_memzero(mac, sizeof(mac));
	return out;
}

/* Decode and verify; on success the token is in token[] (NUL-terminated). */
bool
cookie_verify(const char *value, char *token, size_t tokenlen)
{
	unsigned char mac[crypto_auth_BYTES];
	const char	 *dot = strchr(value, '.');
	size_t		  toklen,
		maclen;
	bool ok;

	if (!dot || tokenlen == 0)
		return false;
	ok = sodium_base642bin((unsigned char *) token, tokenlen - 1, value,
						   (size_t) (dot - value), NULL, &toklen, NULL, B64) == 0 &&
		 sodium_base642bin(mac, sizeof(mac), dot + 1, strlen(dot + 1),
						   NULL, &maclen, NULL, B64) == 0 &&
		 maclen == sizeof(mac) && toklen > 0 &&
		 crypto_auth_verify(mac, (const unsigned char *) token, toklen,
							cfg.session_key) == 0;
	sodium_memzero(mac, sizeof(mac));
	if (!ok)
		return false; /* what was decoded into token[], the caller wipes */
	token[toklen] = '\0';
	/* a signed token was minted by us from the database: still refuse NULs */
	return strlen(token) == toklen;
}

/*
 * The session cookie's value among all of the request's Cookie headers,
 * into value[] (NUL-terminated, cut to len - 1 bytes).
 */
enum cookie_count
cookie_find(const struct mg_request_info *ri, char *value, size_t len)
{
	/* [0]: the name we set; [1]: the plain name, read until it is gone */
	const char *names[2] = {cfg.cookie_name, cfg.host_prefix ? cfg.session_name : NULL};
	int			count[2] = {0, 0};
	const char *found[2] = {NULL, NULL};
	size_t		found_len[2] = {0, 0};
	int			use;

	for (int i = 0; i < ri->num_headers; i++)
	{
		const char *p = ri->http_headers[i].value;

		if (strcasecmp(ri->http_headers[i].name, "Cookie") != 0)
			continue;
		/* cookie-string: pairs "name=value" separated by "; " (RFC 6265 4.2.1) */
		while (*p)
		{
			size_t pair = strcspn(p, ";");
			size_t name = strcspn(p, "=");

			for (int k = 0; k < 2; k++)
				if (names[k] && name < pair && name == strlen(names[k]) &&
					strncmp(p, names[k], name) == 0)
				{
					count[k]++;
					found[k] = p + name + 1;
					found_len[k] = pair - name - 1;
				}
			p += pair;
			while (*p == ';' || *p == ' ')
				p++;
		}
	}
	use = count[0] ? 0 : 1;
	if (count[use] == 0)
		return COOKIE_NONE;
	if (count[use] > 1)
		return COOKIE_AMBIGUOUS;
	if (found_len[use] >= len)
		found_len[use] = len - 1;
	memcpy(value, found[use], found_len[use]);
	value[found_len[use]] = '\0';
	return COOKIE_ONE;
}
