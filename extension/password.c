/*
 * password.c
 *	  Password hashing with libsodium's argon2id (crypto_pwhash_str).
 *
 * The stored string carries its own salt and cost, so verification works for
 * hashes made under older settings; finote_password_needs_rehash tells the
 * login path when to upgrade one.
 */
#include "finote.h"

#include <sodium.h>

static unsigned long long
memlimit_bytes(void)
{
	return (unsigned long long) finote_password_memlimit * 1024;
}

/* A palloc'd argon2id string for password, made with the current settings. */
char *
finote_password_hash(const char *password, size_t len)
{
	char *out = palloc(crypto_pwhash_STRBYTES);

	if (crypto_pwhash_str(out, password, len,
						  finote_password_opslimit, memlimit_bytes()) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not hash the password"),
				 errdetail("argon2id needs %d kB of memory (finote.password_memlimit).",
						   finote_password_memlimit)));
	return out;
}

/*
 * Whether password matches hash. With hash NULL (no such user) the same work
 * is spent on a dummy hash made with the current settings, so the time a
 * login takes does not tell whether the username exists.
 */
bool
finote_password_verify(const char *hash, const char *password, size_t len)
{
	static char dummy[crypto_pwhash_STRBYTES];
	static int	dummy_opslimit;
	static int	dummy_memlimit;

	if (hash != NULL)
		return crypto_pwhash_str_verify(hash, password, len) == 0;

	if (dummy_opslimit != finote_password_opslimit ||
		dummy_memlimit != finote_password_memlimit)
	{
		unsigned char random_password[32];

		randombytes_buf(random_password, sizeof(random_password));
		if (crypto_pwhash_str(dummy, (const char *) random_password,
							  sizeof(random_password),
							  finote_password_opslimit, memlimit_bytes()) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not hash the password")));
		dummy_opslimit = finote_password_opslimit;
		dummy_memlimit = finote_password_memlimit;
	}
	{
		/* The outcome is meaningless: only the work matters here. */
		int rc pg_attribute_unused() = crypto_pwhash_str_verify(dummy, password, len);
	}
	return false;
}

/* Whether hash was made with other settings than the current ones. */
bool
finote_password_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, finote_password_opslimit,
										  memlimit_bytes()) != 0;
}
