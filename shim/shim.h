/*
 * shim.h: declarations shared by the files of finote-shim.
 *
 * finote-shim maps the HTTP API (openapi.json) onto the SQL functions of the
 * finote extension. It holds no business logic: a route is a row of SQL,
 * Postgres parses the JSON, and the one SQLSTATE table turns errors into
 * HTTP statuses.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#ifndef FINOTE_SHIM_H
#define FINOTE_SHIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <civetweb.h>
#include <libpq-fe.h>

#define BODY_MAX  (1024 * 1024) /* request body limit (413 past it) */
#define TOKEN_MAX 512			/* longest session token we accept */

/* config.c: the environment, read and checked once at start */
struct config
{
	int			  port;
	const char	 *listen_addr;
	const char	 *database_url;
	char		 *db_options;	   /* libpq "options": ours, then the URL's or PGOPTIONS (config.c) */
	const char	 *session_name;	   /* SESSION_NAME */
	char		  cookie_name[80]; /* what Set-Cookie names: __Host-SESSION_NAME or SESSION_NAME */
	bool		  host_prefix;	   /* FINOTE_COOKIE_HOST_PREFIX, in production */
	unsigned char session_key[32]; /* crypto_auth key from SESSION_SECRET */
	char		**cors_origins;	   /* NULL-terminated list, may be empty */
	char		 *cors_buf;		   /* the strings cors_origins points into */
	int			  pool_max;
	int			  pool_wait_ms;
	int			  db_wait_ms; /* FINOTE_DB_WAIT_MS: riding through a database away */
	bool		  prepare;	  /* FINOTE_PREPARE: route statements prepared per connection */
	int			  request_timeout_ms;
	int			  header_timeout_ms;	/* FINOTE_HEADER_TIMEOUT_MS */
	int			  statement_timeout_ms; /* FINOTE_STATEMENT_TIMEOUT_MS */
	int			  threads;
	int			  thread_stack_kb;	/* FINOTE_THREAD_STACK_KB */
	int			  hash_concurrency; /* FINOTE_HASH_CONCURRENCY */
	int			  hash_wait_ms;		/* FINOTE_HASH_WAIT_MS */
	bool		  production;
	char		 *web_root;				  /* realpath of FINOTE_WEB_ROOT or NULL */
	int			  export_max;			  /* FINOTE_EXPORT_MAX: exports running at once */
	int			  export_timeout_ms;	  /* FINOTE_EXPORT_TIMEOUT_MS: the export statement's */
	int			  export_send_timeout_ms; /* FINOTE_EXPORT_SEND_TIMEOUT_MS: its sending */
	const char	 *export_dir;			  /* FINOTE_EXPORT_DIR: where exports are spooled */
	int			  export_max_bytes;		  /* FINOTE_EXPORT_MAX_BYTES: the largest spool */
	int			  import_max_bytes;		  /* FINOTE_IMPORT_MAX_BYTES: POST /api/import's body */
	int			  import_max;			  /* FINOTE_IMPORT_MAX: bodies over 1 MiB held at once */
	int			  import_timeout_ms;	  /* FINOTE_IMPORT_TIMEOUT_MS: its statement's */
};
extern struct config cfg;
extern int			 config_load(void);
extern void			 config_free(void);
extern void			 config_db_options(void);

/* One request as it travels through the shim (handler.c). */
struct req
{
	struct mg_connection		 *conn;
	const struct mg_request_info *ri;
	const char					 *path;		   /* raw path, no query string */
	int							  method;	   /* METHOD_* index */
	int							  label;	   /* metrics route label */
	const char					 *cors_origin; /* echoed when the Origin is allowed */
	bool						  close;	   /* answer with Connection: close */
	int							  status;	   /* what was sent, for log and metrics */
	long long					  bytes_sent;
	double						  started;				/* monotonic seconds */
	PGconn						 *db;					/* taken before routing on a cold start; the call uses it */
	int							  statement_timeout_ms; /* the route's own, or 0: FINOTE_STATEMENT_TIMEOUT_MS */
	FILE						 *spool;				/* an import's body (bodyparts.c), or NULL */
};

