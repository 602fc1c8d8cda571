/*
 * finote.h
 *	  Declarations shared by the finote extension's C files.
 *
 * Each .c file has one job: finote.c (module setup and settings), spi.c
 * (prepared queries), password.c (argon2id), token.c (session tokens),
 * wipe.c (zeroing what held a secret), validate.c (input rules of the API),
 * body.c (request bodies as typed JSON), worker.c (work in a transaction of
 * its own), throttle.c (failed-login bookkeeping before 1.1.3), attempts.c
 * (attempt budgets, 1.1.3), attempt_rows.c (their rows), attempt_server.c
 * (the budgets' long-lived worker and attempts in flight, 1.2.2), auth.c
 * (accounts and sessions), notes.c (notes), list.c (the list and its
 * search), cursor.c (the list's cursor),
 * search.c (the words of a search, their patterns and the keys of the
 * search index); from 1.2 revisions.c (a note's history), trash.c (deleted
 * notes), purge.c (what the retention settings expire) and export.c (a
 * user's notes as one JSON document); from 1.3 idempotency.c (writes safe
 * to send twice).
 *
 * Copyright (c) 2026, Finote maintainers
 */
#ifndef FINOTE_H
#define FINOTE_H

#include "postgres.h"
#include "fmgr.h"
#include "executor/spi.h"
#include "datatype/timestamp.h"
#include "postmaster/bgworker.h"
#include "utils/array.h"
#include "utils/uuid.h"

/*
 * Naming of the C entry points (the symbols the SQL scripts name in AS
 * 'MODULE_PATHNAME', 'symbol'). A released symbol is never removed nor
 * changed in behaviour: a database still at that version calls it with
 * today's library. So a function that changes gets a new symbol, and a new
 * entry point carries, from its first version on, the version that
 * introduces it: finote_note_list_1_1_2 is note_list as of 1.1.2, and an
 * entry point new in 1.2 is finote_<name>_1_2, never a bare finote_<name>.
 *
 * The unsuffixed symbols are the older habit, kept because released
 * scripts name them: finote_note_list and the other bare API symbols mean
 * 1.0, finote_note_tags means 1.1 and finote_search_keys 1.1.2.
 * pg_stat_statements went the same way: its bare pg_stat_statements() is
 * the "legacy entry point" of its API 1.0 and 1.1, and every later one is
 * pg_stat_statements_1_N. A version in the name says which SQL declaration
 * a symbol belongs to without reading the scripts.
 */

/*
 * The SQLSTATEs of the API, chosen once; the HTTP shim maps them to statuses
 * (extension/README.md lists them). All but the throttle are standard codes, so a PL/pgSQL
 * caller can catch them by name.
 */
#define FINOTE_ERRCODE_BAD_INPUT	   ERRCODE_INVALID_PARAMETER_VALUE			   /* 22023 */
#define FINOTE_ERRCODE_MISSING_INPUT   ERRCODE_NULL_VALUE_NOT_ALLOWED			   /* 22004 */
#define FINOTE_ERRCODE_BAD_CREDENTIALS ERRCODE_INVALID_PASSWORD					   /* 28P01 */
#define FINOTE_ERRCODE_BAD_SESSION	   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION /* 28000 */
#define FINOTE_ERRCODE_NOT_FOUND	   ERRCODE_NO_DATA_FOUND					   /* P0002 */
#define FINOTE_ERRCODE_CONFLICT		   ERRCODE_UNIQUE_VIOLATION					   /* 23505 */
/* No standard code means "slow down"; PostgREST's PTnnn convention does. */
#define FINOTE_ERRCODE_THROTTLED	   MAKE_SQLSTATE('P', 'T', '4', '2', '9') /* PT429 */
/* 1.2: a write's if_version is not the note's version (HTTP 412). */
#define FINOTE_ERRCODE_STALE_VERSION   MAKE_SQLSTATE('P', 'T', '4', '1', '2') /* PT412 */

/*
 * The search_path of every SQL the extension runs with elevated rights: the
 * API functions' SET clause, and the background worker, which has no such
 * clause. pg_temp last, so that it can shadow nothing.
 */
#define FINOTE_SAFE_SEARCH_PATH "pg_catalog, pg_temp"

/* Settings (finote.c) */
extern int finote_session_lifetime; /* seconds */
extern int finote_password_opslimit;
extern int finote_password_memlimit; /* kB */
extern int finote_login_max_failures;
extern int finote_login_failure_window; /* seconds */
extern int finote_login_account_max_failures;
extern int finote_login_address_max_failures;
extern int finote_register_max_per_address;
extern int finote_register_window; /* seconds */
extern int finote_revisions_keep;
extern int finote_revisions_max_age;		/* seconds */
extern int finote_revision_collapse;		/* seconds */
extern int finote_trash_retention;			/* seconds */
extern int finote_idempotency_key_lifetime; /* seconds */
extern int finote_idempotency_keys_max;

