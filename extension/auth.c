/*
 * auth.c
 *	  Accounts and sessions: finote.register, login, logout, whoami,
 *	  change_password and (1.2) account_delete, and the session check every
 *	  note function starts with.
 *
 * The API functions run with search_path pinned to pg_catalog, pg_temp (their
 * SET clause); the statements here qualify every name all the same, so that
 * none of them depends on the path it runs under (issue 13).
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include <sodium.h>

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(finote_register);
PG_FUNCTION_INFO_V1(finote_login);
PG_FUNCTION_INFO_V1(finote_logout);
PG_FUNCTION_INFO_V1(finote_whoami);
PG_FUNCTION_INFO_V1(finote_change_password);
PG_FUNCTION_INFO_V1(finote_register_1_1_3);
PG_FUNCTION_INFO_V1(finote_login_1_1_3);
PG_FUNCTION_INFO_V1(finote_change_password_1_1_3);
PG_FUNCTION_INFO_V1(finote_account_delete_1_2);
PG_FUNCTION_INFO_V1(finote_register_1_2_2);
PG_FUNCTION_INFO_V1(finote_login_1_2_2);
PG_FUNCTION_INFO_V1(finote_change_password_1_2_2);
PG_FUNCTION_INFO_V1(finote_account_delete_1_2_2);

static FinoteQuery q_set_password = {
	.sql = "UPDATE finote.users SET password_hash = $2 WHERE id OPERATOR(pg_catalog.=) $1",
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
};

static void
raise_bad_session(void)
{
	ereport(ERROR,
			(errcode(FINOTE_ERRCODE_BAD_SESSION),
			 errmsg("invalid or expired session"),
			 errhint("Log in again.")));
}

/*
 * The user id (a uuid Datum) of the live session token names; raises 28000
 * for a missing, malformed, revoked or expired token. With hash_out, also
 * returns the session's stored hash.
 *
 * With lock_user (1.2.2, the calls that write), the user's row is also
 * locked FOR KEY SHARE until the transaction ends, so that the call and an
 * account_delete are serialised: a deletion that committed first, or that
 * the call waited for, leaves no row (28000, as for any session gone); one
 * that comes later waits for the call and deletes what it wrote. Before,
 * a write between this check and its own insert met the deletion as a
 * foreign key violation (23503, an HTTP 500) or a deadlock. The lock
 * conflicts only with deleting the user, not with a password change.
 */
static Datum
session_lookup(text *token, bytea **hash_out, bool lock_user)
{
	static FinoteQuery q = {
		.sql = "SELECT user_id FROM finote.sessions"
			   " WHERE user_id OPERATOR(pg_catalog.=) $1"
			   "   AND token_hash OPERATOR(pg_catalog.=) $2"
			   "   AND expires_at OPERATOR(pg_catalog.>) pg_catalog.now()",
		.nargs = 2,
		.argtypes = {UUIDOID, BYTEAOID},
	};
	static FinoteQuery q_lock = {
		.sql = "SELECT s.user_id FROM finote.sessions s"
			   "  JOIN finote.users u ON u.id OPERATOR(pg_catalog.=) s.user_id"
			   " WHERE s.user_id OPERATOR(pg_catalog.=) $1"
			   "   AND s.token_hash OPERATOR(pg_catalog.=) $2"
			   "   AND s.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()"
			   " FOR KEY SHARE OF u",
		.nargs = 2,
		.argtypes = {UUIDOID, BYTEAOID},
	};
	FinoteToken tok;
	Datum		args[2];
	Datum		user_id;
	bool		found;

	if (token == NULL || !finote_token_parse(token, &tok))
		raise_bad_session();
	args[0] = UUIDPGetDatum(&tok.user_id);
	args[1] = PointerGetDatum(finote_token_hash(&tok));
	user_id = finote_exec_value(lock_user ? &q_lock : &q, args, NULL, &found);
	finote_token_wipe(&tok);
	if (!found)
		raise_bad_session();
	if (hash_out)
		*hash_out = (bytea *) DatumGetPointer(args[1]);
	return user_id;
}

/* The user of the session whose token is the API function's first argument. */
Datum
finote_session_user(FunctionCallInfo fcinfo)
{
	return session_lookup(finote_token_arg(fcinfo), NULL, false);
}

/*
 * finote_session_user for a call that writes: from 1.2.2 (lock_user) with
 * the user's row locked FOR KEY SHARE (session_lookup).
 */
Datum
finote_session_user_for_write(FunctionCallInfo fcinfo, bool lock_user)
{
	return session_lookup(finote_token_arg(fcinfo), NULL, lock_user);
}

