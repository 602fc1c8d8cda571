/*
 * cookie.c: the signed session cookie.
 *
 * The cookie carries the extension's session token, base64url-encoded (the
 * token is opaque, so we do not trust it to be cookie-safe), a dot, and a
 * crypto_auth (HMAC-SHA512-256) tag over the token. A cookie whose tag does
 * not verify is treated as absent before any database work, so a forged or
 * tampered cookie costs no query and reveals nothing.
 */
#include <stdlib.h>
#include <string.h>

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
