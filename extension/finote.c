/*
 * finote.c
 *	  Module setup: libsodium initialisation and the finote.* settings.
 *
 * Every setting is PGC_SUSET: the API role must not be able to lower the
 * password cost or lift the login throttle for its own session. A DBA sets
 * them in postgresql.conf or with ALTER DATABASE ... SET.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include <sodium.h>

#include "utils/guc.h"

#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

PG_MODULE_MAGIC;

int finote_session_lifetime = 7 * 24 * 3600;
int finote_password_opslimit = 2;
int finote_password_memlimit = 19 * 1024;
int finote_login_max_failures = 5;
int finote_login_failure_window = 15 * 60;
int finote_login_account_max_failures = 50;
int finote_login_address_max_failures = 50;
int finote_register_max_per_address = 10;
int finote_register_window = 60 * 60;
int finote_revisions_keep = 50;
int finote_revisions_max_age = 90 * 24 * 3600;
int finote_revision_collapse = 60;
int finote_trash_retention = 30 * 24 * 3600;
int finote_idempotency_key_lifetime = 24 * 3600;
int finote_idempotency_keys_max = 1000;

void _PG_init(void);

void
_PG_init(void)
{
	if (sodium_init() < 0)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("finote: libsodium could not be initialised")));

	DefineCustomIntVariable("finote.session_lifetime",
							"How long a login session stays valid.",
							NULL,
							&finote_session_lifetime,
							7 * 24 * 3600, 60, INT_MAX / 2,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	/* OWASP's argon2id minimum is 19 MiB with 2 iterations: the defaults. */
	DefineCustomIntVariable("finote.password_opslimit",
							"Argon2id iterations for new password hashes.",
							"Existing hashes are upgraded at the next successful login.",
							&finote_password_opslimit,
							2, 1, 64,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("finote.password_memlimit",
							"Argon2id memory for new password hashes.",
							"Existing hashes are upgraded at the next successful login.",
							&finote_password_memlimit,
							19 * 1024, 8, 4 * 1024 * 1024,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("finote.login_max_failures",
							"Failed logins for one username that the window allows.",
							"Further attempts fail as too many attempts until the window passes.",
							&finote_login_max_failures,
							5, 1, 1000000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("finote.login_failure_window",
							"How far back failed logins count against a username.",
							NULL,
							&finote_login_failure_window,
							15 * 60, 1, INT_MAX / 2,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	/* 1.1.3: the budgets of attempts.c; the two above apply per account and address. */
	DefineCustomIntVariable("finote.login_account_max_failures",
							"Failed logins for one username, from all addresses, before delays start.",
							"Counted over a window from the first failure; set it above what one address may try in a window.",
							&finote_login_account_max_failures,
							50, 1, 1000000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("finote.login_address_max_failures",
							"Failed logins from one client address, for all usernames, before delays start.",
							NULL,
							&finote_login_address_max_failures,
							50, 1, 1000000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("finote.register_max_per_address",
							"Registrations (taken usernames included) one client address may try in the window before delays start.",
							NULL,
							&finote_register_max_per_address,
							10, 1, 1000000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("finote.register_window",
							"How long registrations count against a client address.",
							NULL,
							&finote_register_window,
							60 * 60, 1, INT_MAX / 2,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	/*
	 * 1.2: history and trash. The defaults and the storage they cost are
	 * measured in extension/README.md, "Settings".
	 */
	DefineCustomIntVariable("finote.revisions_keep",
							"Revisions kept per note, the newest ones.",
							"0 keeps no history.",
							&finote_revisions_keep,
							50, 0, 10000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("finote.revisions_max_age",
							"How long a revision is kept after the change that replaced its text.",
							NULL,
							&finote_revisions_max_age,
							90 * 24 * 3600, 1, INT_MAX / 2,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("finote.revision_collapse",
							"Autosave window: an update within this time of a note's newest revision adds no revision.",
							"0 makes every change of title, content or tags a revision.",
							&finote_revision_collapse,
							60, 0, 24 * 3600,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("finote.trash_retention",
							"How long a deleted note stays in the trash before it is purged.",
							NULL,
							&finote_trash_retention,
							30 * 24 * 3600, 0, INT_MAX / 2,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	/*
	 * 1.3: idempotency keys (idempotency.c). A day covers a client's retries
	 * through a failover or a night offline; 1000 live keys a user is more
	 * than a person's writes in a day through the web app, and bounds one
	 * user's rows (about 100 kB of keys and answers of notes).
	 */
	DefineCustomIntVariable("finote.idempotency_key_lifetime",
							"How long an idempotency key and its answer are kept.",
							NULL,
							&finote_idempotency_key_lifetime,
							24 * 3600, 1, INT_MAX / 2,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("finote.idempotency_keys_max",
							"Live idempotency keys one user may hold.",
							"A keyed write past it is refused (retry after the oldest key expires).",
							&finote_idempotency_keys_max,
							1000, 1, 1000000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("finote");
}