/* http.c: responses, limits, body reading */
enum
{
	METHOD_GET,
	METHOD_HEAD,
	METHOD_POST,
	METHOD_PUT,
	METHOD_PATCH,
	METHOD_DELETE,
	METHOD_OPTIONS,
	METHOD_OTHER,
	METHOD_COUNT
};
extern const char *const method_names[METHOD_COUNT];
extern int				 method_index(const char *name);
extern void				 http_send(struct req *rq, int status, const char *content_type,
								   const char *body, size_t len, const char *const *headers);
extern void				 http_send_json(struct req *rq, int status, const char *json,
										const char *const *headers);
extern void				 http_send_error(struct req *rq, int status, const char *code,
										 const char *message, const char *const *headers);
extern void				 http_send_error_with(struct req *rq, int status, const char *code,
											  const char *message, const char *object,
											  const char *const *headers);
extern void				 http_send_unavailable(struct req *rq);
extern void				 http_send_head(struct req *rq, int status, const char *content_type,
										long long len, const char *const *headers);
enum body_result
{
	BODY_OK,
	BODY_TOO_LARGE,
	BODY_TIMEOUT,
	BODY_BROKEN,
	BODY_SPOOL_FAILED
};
extern enum body_result http_read_body(struct req *rq, size_t max, char **out, size_t *len);
extern enum body_result http_spool_body(struct req *rq, size_t max, FILE *file, size_t *len);

/* watchdog.c: reads of a body end at their deadline */
struct watch
{
	struct watch				 *next;
	double						  deadline;
	const struct mg_request_info *ri;
	bool						  fired;
};
extern int	client_socket(const struct mg_request_info *ri);
extern void watchdog_add(struct watch *w);
extern void watchdog_remove(struct watch *w);
extern void watchdog_start(void);
extern void watchdog_stop(void);

/* conn.c: connections held by workers, keep-alive, closing */
extern int	conn_opened(const struct mg_connection *conn, void **conn_data);
extern void conn_closed(const struct mg_connection *conn);
extern int	conn_open_count(void);
extern bool conn_workers_scarce(void);
extern void conn_close_after(struct req *rq);

/* headers.c: request head checks civetweb does not make */
extern bool head_check(struct req *rq);

/* clock.c */
extern double		   now_seconds(void);
extern struct timespec deadline_in_ms(int ms);
extern void			   cond_init_monotonic(pthread_cond_t *cond);

/* A thread's cache of the wall clock's current second, formatted. */
enum wall_format
{
	WALL_ISO8601, /* 2026-11-21T23:29:45Z, the access log's */
	WALL_HTTP	  /* Sat, 21 Nov 2026 23:29:45 GMT, the Date header's */
};
struct wall_second
{
	time_t last;
	char   text[40];
};
extern const char *wall_second(struct wall_second *cache, enum wall_format format);

/*
 * Extension versions, major.minor.patch as one number that compares like the
 * versions do (1.1.2 < 1.1.3 < 1.2); version.c parses and formats them.
 */
