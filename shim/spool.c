/*
 * spool.c: files for what is too large to hold in memory, an export's rows
 * on their way to the client (export.c) and an import's body on its way to
 * the database (bodyparts.c).
 *
 * A spool is unlinked from the start (O_TMPFILE in FINOTE_EXPORT_DIR, or
 * mkstemp + unlink where the file system has no O_TMPFILE): nobody else
 * can open it, and it is gone when closed, even if the shim dies.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "shim.h"

#define CHECK_BLOCK 65536

/* A new spool, or NULL (errno set) when the directory refuses it. */
FILE *
spool_open(void)
{
	char  path[PATH_MAX];
	int	  fd = open(cfg.export_dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
	{
		snprintf(path, sizeof(path), "%s/finote-spool-XXXXXX", cfg.export_dir);
		if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
			unlink(path);
	}
	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "w+")))
		close(fd);
	return f;
}

/*
 * Is the spooled body the text of a JSON object the database may be sent?
 * NULL if so, else what is wrong, in the words call_route uses for a body in
 * memory: it must start with '{' (after white space), be UTF-8 and hold no
 * NUL byte (the database's own errors would quote the bytes). Read in
 * blocks, each cut where no character is split (utf8_cut), the rest carried.
 * *digest gets the body's BLAKE2b-256 in hex: what an Idempotency-Key's
 * request is compared by, in place of the body itself.
 */
const char *
spool_check_json(FILE *f, char digest[SPOOL_DIGEST_HEX])
{
	static const char *const not_object = "the body must be a JSON object";
	char					*block = malloc(CHECK_BLOCK);
	crypto_generichash_state hash;
	unsigned char			 hashed[32];
	size_t					 carried = 0;
	size_t					 got;
	bool					 started = false;
	const char				*wrong = NULL;

	if (!block)
		abort();
	crypto_generichash_init(&hash, NULL, 0, sizeof(hashed));
	rewind(f);
	while (!wrong && (got = fread(block + carried, 1, CHECK_BLOCK - carried, f)) > 0)
	{
		size_t n = carried + got;
		size_t whole = utf8_cut(block, n);

		crypto_generichash_update(&hash, (unsigned char *) block + carried, got);
		for (size_t i = 0; !started && !wrong && i < whole; i++)
		{
			if (block[i] == '{')
				started = true;
			else if (block[i] != ' ' && block[i] != '\t' && block[i] != '\r' && block[i] != '\n')
				wrong = not_object;
		}
		if (!wrong && memchr(block, '\0', whole))
			wrong = not_object;
		else if (!wrong && !utf8_valid(block, whole))
			wrong = "the body must be UTF-8";
		carried = n - whole;
		memmove(block, block + whole, carried);
	}
	if (!wrong && ferror(f))
		wrong = "the body could not be read back";
	else if (!wrong && carried)
		wrong = "the body must be UTF-8";
	else if (!wrong && !started)
		wrong = not_object;
	crypto_generichash_final(&hash, hashed, sizeof(hashed));
	sodium_bin2hex(digest, SPOOL_DIGEST_HEX, hashed, sizeof(hashed));
	sodium_memzero(block, CHECK_BLOCK);
	free(block);
	return wrong;
}