/*
 * finote_session_user_for_write, and in *writer the session's writer id
 * (1.2.1): a BLAKE2b of its stored token hash, under a context of its own,
 * so that it equals no other digest the database keeps. It names the
 * session within finote.revisions (written_by) and nothing else: it is a
 * digest of a digest of a random secret, which cannot be turned back into
 * the token, so it is no secret and goes into dumps with the revisions.
 * From 1.3 a client may name its writer within the session (tab: a tab of
 * a browser, which shares the session with the others): the digest then
 * covers it too, after the hash (of fixed length), so two tabs of one
 * session are two writers. Without it the digest is 1.2.1's.
 */
Datum
finote_session_user_writer(text *token, bool lock_user, text *tab, bytea **writer)
{
	static const char		 context[] = "finote.revisions.written_by";
	crypto_generichash_state st;
	bytea					*hash;
	Datum					 user_id = session_lookup(token, &hash, lock_user);

	*writer = palloc(VARHDRSZ + FINOTE_WRITER_BYTES);
	SET_VARSIZE(*writer, VARHDRSZ + FINOTE_WRITER_BYTES);
	crypto_generichash_init(&st, NULL, 0, FINOTE_WRITER_BYTES);
	crypto_generichash_update(&st, (const unsigned char *) context, sizeof(context) - 1);
	crypto_generichash_update(&st, (const unsigned char *) VARDATA(hash), VARSIZE(hash) - VARHDRSZ);
	if (tab)
		crypto_generichash_update(&st, (const unsigned char *) VARDATA_ANY(tab), VARSIZE_ANY_EXHDR(tab));
	crypto_generichash_final(&st, (unsigned char *) VARDATA(*writer), FINOTE_WRITER_BYTES);
	sodium_memzero(&st, sizeof(st));
	return user_id;
}

static Datum
user_json(Datum user_id)
{
	static FinoteQuery q = {
		.sql = "SELECT finote._user_json(u) FROM finote.users u WHERE u.id OPERATOR(pg_catalog.=) $1",
		.nargs = 1,
		.argtypes = {UUIDOID},
	};
	bool found;

	return finote_exec_value(&q, &user_id, NULL, &found);
}

/*
 * Open a session for user_id and return {token, expires_at, user}. Each new
 * session also sweeps a bounded batch of expired ones, so that they do not
 * pile up and no login pays for all of them.
 */
static Datum
open_session(Datum user_id)
{
	static FinoteQuery q = {
		.sql = "WITH swept AS ("
			   "  DELETE FROM finote.sessions s USING ("
			   "    SELECT user_id, token_hash FROM finote.sessions"
			   "     WHERE expires_at OPERATOR(pg_catalog.<) pg_catalog.now() LIMIT 100) e"
			   "   WHERE s.user_id OPERATOR(pg_catalog.=) e.user_id"
			   "     AND s.token_hash OPERATOR(pg_catalog.=) e.token_hash)"
			   " INSERT INTO finote.sessions (user_id, token_hash, expires_at)"
			   " VALUES ($1, $2, pg_catalog.now()"
			   "         OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => $3))"
			   " RETURNING pg_catalog.jsonb_build_object("
			   "   'token', $4,"
			   "   'expires_at', finote._timestamp_json(expires_at),"
			   "   'user', (SELECT finote._user_json(u) FROM finote.users u"
			   "             WHERE u.id OPERATOR(pg_catalog.=) $1))",
		.nargs = 4,
		.argtypes = {UUIDOID, BYTEAOID, FLOAT8OID, TEXTOID},
	};
	FinoteToken tok;
	char	   *token;
	Datum		args[4];
	Datum		result;
	bool		found;

	memcpy(&tok.user_id, DatumGetUUIDP(user_id), sizeof(pg_uuid_t));
	randombytes_buf(tok.secret, sizeof(tok.secret));
	token = finote_token_format(&tok);

	args[0] = user_id;
	args[1] = PointerGetDatum(finote_token_hash(&tok));
	args[2] = Float8GetDatum(finote_session_lifetime);
	args[3] = CStringGetTextDatum(token);
	finote_token_wipe(&tok);
	finote_wipe(token, strlen(token));

	result = finote_exec_value(&q, args, NULL, &found);
	finote_wipe(DatumGetPointer(args[3]), VARSIZE(DatumGetPointer(args[3])));
	return result;
}