#define VERSION(major, minor, patch) ((major) *10000 + (minor) *100 + (patch))
#define VERSION_1_0					 VERSION(1, 0, 0)
#define VERSION_1_1					 VERSION(1, 1, 0)
#define VERSION_1_1_3				 VERSION(1, 1, 3)
#define VERSION_1_2					 VERSION(1, 2, 0)
#define VERSION_1_3					 VERSION(1, 3, 0)
#define VERSION_NEWEST				 VERSION_1_3 /* the newest one the route table speaks */
extern int	version_parse(const char *s);
extern void version_format(int version, char *out, size_t outlen);
/* routes.c: the route table */
enum auth
{
	AUTH_NONE,
	AUTH_OPTIONAL,
	AUTH_REQUIRED
};
enum session_effect
{
	SESSION_KEEP,
	SESSION_SET,
	SESSION_CLEAR
};
enum answer
{
	ANSWER_ROW,	   /* column 1 is the body, as it is */
	ANSWER_ETAG,   /* column 1 is the body, column 2 the note's version: ETag */
	ANSWER_STREAM, /* every row is a piece of the body, in order (export.c) */
};
struct route
{
	int					since; /* first extension version it works with */
	const char		   *method;
	const char		   *pattern; /* "{id}", "{rev}" match one UUID segment each */
	enum auth			auth;
	bool				json_body;
	int					status; /* on success */
	enum session_effect session;
	const char		   *sql; /* the call; NULL for a builtin */
	void (*builtin)(struct req *rq);
	enum answer answer;
	/*
	 * The note's path ("/api/notes/{id}") when the route takes If-Match:
	 * its version goes to $9, and on a 412 the body carries what GET on
	 * that path answers (the current note and its ETag). NULL: If-Match is
	 * not looked at.
	 */
	const char *if_match;
	/*
	 * 1.3: the row a request with an Idempotency-Key takes instead of the
	 * row of the same method and pattern (routes.c, KEYED; handler.c). Its
	 * statement answers the body, the ETag and whether it was replayed.
	 */
	bool keyed;
	/*
	 * 1.3: a route whose body and statement are larger than any other's
	 * (POST /api/import): its body limit and statement timeout, cfg fields;
	 * NULL: BODY_MAX and FINOTE_STATEMENT_TIMEOUT_MS.
	 */
	const int *body_max;
	const int *timeout_ms;
};
/* The UUID segments of a path: {id} and {rev}. */
struct path_ids
{
	char id[40];
	char rev[40];
};
extern const struct route  routes[];
extern const int		   n_routes;
extern void				   routes_init(void);
extern const struct route *route_match(const char *path, int method, int version,
									   struct path_ids *ids,
									   char *allow, size_t allowlen,
									   int *label);
extern const struct route *route_keyed(const struct route *route, int version);
extern size_t			   route_body_max(const char *path, int method);
extern void				   routes_print(void);
extern void				   routes_print_sql(void);

/* gate.c: bounded concurrent password hashing */
extern bool gate_needed(const struct route *route);
extern bool gate_enter(void);
extern void gate_leave(void);

/* dbwait.c: the wait for a statement's answer, its timeout and cancel */
enum db_outcome
{
	DB_DONE,		  /* the statement finished, or failed: see the answer */
	DB_NO_CONNECTION, /* none free within FINOTE_POOL_WAIT_MS, or none opens */
	DB_TIMEOUT,		  /* no answer even to the cancel: connection dropped */
	DB_CLIENT_GONE	  /* the client hung up: statement cancelled */
};
extern PGresult *db_wait(PGconn *db, struct req *rq, enum db_outcome *outcome);

/* dbcall.c: a route's statement, bounded in time, its answer copied out */
#define ROUTE_PARAMS	  13 /* every statement's text parameters, $1..$13 */
#define DB_ANSWER_COLUMNS 3
/* their types, all text (routes.c) */
extern const Oid route_param_types[ROUTE_PARAMS];
struct db_answer
{
	enum db_outcome outcome;
	PGresult	   *res; /* off the connection: the strings below point into it */
	bool			row; /* one row came back; value[] holds its columns */
	const char	   *value[DB_ANSWER_COLUMNS];
	char			sqlstate[6]; /* otherwise; "" when there is none */
	const char	   *message;	 /* primary message */
	const char	   *detail;
	const char	   *log;	  /* libpq's whole message, for 5xx logging */
	char		   *log_copy; /* when there is no result to point into */
};
extern void db_call(struct req *rq, const struct route *route,
					const char *const *params, struct db_answer *a);
extern void db_take_answer(struct db_answer *a, PGconn *db, PGresult *res);
extern void db_answer_free(struct db_answer *a);

/* spool.c: files for what is too large for memory */
#define SPOOL_DIGEST_HEX 65
extern FILE		  *spool_open(void);
extern const char *spool_check_json(FILE *f, char digest[SPOOL_DIGEST_HEX]);

/* bodyparts.c: a spooled body sent to the database in parts, in one transaction */
extern bool		 parts_send(struct req *rq, PGconn *db, PGresult **failed,
							enum db_outcome *outcome);
extern PGresult *parts_end(struct req *rq, PGconn *db, PGresult *res, enum db_outcome *outcome);

