/*
 * password.c
 *	  Password hashing with libsodium's argon2id (crypto_pwhash_str).
 *
 * Callers pass the password as the text argument they received; this file
 * alone holds the plaintext copy libsodium needs, and wipes it as soon as
 * libsodium is done. The stored string carries its own salt and cost, so
 * verification works for hashes made under older settings, and a match can
 * hand back a new hash when the settings have changed since.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include <sodium.h>

#include "utils/builtins.h"

static unsigned long long
memlimit_bytes(void)
{
	return (unsigned long long) finote_password_memlimit * 1024;
}

/* A palloc'd argon2id string for the plaintext pw, with the current settings. */
static char *
hash_plain(const char *pw, size_t len)
{
	char *out = palloc(crypto_pwhash_STRBYTES);

	if (crypto_pwhash_str(out, pw, len,
						  finote_password_opslimit, memlimit_bytes()) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not hash the password"),
				 errdetail("argon2id needs %d kB of memory (finote.password_memlimit).",
						   finote_password_memlimit)));
	return out;
}

/*
 * A palloc'd argon2id string for password. hash NULL is the stand-in for a
 * user that does not exist, so that verification costs the same (below).
 */
char *
finote_password_hash(text *password)
{
	size_t len = VARSIZE_ANY_EXHDR(password);
	char  *pw = text_to_cstring(password);
	char  *hash = hash_plain(pw, len);

	finote_wipe(pw, len);
	return hash;
}

/*
 * Whether password matches hash. With hash NULL (no such user) the same work
 * is spent on a dummy hash made with the current settings, so the time a
 * login takes does not tell whether the username exists. With rehash, a
 * match against a hash made with other settings also sets *rehash to a new
 * hash made with the current ones (else NULL).
 */
bool
finote_password_verify(text *password, const char *hash, char **rehash)
{
	static char dummy[crypto_pwhash_STRBYTES];
	static int	dummy_opslimit;
	static int	dummy_memlimit;
	size_t		len = VARSIZE_ANY_EXHDR(password);
	char	   *pw = text_to_cstring(password);
	bool		ok;

	if (hash == NULL &&
		(dummy_opslimit != finote_password_opslimit ||
		 dummy_memlimit != finote_password_memlimit))
	{
		unsigned char random_password[32];
		char		 *made;

		randombytes_buf(random_password, sizeof(random_password));
		made = hash_plain((const char *) random_password, sizeof(random_password));
		strlcpy(dummy, made, sizeof(dummy));
		pfree(made);
		dummy_opslimit = finote_password_opslimit;
		dummy_memlimit = finote_password_memlimit;
	}

	/* Against the dummy the outcome is meaningless: only the work matters. */
	ok = crypto_pwhash_str_verify(hash ? hash : dummy, pw, len) == 0 && hash != NULL;
	if (rehash)
		*rehash = ok && crypto_pwhash_str_needs_rehash(hash, finote_password_opslimit,
													   memlimit_bytes()) != 0
					  ? hash_plain(pw, len)
					  : NULL;
	finote_wipe(pw, len);
	return ok;
}