/*
 * finote.register(username text, password text) RETURNS jsonb, and from
 * 1.1.3 with client_addr inet: then each attempt that passes the input rules
 * spends one of the address's registrations before the argon2id hash is
 * made, a taken username included, so that neither accounts nor the answer
 * "taken" come faster than the budget allows.
 */
static Datum
register_user(FunctionCallInfo fcinfo, FinoteBudget budget)
{
	static FinoteQuery q = {
		.sql = "INSERT INTO finote.users AS u (username, password_hash) VALUES ($1, $2)"
			   " ON CONFLICT ((pg_catalog.lower(username))) DO NOTHING"
			   " RETURNING finote._user_json(u)",
		.nargs = 2,
		.argtypes = {TEXTOID, TEXTOID},
	};
	text *username = finote_arg_text(fcinfo, 0, "username");
	text *password = finote_arg_text(fcinfo, 1, "password");
	Datum args[2];
	Datum result;
	bool  found;

	finote_check_username(username);
	finote_check_password(password, "password");

	if (budget)
	{
		FinoteAttempts a;

		finote_attempts_register_keys(&a, budget, PG_GETARG_DATUM(2), PG_ARGISNULL(2));
		finote_attempts_reserve(&a, "registrations");
	}
	args[0] = PointerGetDatum(username);
	args[1] = CStringGetTextDatum(finote_password_hash(password));

	SPI_connect();
	result = finote_exec_value(&q, args, NULL, &found);
	if (!found)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_CONFLICT),
				 errmsg("username is already taken")));
	SPI_finish();
	return result;
}

Datum
finote_register(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(register_user(fcinfo, FINOTE_BUDGET_NONE));
}

Datum
finote_register_1_1_3(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(register_user(fcinfo, FINOTE_BUDGET_WORKER));
}

/* 1.2.2: counted by the attempt server, without a process start. */
Datum
finote_register_1_2_2(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(register_user(fcinfo, FINOTE_BUDGET_SERVER));
}

/*
 * finote.login(username text, password text) RETURNS jsonb; from 1.1.3 with
 * client_addr inet, and the attempt budgets of attempts.c instead of the
 * per-username count of throttle.c (which databases before 1.1.3 keep).
 *
 * From 1.2.2 (serialise) a login and a change of the password serialise on
 * the user's row: the login reads the hash FOR SHARE and holds it until its
 * session is committed, and change_password locks the row before it reads
 * the current hash (verify_current_password). A login that read the old
 * hash therefore commits its session before the change revokes the other
 * sessions, and a later one waits for the change and reads the new hash.
 * Before, a login that had read the old hash could commit its session
 * after the revoke, and the old password kept a session (issue 20).
 * Concurrent logins of one user share the lock and do not wait for each
 * other. Since two of them may hold it, a login that must rehash (the
 * argon2id settings were raised) does so only when no other transaction
 * holds the row (SKIP LOCKED): two such logins would otherwise deadlock on
 * upgrading their locks, and a later login rehashes instead.
 */
static Datum
login_user(FunctionCallInfo fcinfo, FinoteBudget budget, bool serialise)
{
	static FinoteQuery q_user = {
		.sql = "SELECT id, password_hash FROM finote.users"
			   " WHERE pg_catalog.lower(username) OPERATOR(pg_catalog.=) pg_catalog.lower($1)",
		.nargs = 1,
		.argtypes = {TEXTOID},
	};
	static FinoteQuery q_user_share = {
		.sql = "SELECT id, password_hash FROM finote.users"
			   " WHERE pg_catalog.lower(username) OPERATOR(pg_catalog.=) pg_catalog.lower($1)"
			   " FOR SHARE",
		.nargs = 1,
		.argtypes = {TEXTOID},
	};
	static FinoteQuery q_rehash_unshared = {
		.sql = "UPDATE finote.users SET password_hash = $2"
			   " WHERE id OPERATOR(pg_catalog.=) (SELECT id FROM finote.users"
			   "  WHERE id OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE SKIP LOCKED)",
		.nargs = 2,
		.argtypes = {UUIDOID, TEXTOID},
	};
	text		  *username = finote_arg_text(fcinfo, 0, "username");
	text		  *password = finote_arg_text(fcinfo, 1, "password");
	bool		   valid_name = finote_username_valid(username);
	Datum		   user_id = (Datum) 0;
	char		  *hash = NULL;
	char		  *new_hash = NULL;
	Datum		   result;
	FinoteAttempts a;

	SPI_connect();
	if (budget)
	{
		/* Every attempt costs argon2id work, so even a malformed name spends the address's budget. */
		finote_attempts_login_keys(&a, budget, username, valid_name, PG_GETARG_DATUM(2),
								   PG_ARGISNULL(2));
		finote_attempts_reserve(&a, "failed login attempts");
	}
	else
		finote_throttle_check(username);

	if (valid_name && finote_exec(serialise ? &q_user_share : &q_user,
								  (Datum[]){PointerGetDatum(username)}, NULL) > 0)
	{
		bool isnull;

		user_id = finote_result_column(0, 1, &isnull);
		hash = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	}

	/* The same argon2id work whether or not the user exists. */
	if (!finote_password_verify(password, hash, &new_hash))
	{
		/* A name that breaks the rules can never log in: nothing to count. */
		if (valid_name && !budget)
			finote_throttle_record_failure(username);
		if (budget)
			finote_attempts_failed(&a);
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_CREDENTIALS),
				 errmsg("invalid username or password")));
	}

	if (new_hash)
		finote_exec(serialise ? &q_rehash_unshared : &q_set_password,
					(Datum[]){user_id, CStringGetTextDatum(new_hash)}, NULL);
	if (budget)
		finote_attempts_refund(&a);
	else
		finote_throttle_clear(username);
	result = open_session(user_id);
	SPI_finish();
	return result;
}

