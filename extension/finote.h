/*
 * finote.h
 *	  Declarations shared by the finote extension's C files.
 *
 * Each .c file has one job: finote.c (module setup and settings), spi.c
 * (prepared queries), password.c (argon2id), token.c (session tokens),
 * validate.c (input rules of the contract), throttle.c (failed-login
 * bookkeeping), auth.c (accounts and sessions), notes.c (notes), search.c
 * (the words of a search and the keys of the search index).
 */
#ifndef FINOTE_H
#define FINOTE_H

#include "postgres.h"
#include "fmgr.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/uuid.h"

/*
 * The SQLSTATEs of the API, chosen once; the HTTP shim maps them to statuses
 * (README lists them). All but the throttle are standard codes, so a PL/pgSQL
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

/* Settings (finote.c) */
extern int finote_session_lifetime; /* seconds */
extern int finote_password_opslimit;
extern int finote_password_memlimit; /* kB */
extern int finote_login_max_failures;
extern int finote_login_failure_window; /* seconds */

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

extern int	 finote_exec(FinoteQuery *q, Datum *values, const char *nulls);
extern Datum finote_exec_value(FinoteQuery *q, Datum *values, const char *nulls,
							   bool *found);
extern Datum finote_result_column(int row, int col, bool *isnull);

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

/* Input rules (validate.c) */
extern text *finote_arg_text(FunctionCallInfo fcinfo, int argno, const char *name);
extern text *finote_token_arg(FunctionCallInfo fcinfo);
extern void	 finote_check_tags(ArrayType *tags);
extern bool	 finote_username_valid(text *username);
extern void	 finote_check_username(text *username);
extern void	 finote_check_password(text *password, const char *name);
extern void	 finote_check_length(text *value, const char *name, int max_chars);
extern void	 finote_wipe(void *p, size_t len);

/* Failed logins (throttle.c) */
extern void finote_throttle_check(text *username);
extern void finote_throttle_record_failure(text *username);
extern void finote_throttle_clear(text *username);

/* Sessions (auth.c), used by notes.c */
extern Datum finote_session_user(text *token);

#endif /* FINOTE_H */
