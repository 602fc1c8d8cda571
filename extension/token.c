/*
 * token.c
 *	  Session tokens: make, parse and hash them.
 *
 * A token is base64url (no padding) of the owner's 16-byte user id followed
 * by 32 bytes from libsodium's CSPRNG: 256 bits of randomness, 64 characters.
 * The user id in front lets a session be found by (user_id, hash), so every
 * session row is reached through its owner's id, as a shard key wants. Only
 * the BLAKE2b-256 hash of the random part is stored.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include <sodium.h>

#define TOKEN_RAW_BYTES (UUID_LEN + FINOTE_TOKEN_SECRET_BYTES)
#define TOKEN_CHARS		64 /* base64url of 48 bytes, no padding */

/* A palloc'd token string for tok. */
char *
finote_token_format(const FinoteToken *tok)
{
	unsigned char raw[TOKEN_RAW_BYTES];
	char		 *out = palloc(sodium_base64_ENCODED_LEN(TOKEN_RAW_BYTES,
														 sodium_base64_VARIANT_URLSAFE_NO_PADDING));

	memcpy(raw, tok->user_id.data, UUID_LEN);
	memcpy(raw + UUID_LEN, tok->secret, FINOTE_TOKEN_SECRET_BYTES);
	sodium_bin2base64(out, sodium_base64_ENCODED_LEN(TOKEN_RAW_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
					  raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	return out;
}

/* Split t into *tok; false when t is not a well-formed token. */
bool
finote_token_parse(text *t, FinoteToken *tok)
{
	unsigned char raw[TOKEN_RAW_BYTES];
	size_t		  rawlen = 0;
	bool		  ok;

	if (VARSIZE_ANY_EXHDR(t) != TOKEN_CHARS)
		return false;
	ok = sodium_base642bin(raw, sizeof(raw), VARDATA_ANY(t), TOKEN_CHARS,
						   NULL, &rawlen, NULL,
						   sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
		 rawlen == TOKEN_RAW_BYTES;
	if (ok)
	{
		memcpy(tok->user_id.data, raw, UUID_LEN);
		memcpy(tok->secret, raw + UUID_LEN, FINOTE_TOKEN_SECRET_BYTES);
	}
	sodium_memzero(raw, sizeof(raw));
	return ok;
}

/* The stored form of tok: a palloc'd bytea of its secret's hash. */
bytea *
finote_token_hash(const FinoteToken *tok)
{
	bytea *out = palloc(VARHDRSZ + FINOTE_TOKEN_HASH_BYTES);

	SET_VARSIZE(out, VARHDRSZ + FINOTE_TOKEN_HASH_BYTES);
	crypto_generichash((unsigned char *) VARDATA(out), FINOTE_TOKEN_HASH_BYTES,
					   tok->secret, FINOTE_TOKEN_SECRET_BYTES, NULL, 0);
	return out;
}

void
finote_token_wipe(FinoteToken *tok)
{
	sodium_memzero(tok, sizeof(*tok));
}

/* The session token, always argument 0; NULL when the caller passed none. */
text *
finote_token_arg(FunctionCallInfo fcinfo)
{
	return PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
}