Datum
finote_login(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(login_user(fcinfo, FINOTE_BUDGET_NONE, false));
}

Datum
finote_login_1_1_3(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(login_user(fcinfo, FINOTE_BUDGET_WORKER, false));
}

/*
 * 1.2.2: budgets that count failures only, kept by the attempt server, and
 * the login serialised with a change of the password on the user's row.
 */
Datum
finote_login_1_2_2(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(login_user(fcinfo, FINOTE_BUDGET_SERVER, true));
}

/* finote.logout(token text) RETURNS void; an unknown token is no error. */
Datum
finote_logout(PG_FUNCTION_ARGS)
{
	static FinoteQuery q = {
		.sql = "DELETE FROM finote.sessions"
			   " WHERE user_id OPERATOR(pg_catalog.=) $1 AND token_hash OPERATOR(pg_catalog.=) $2",
		.nargs = 2,
		.argtypes = {UUIDOID, BYTEAOID},
	};
	text	   *token = finote_token_arg(fcinfo);
	FinoteToken tok;

	if (token != NULL && finote_token_parse(token, &tok))
	{
		Datum args[2] = {UUIDPGetDatum(&tok.user_id),
						 PointerGetDatum(finote_token_hash(&tok))};

		SPI_connect();
		finote_exec(&q, args, NULL);
		SPI_finish();
		finote_token_wipe(&tok);
	}
	PG_RETURN_VOID();
}

/* finote.whoami(token text) RETURNS jsonb */
Datum
finote_whoami(PG_FUNCTION_ARGS)
{
	Datum result;

	SPI_connect();
	result = user_json(finote_session_user(fcinfo));
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * The password of the session's user, for a change that asks for it again
 * (change_password, account_delete): checked against the same attempt
 * budgets as a login (budget, 1.1.3 on) or the per-username throttle of
 * before, so that a stolen session cannot be used to guess the password
 * either. A wrong one is 28P01 with message, and counts. a is filled for
 * finote_attempts_refund.
 *
 * With serialise (1.2.2) the user's row is locked before its hash is read,
 * until the transaction ends: the logins that read the old hash (FOR SHARE,
 * login_user) have committed their sessions when the lock is granted, so
 * the change's revoke sees them, and later logins wait for the change. Two
 * changes, or a change and an account_delete, run one after the other, the
 * second checking the password against the first one's outcome.
 */
static void
verify_current_password(FunctionCallInfo fcinfo, Datum user_id, text *password,
						const char *message, FinoteBudget budget, int addr_argno,
						FinoteAttempts *a, bool serialise)
{
	static FinoteQuery q_user = {
		.sql = "SELECT password_hash, username FROM finote.users WHERE id OPERATOR(pg_catalog.=) $1",
		.nargs = 1,
		.argtypes = {UUIDOID},
	};
	static FinoteQuery q_user_lock = {
		.sql = "SELECT password_hash, username FROM finote.users WHERE id OPERATOR(pg_catalog.=) $1"
			   " FOR NO KEY UPDATE",
		.nargs = 1,
		.argtypes = {UUIDOID},
	};
	char *hash;
	text *username;
	bool  isnull;

	/* Gone while we waited for the lock: an account_delete got there first. */
	if (finote_exec(serialise ? &q_user_lock : &q_user, &user_id, NULL) == 0)
		raise_bad_session();
	hash = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	username = DatumGetTextPP(finote_result_column(0, 2, &isnull));
	if (budget)
	{
		finote_attempts_login_keys(a, budget, username, true, PG_GETARG_DATUM(addr_argno),
								   PG_ARGISNULL(addr_argno));
		finote_attempts_reserve(a, "failed login attempts");
	}
	else
		finote_throttle_check(username);

	if (!finote_password_verify(password, hash, NULL))
	{
		if (!budget)
			finote_throttle_record_failure(username);
		else
			finote_attempts_failed(a);
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_CREDENTIALS),
				 errmsg("%s", message)));
	}
}