/*
 * A query prepared once per backend (spi.c). Callers declare one static
 * FinoteQuery per statement; the plan is built on first use and kept.
 */
#define FINOTE_MAX_ARGS 9
typedef struct FinoteQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[FINOTE_MAX_ARGS];
	int			cursor_options; /* CURSOR_OPT_*: 0, or how to plan it */
	SPIPlanPtr	plan;
} FinoteQuery;

extern int	  finote_exec(FinoteQuery *q, Datum *values, const char *nulls);
extern int	  finote_exec_latest(FinoteQuery *q, Datum *values, const char *nulls);
extern Datum  finote_exec_value(FinoteQuery *q, Datum *values, const char *nulls,
								bool *found);
extern Datum  finote_result_column(int row, int col, bool *isnull);
extern Portal finote_cursor_open(FinoteQuery *q, Datum *values, const char *nulls);
extern void	  finote_cursor_each(FinoteQuery *q, Datum *values, int fetch_rows,
								 void (*row)(void *arg, int i), void *arg);

/* Search words and index keys (search.c) */
extern int finote_next_word(const char *s, int len, int *pos);
#define FINOTE_SEARCH_MAX_WORDS		 8
#define FINOTE_SEARCH_MAX_WORD_BYTES 64
typedef struct FinoteSearchWords
{
	int	  n;
	int	  bytes; /* of all the words together */
	char *word[FINOTE_SEARCH_MAX_WORDS];
} FinoteSearchWords;
extern void		  finote_search_words(text *q, FinoteSearchWords *words);
extern ArrayType *finote_search_query_keys(const pg_uuid_t		   *user_id,
										   const FinoteSearchWords *words);
extern ArrayType *finote_search_patterns(const FinoteSearchWords *words);

/* Paging: the page size and the list's cursor (cursor.c) */
extern int	 finote_page_limit(FunctionCallInfo fcinfo, int argno);
extern char *finote_cursor_format(bool pinned, TimestampTz updated_at, const pg_uuid_t *id);
extern void	 finote_cursor_parse(text *cursor, bool *pinned, TimestampTz *updated_at,
								 pg_uuid_t *id);

/* Passwords (password.c) */
extern char *finote_password_hash(text *password);
extern bool	 finote_password_verify(text *password, const char *hash, char **rehash);

/* Session tokens (token.c) */
#define FINOTE_TOKEN_SECRET_BYTES 32
#define FINOTE_TOKEN_HASH_BYTES	  32
typedef struct FinoteToken
{
	pg_uuid_t	  user_id;
	unsigned char secret[FINOTE_TOKEN_SECRET_BYTES];
} FinoteToken;

extern char	 *finote_token_format(const FinoteToken *tok);
extern bool	  finote_token_parse(text *t, FinoteToken *tok);
extern bytea *finote_token_hash(const FinoteToken *tok);
extern void	  finote_token_wipe(FinoteToken *tok);
extern text	 *finote_token_arg(FunctionCallInfo fcinfo);

/* Secrets (wipe.c) */
extern void finote_wipe(void *p, size_t len);

/* Input rules (validate.c) */
extern text *finote_arg_text(FunctionCallInfo fcinfo, int argno, const char *name);
extern void	 finote_check_tags(ArrayType *tags);
extern bool	 finote_username_valid(text *username);
extern void	 finote_check_username(text *username);
extern void	 finote_check_password(text *password, const char *name);
extern void	 finote_check_length(text *value, const char *name, int max_chars);

/* A transaction of its own (worker.c) */
extern bool finote_start_worker(const char *function, const char *name, Datum main_arg,
								const void *extra, size_t extra_len,
								BackgroundWorkerHandle **handle);
extern bool finote_run_worker(const char *function, const char *name, Datum main_arg,
							  const void *extra, size_t extra_len);

/* Failed logins (throttle.c) */
extern void finote_throttle_check(text *username);
extern void finote_throttle_record_failure(text *username);
extern void finote_throttle_clear(text *username);

/*
 * Attempt budgets (attempts.c, 1.1.3): an attempt's keys, reserved at once
 * by a background worker; the same struct travels to it in shared memory.
 * From 1.2.2 the keys go to the attempt server (attempt_server.c) instead,
 * which counts failures only: FINOTE_BUDGET_SERVER.
 */