/* export.c: a streamed answer, spooled so that no connection waits on the client */
extern void export_run(struct req *rq, const struct route *route,
					   const char *const *params);

/* ifmatch.c: the If-Match header as a version */
enum if_match
{
	IF_MATCH_NONE,	   /* absent, or "*": no condition */
	IF_MATCH_VERSION,  /* one strong entity tag of digits */
	IF_MATCH_MALFORMED /* anything else: 400 */
};
extern enum if_match if_match_parse(const char *header, char *version, size_t len);

/* idemkey.c: the Idempotency-Key header */
#define IDEM_KEY_MAX 255 /* bytes */
enum idem_key
{
	IDEM_KEY_NONE,
	IDEM_KEY_GIVEN,
	IDEM_KEY_MALFORMED
};
extern enum idem_key idem_key_header(const struct req *rq, char *key, size_t len);

/* handler.c: the flow of one request */
extern void handler_init(void);
extern int	handle_request(struct mg_connection *conn);
extern void handler_drain(int timeout_ms);
extern int	handle_civetweb_error(struct mg_connection *conn, int status,
								  const char *msg);

/* accesslog.c */
extern void access_log_start(void);
extern void access_log_stop(void);
extern void access_log(const struct req *rq);

/* errors.c: SQLSTATE -> HTTP */
struct pg_error
{
	int			status;
	const char *code;
	const char *message; /* NULL: pass the database's message */
};
extern const struct pg_error *error_for_sqlstate(const char *sqlstate);
extern int					  retry_after_seconds(const char *detail);
extern bool					  answer_db_unanswered(struct req *rq, const struct db_answer *a);
extern void					  answer_db_error(struct req *rq, const struct route *route,
											  const struct db_answer *a);

/* pool.c */
extern void		 pool_init(void);
extern PGresult *pool_query_version(PGconn *conn);
extern int		 pool_extension_version(void);
extern PGconn	*pool_acquire(void);
extern PGconn	*pool_acquire_by(double until);
extern void		 pool_release(PGconn *conn);
extern void		 pool_drop(PGconn *conn);
extern void		 pool_close(void);
extern void		 pool_counts(int *in_use, int *idle);
extern bool		 pool_is_prepared(PGconn *conn, int stmt);
extern void		 pool_set_prepared(PGconn *conn, int stmt);

/* cookie.c */
extern void	 cookie_set_key(const char *secret);
extern char *cookie_sign(const char *token);
extern bool	 cookie_verify(const char *value, char *token, size_t tokenlen);
enum cookie_count
{
	COOKIE_NONE,
	COOKIE_ONE,
	COOKIE_AMBIGUOUS /* two or more: no session (401) */
};
extern enum cookie_count cookie_find(const struct mg_request_info *ri, char *value, size_t len);

/* clientaddr.c */
extern int	trusted_proxies_load(const char *spec);
extern void trusted_proxies_free(void);
extern void client_address(const struct req *rq, char *out, size_t outlen);

/* cors.c */
extern const char *cors_allowed(const char *origin);

/* wipe.c */
extern void wipe_free(void *p, size_t len);
extern void wipe_clear(PGresult *res);

/* utf8.c */
extern bool	  utf8_valid(const char *text, size_t len);
extern size_t utf8_cut(const char *text, size_t len);

/* origin.c */
extern bool origin_may_change_state(const struct req *rq, const struct route *route);

/* metrics.c */
extern int	metrics_label(const char *name);
extern void metrics_observe_request(int label, int method, int status,
									double seconds);
extern void metrics_observe_pool_wait(double seconds, bool timed_out);
extern void metrics_db_error(const char *kind);
extern void metrics_db_reconnect(void);
extern void metrics_db_retry(const char *reason);
extern void metrics_init(void);
extern void metrics_serve(struct req *rq, int in_use, int idle);

/* probes.c */
extern void probe_healthz(struct req *rq);
extern void probe_readyz(struct req *rq);
extern void probe_metrics(struct req *rq);
extern void openapi_serve(struct req *rq);

/* static.c */
extern bool static_serve(struct req *rq);

#endif /* FINOTE_SHIM_H */