/*
 * finote.change_password(token text, current_password text, new_password text)
 * RETURNS void, and from 1.1.3 with client_addr inet. Revokes the user's
 * other sessions; the calling one stays.
 */
static void
change_password(FunctionCallInfo fcinfo, FinoteBudget budget, bool serialise)
{
	static FinoteQuery q_revoke = {
		.sql = "DELETE FROM finote.sessions"
			   " WHERE user_id OPERATOR(pg_catalog.=) $1 AND token_hash OPERATOR(pg_catalog.<>) $2",
		.nargs = 2,
		.argtypes = {UUIDOID, BYTEAOID},
	};
	text		  *token = finote_token_arg(fcinfo);
	text		  *current;
	text		  *new_password;
	bytea		  *session_hash;
	Datum		   user_id;
	FinoteAttempts a;

	SPI_connect();
	user_id = session_lookup(token, &session_hash, false);
	current = finote_arg_text(fcinfo, 1, "current_password");
	new_password = finote_arg_text(fcinfo, 2, "new_password");
	finote_check_password(new_password, "new_password");
	verify_current_password(fcinfo, user_id, current, "current password is incorrect",
							budget, 3, &a, serialise);

	finote_exec(&q_set_password,
				(Datum[]){user_id, CStringGetTextDatum(finote_password_hash(new_password))}, NULL);
	finote_exec(&q_revoke, (Datum[]){user_id, PointerGetDatum(session_hash)}, NULL);
	if (budget)
		finote_attempts_refund(&a);
	SPI_finish();
}

Datum
finote_change_password(PG_FUNCTION_ARGS)
{
	change_password(fcinfo, FINOTE_BUDGET_NONE, false);
	PG_RETURN_VOID();
}

Datum
finote_change_password_1_1_3(PG_FUNCTION_ARGS)
{
	change_password(fcinfo, FINOTE_BUDGET_WORKER, false);
	PG_RETURN_VOID();
}

Datum
finote_change_password_1_2_2(PG_FUNCTION_ARGS)
{
	change_password(fcinfo, FINOTE_BUDGET_SERVER, true);
	PG_RETURN_VOID();
}

/*
 * finote.account_delete(token text, password text, client_addr inet)
 * RETURNS void, 1.2 (1.2.2: with the attempt server's budgets): with the account's password (checked as
 * change_password checks it), the user goes, and with it, by the foreign
 * keys' ON DELETE CASCADE, every row that is theirs: sessions, notes,
 * trash and revisions, in this one transaction. Attempt budgets are kept by
 * key, not by user, and stay to run out as they would have. From 1.2.2
 * (serialise) the password is checked under the row lock, as for
 * change_password.
 */
static void
account_delete(FunctionCallInfo fcinfo, FinoteBudget budget, bool serialise)
{
	static FinoteQuery q_delete = {
		.sql = "DELETE FROM finote.users WHERE id OPERATOR(pg_catalog.=) $1",
		.nargs = 1,
		.argtypes = {UUIDOID},
	};
	Datum		   user_id;
	text		  *password;
	FinoteAttempts a;

	SPI_connect();
	user_id = finote_session_user(fcinfo);
	password = finote_arg_text(fcinfo, 1, "password");
	verify_current_password(fcinfo, user_id, password, "password is incorrect", budget, 2, &a,
							serialise);
	finote_exec(&q_delete, &user_id, NULL);
	finote_attempts_refund(&a);
	SPI_finish();
}

Datum
finote_account_delete_1_2(PG_FUNCTION_ARGS)
{
	account_delete(fcinfo, FINOTE_BUDGET_WORKER, false);
	PG_RETURN_VOID();
}

Datum
finote_account_delete_1_2_2(PG_FUNCTION_ARGS)
{
	account_delete(fcinfo, FINOTE_BUDGET_SERVER, true);
	PG_RETURN_VOID();
}