typedef enum FinoteBudget
{
	FINOTE_BUDGET_NONE,	  /* before 1.1.3: throttle.c */
	FINOTE_BUDGET_WORKER, /* 1.1.3 to 1.2.1: a worker per reservation and refund */
	FINOTE_BUDGET_SERVER  /* 1.2.2: the attempt server, failures only */
} FinoteBudget;

#define FINOTE_ATTEMPT_KEYS		 3
#define FINOTE_ATTEMPT_KEY_BYTES 256
typedef struct FinoteAttemptKey
{
	char  key[FINOTE_ATTEMPT_KEY_BYTES];
	int32 limit;
	int32 window; /* seconds */
	bool  fixed;  /* forgotten a window after its first attempt, not after a quiet one */
} FinoteAttemptKey;

typedef struct FinoteAttempts
{
	Oid				 dbid;
	Oid				 ownerid; /* the worker connects as this role */
	Oid				 roleid;  /* and runs its statements as finote_throttle */
	int				 nkeys;
	FinoteAttemptKey keys[FINOTE_ATTEMPT_KEYS];
	bool			 server; /* FINOTE_BUDGET_SERVER */
	bool			 every;	 /* every attempt counts (registrations), not failures only */
	bool			 refund; /* give a successful login's attempt back */
	bool			 done;	 /* the worker committed its decision */
	int32			 wait;	 /* seconds; 0: the attempt is reserved */
} FinoteAttempts;

extern void	 finote_attempts_login_keys(FinoteAttempts *a, FinoteBudget budget, text *username,
										bool name_valid, Datum addr, bool addr_isnull);
extern void	 finote_attempts_register_keys(FinoteAttempts *a, FinoteBudget budget, Datum addr,
										   bool addr_isnull);
extern void	 finote_attempts_reserve(FinoteAttempts *a, const char *what);
extern void	 finote_attempts_refund(FinoteAttempts *a);
extern void	 finote_attempts_failed(FinoteAttempts *a);
extern int32 finote_attempts_row_wait(TimestampTz now, int32 attempts, TimestampTz blocked_until,
									  TimestampTz expires_at, int32 *failures);
extern void	 finote_attempts_purge(void);
extern int32 finote_attempts_count(const FinoteAttempts *req, bool refuse_blocked);

/* The attempt server (attempt_server.c, 1.2.2) */
extern int32 finote_attempt_server_ask(const FinoteAttempts *a);
extern void	 finote_attempt_server_outcome(bool succeeded);

/*
 * Sessions (auth.c): the user of the token in argument 0; 28000 if none. A
 * call that writes checks its session with finote_session_user_for_write:
 * from 1.2.2 (lock_user) that locks the user's row FOR KEY SHARE, so that
 * an account_delete running at the same time either comes first (28000)
 * or waits for the write.
 */
extern Datum finote_session_user(FunctionCallInfo fcinfo);
extern Datum finote_session_user_for_write(FunctionCallInfo fcinfo, bool lock_user);
/*
 * A session's writer id (1.2.1): crypto_generichash's shortest digest; from
 * 1.3 of the session and the writer the client names (tab, or NULL).
 */
#define FINOTE_WRITER_BYTES 16
extern Datum finote_session_user_writer(text *token, bool lock_user, text *tab, bytea **writer);

/*
 * A change of a note from 1.2 (notes.c): the note locked and its version
 * checked against an optional if_version argument, then the change applied,
 * with the revision of the replaced text it calls for. How a
 * change may skip that revision (the collapse of finote.revision_collapse):
 */
typedef enum FinoteCollapse
{
	FINOTE_COLLAPSE_NEVER,		/* always keep the replaced text (restore) */
	FINOTE_COLLAPSE_ANY_WRITER, /* 1.2: onto any recent revision */
	FINOTE_COLLAPSE_SAME_WRITER /* 1.2.1: onto a recent revision of the same writer */
} FinoteCollapse;
extern void	 finote_note_lock(FunctionCallInfo fcinfo, Datum user_id, Datum note_id,
							  int if_version_argno);
extern Datum finote_note_change(Datum user_id, Datum note_id, Datum *fields,
								const char *field_nulls, FinoteCollapse collapse,
								bytea *writer);
extern Datum finote_note_id_arg(FunctionCallInfo fcinfo, int argno);
extern void	 finote_not_found(const char *what);

/*
 * Expiry (purge.c): a note's history trimmed to finote.revisions_keep after
 * a change; at most max_rows rows past the retention settings.
 */
extern void	 finote_revisions_trim(Datum user_id, Datum note_id);
extern int64 finote_purge_expired(int max_rows, bool counts);
#define FINOTE_SWEEP_ROWS 10

/* Idempotency keys (idempotency.c, 1.3): up to max_rows expired ones removed. */
extern int64 finote_idempotency_sweep(int max_rows);

#endif /* FINOTE_H */
