/*
 * handler.c: the life of one request, from civetweb's begin_request to the
 * access log line.
 *
 * It runs as civetweb's begin_request callback, that is before civetweb's
 * own CORS preflight answer, authorization and file serving, so every
 * request is ours: routed, bounded and answered with the contract's JSON.
 * The order of checks is: the head (headers.c), body within limits, route
 * (404/405, preflight), session, content type, If-Match (ifmatch.c) for the
 * routes that take it, the Idempotency-Key (idemkey.c) for the routes
 * with a keyed row, a turn to hash a password (gate.c) for the routes
 * that do, then the single database call (dbcall.c), or the streamed one
 * of an export (export.c). Only a 412 makes a second call: the current
 * note, sent beside the error.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "shim.h"

#define QUERY_VALUE_MAX 1024

static int label_static = -1;
static int label_unmatched = -1;

/* Requests being handled, and whether we are stopping (handler_drain). */
static int	in_flight;
static bool draining;

/* Query parameters and the index of their $n (routes.c documents them). */
static const struct
{
	const char *name;
	int			param;
} query_params[] = {{"q", 3}, {"limit", 4}, {"cursor", 5}, {"tag", 6}, {"revisions", 10}};
#define N_QUERY_PARAMS (sizeof(query_params) / sizeof(query_params[0]))

static void
finish(struct req *rq)
{
	int label = rq->label >= 0 ? rq->label : label_unmatched;

	access_log(rq);
	metrics_observe_request(label, rq->method, rq->status,
							now_seconds() - rq->started);
}

/*
 * The session token: Authorization: Bearer first, else the signed cookie.
 * *ambiguous tells that there were two session cookies (cookie.c).
 */
static bool
session_token(struct req *rq, char *token, size_t len, bool *ambiguous)
{
	const char *auth = mg_get_header(rq->conn, "Authorization");
	char		value[2 * TOKEN_MAX];
	size_t		n;
	bool		found;

	*ambiguous = false;
	if (auth)
	{
		if (strncasecmp(auth, "Bearer ", 7) != 0)
			return false;
		auth += 7;
		while (*auth == ' ')
			auth++;
		n = strlen(auth);
		if (n == 0 || n >= len)
			return false;
		for (size_t i = 0; i < n; i++)
			if (auth[i] <= 32 || auth[i] >= 127)
				return false;
		memcpy(token, auth, n + 1);
		return true;
	}
	switch (cookie_find(rq->ri, value, sizeof(value)))
	{
		case COOKIE_NONE:
			return false;
		case COOKIE_AMBIGUOUS:
			*ambiguous = true;
			return false;
		case COOKIE_ONE:
			break;
	}
	found = cookie_verify(value, token, len);
	sodium_memzero(value, sizeof(value));
	return found;
}

static bool
is_json_content_type(const char *ct)
{
	size_t n = strlen("application/json");

	if (!ct || strncasecmp(ct, "application/json", n) != 0)
		return false;
	ct += n;
	while (*ct == ' ')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static void
session_cookie(char *out, size_t len, const char *name, const char *value, long long max_age)
{
	snprintf(out, len, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%lld%s",
			 name, value, max_age, cfg.production ? "; Secure" : "");
}

/*
 * The answer to a logout: the route's status and cookies that expire now,
 * the plain-named one too while the prefixed one replaces it (cookie.c).
 */
static void
answer_session_cleared(struct req *rq, const struct route *route)
{
	char			  cookie[256];
	char			  plain[256];
	const char *const headers[] = {"Set-Cookie", cookie,
								   cfg.host_prefix ? "Set-Cookie" : NULL, plain, NULL};

	session_cookie(cookie, sizeof(cookie), cfg.cookie_name, "", 0);
	session_cookie(plain, sizeof(plain), cfg.session_name, "", 0);
	http_send(rq, route->status, NULL, NULL, 0, headers);
}

/* Preflight and plain OPTIONS on a known path. */
static void
answer_options(struct req *rq, const char *allow)
{
	const char *origin = mg_get_header(rq->conn, "Origin");

	if (origin && mg_get_header(rq->conn, "Access-Control-Request-Method"))
	{
		const char *const headers[] = {
			"Access-Control-Allow-Methods", allow,
			"Access-Control-Allow-Headers", "Content-Type, Authorization, If-Match, Idempotency-Key",
			"Access-Control-Max-Age", "600",
			NULL};

		if (!rq->cors_origin)
			http_send_error(rq, 403, "origin_not_allowed",
							"this origin may not call the API", NULL);
		else
			http_send(rq, 204, NULL, NULL, 0, headers);
	}
	else
	{
		const char *const headers[] = {"Allow", allow, NULL};

		http_send(rq, 204, NULL, NULL, 0, headers);
	}
}

/* The strong ETag of a note at version (its digits, as the database gave them). */
static void
etag_of(char *out, size_t len, const char *version)
{
	snprintf(out, len, "\"%.20s\"", version ? version : "");
}

/*
 * A 412: the change was refused because the note is at another version. The
 * body is the error and, beside it, the note as it is now with its ETag (what
 * GET on route->if_match answers), so that the client can show both texts
 * without another round trip. If the note cannot be read (deleted meanwhile),
 * the plain error.
 */
static void
answer_precondition_failed(struct req *rq, const struct route *route,
						   const struct db_answer *failed, const char *const *params)
{
	struct path_ids		ids = {"", ""};
	char				path[64];
	char				allow[64];
	int					label;
	const char		   *id = params[2] ? params[2] : "";
	const struct route *get;
	struct db_answer	a;

	snprintf(path, sizeof(path), "%.*s%s", (int) strcspn(route->if_match, "{"),
			 route->if_match, id);
	get = route_match(path, METHOD_GET, pool_extension_version(), &ids, allow,
					  sizeof(allow), &label);
	if (!get || get->answer != ANSWER_ETAG)
	{
		answer_db_error(rq, route, failed);
		return;
	}
	db_call(rq, get, params, &a);
	if (a.outcome == DB_DONE && a.row && a.value[0])
	{
		char				   etag[32];
		const char *const	   headers[] = {"ETag", etag, NULL};
		const struct pg_error *pe = error_for_sqlstate(failed->sqlstate);

		etag_of(etag, sizeof(etag), a.value[1]);
		/* the database's message is safe by contract: "... since version N" */
		http_send_error_with(rq, pe->status, pe->code,
							 failed->message ? failed->message : pe->code, a.value[0], headers);
	}
	else
		answer_db_error(rq, route, failed);
	db_answer_free(&a);
}

/* Run the route's statement, then answer from its copied-out result. */
static void
call_database(struct req *rq, const struct route *route, const char *const *params)
{
	struct db_answer a;
	char			 cookie[1024];
	/* a keyed row's third column: the answer kept for its key */
	bool replayed;

	rq->statement_timeout_ms = route->timeout_ms ? *route->timeout_ms : 0;
	db_call(rq, route, params, &a);
	replayed = route->keyed && a.row && a.value[2] && strcmp(a.value[2], "true") == 0;
	if (answer_db_unanswered(rq, &a))
		;
	else if (!a.row && route->if_match && strcmp(a.sqlstate, "PT412") == 0)
		answer_precondition_failed(rq, route, &a, params);
	else if (!a.row)
		answer_db_error(rq, route, &a);
	else if (route->session == SESSION_CLEAR)
		answer_session_cleared(rq, route);
	else if (route->status == 204)
		http_send(rq, 204, NULL, NULL, 0, NULL);
	else if (!a.value[0])
		answer_db_error(rq, route, &a);
	else if (route->session == SESSION_SET)
	{
		char *signed_value = cookie_sign(a.value[1] ? a.value[1] : "");
		char  plain[256];
		/* the plain-named cookie of an older login goes (cookie.c) */
		const char *const headers[] = {"Set-Cookie", cookie,
									   cfg.host_prefix ? "Set-Cookie" : NULL, plain, NULL};

		if (!signed_value)
			abort();
		session_cookie(cookie, sizeof(cookie), cfg.cookie_name, signed_value,
					   atoll(a.value[2] ? a.value[2] : "0"));
		session_cookie(plain, sizeof(plain), cfg.session_name, "", 0);
		wipe_free(signed_value, strlen(signed_value));
		http_send_json(rq, route->status, a.value[0], headers);
		sodium_memzero(cookie, sizeof(cookie));
	}
	else if (route->answer == ANSWER_ETAG && a.value[1])
	{
		char			  etag[32];
		const char *const headers[] = {"ETag", etag,
									   replayed ? "Idempotent-Replayed" : NULL, "true", NULL};

		etag_of(etag, sizeof(etag), a.value[1]);
		http_send_json(rq, route->status, a.value[0], headers);
	}
	else
	{
		const char *const headers[] = {replayed ? "Idempotent-Replayed" : NULL, "true", NULL};

		http_send_json(rq, route->status, a.value[0], headers);
	}
	/* a login's row holds its token: wiped, not only freed */
	if (route->session == SESSION_SET)
	{
		wipe_clear(a.res);
		a.res = NULL;
	}
	db_answer_free(&a);
}

/*
 * The If-Match header, when the route takes one: true with $9 set (or left
 * NULL: no condition), false when answered with 400. Two If-Match headers
 * are refused too: civetweb would show us only the first.
 */
static bool
if_match_param(struct req *rq, const struct route *route, char *version, size_t len,
			   const char **param)
{
	int n = 0;

	if (!route->if_match)
		return true;
	for (int i = 0; i < rq->ri->num_headers; i++)
		n += strcasecmp(rq->ri->http_headers[i].name, "If-Match") == 0;
	switch (n > 1 ? IF_MATCH_MALFORMED
				  : if_match_parse(mg_get_header(rq->conn, "If-Match"), version, len))
	{
		case IF_MATCH_NONE:
			return true;
		case IF_MATCH_VERSION:
			*param = version;
			return true;
		case IF_MATCH_MALFORMED:
			break;
	}
	http_send_error(rq, 400, "invalid_input",
					"If-Match must be * or one ETag this server gave, like \"3\"", NULL);
	return false;
}

/*
 * The Idempotency-Key, when the route has a keyed row at the database's
 * version: true with *route the keyed row, $12 the key and $13 the request
 * (method and path, which with the body the database compares), or with
 * nothing changed when there is no key; false when answered with 400.
 * Without a keyed row (an older database) the header is not looked at, as
 * before 1.3.
 */
static bool
idempotency_key_param(struct req *rq, const struct route **route, char *key, size_t keylen,
					  char *request, size_t reqlen, const char **params)
{
	const struct route *keyed = route_keyed(*route, pool_extension_version());

	if (!keyed)
		return true;
	switch (idem_key_header(rq, key, keylen))
	{
		case IDEM_KEY_NONE:
			return true;
		case IDEM_KEY_GIVEN:
			snprintf(request, reqlen, "%s %s", (*route)->method, rq->path);
			params[11] = key;
			params[12] = request;
			*route = keyed;
			return true;
		case IDEM_KEY_MALFORMED:
			break;
	}
	http_send_error(rq, 400, "invalid_input",
					"Idempotency-Key must be one header of 1 to 255 visible ASCII characters",
					NULL);
	return false;
}

/*
 * Is body (in memory) the text of a JSON object the database may be sent?
 * If not, answered with 400: the database's errors would quote its bytes.
 */
static bool
json_object_body(struct req *rq, const char *body, size_t body_len)
{
	const char *p = body;

	while (p && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (!p || *p != '{' || strlen(body) != body_len)
	{
		http_send_error(rq, 400, "invalid_json", "the body must be a JSON object", NULL);
		return false;
	}
	if (!utf8_valid(body, body_len))
	{
		http_send_error(rq, 400, "invalid_json", "the body must be UTF-8", NULL);
		return false;
	}
	return true;
}

/*
 * A matched database route: origin, session, content type, parameters, the
 * call. body is the request body (NUL-terminated) or NULL; token the
 * session's, or NULL.
 */
static void
call_route(struct req *rq, const struct route *route, const struct path_ids *ids,
		   const char *body, size_t body_len, const char *token, bool ambiguous)
{
	char		query[N_QUERY_PARAMS][QUERY_VALUE_MAX];
	char		client[64];
	char		version[24];
	char		key[IDEM_KEY_MAX + 1];
	char		request[256];
	char		digest[SPOOL_DIGEST_HEX];
	const char *params[ROUTE_PARAMS] = {token, NULL, ids->id[0] ? ids->id : NULL};
	const char *qs = rq->ri->query_string;

	if (!origin_may_change_state(rq, route))
	{
		http_send_error(rq, 403, "origin_not_allowed",
						"a change made with the session cookie must come from this site "
						"or an origin in CORS_ORIGIN",
						NULL);
		return;
	}
	client_address(rq, client, sizeof(client));
	params[7] = client[0] ? client : NULL;

	if (route->auth != AUTH_NONE && ambiguous)
	{
		http_send_error(rq, 401, "unauthorized",
						"more than one session cookie: which session is meant is unknown", NULL);
		return;
	}
	if (route->auth == AUTH_REQUIRED && !token)
	{
		http_send_error(rq, 401, "unauthorized", "missing, invalid or expired session", NULL);
		return;
	}
	if (route->auth == AUTH_OPTIONAL && !token && route->session == SESSION_CLEAR)
	{
		/* logging out without a session: nothing to revoke, clear the cookie */
		answer_session_cleared(rq, route);
		return;
	}
	if (route->json_body)
	{
		if (!is_json_content_type(mg_get_header(rq->conn, "Content-Type")))
		{
			http_send_error(rq, 415, "unsupported_media_type",
							"the body must be application/json", NULL);
			return;
		}
		if (rq->spool)
		{
			/* the database reads the body from its parts; a key's claim compares its digest */
			const char *wrong = spool_check_json(rq->spool, digest);

			if (wrong)
			{
				http_send_error(rq, 400, "invalid_json", wrong, NULL);
				return;
			}
			params[1] = digest;
		}
		else if (!json_object_body(rq, body, body_len))
			return;
		else
			params[1] = body;
	}
	params[9] = ids->rev[0] ? ids->rev : NULL;
	if (!if_match_param(rq, route, version, sizeof(version), &params[8]) ||
		!idempotency_key_param(rq, &route, key, sizeof(key), request, sizeof(request), params))
		return;
	for (size_t i = 0; i < N_QUERY_PARAMS && qs; i++)
	{
		int n = mg_get_var2(qs, strlen(qs), query_params[i].name, query[i],
							sizeof(query[i]), 0);

		if (n == -2)
		{
			http_send_error(rq, 400, "invalid_input", "a query parameter is too long", NULL);
			return;
		}
		/* mg_get_var2 decodes %00 too: a value cut at its NUL is another value */
		if (n > 0 && strlen(query[i]) != (size_t) n)
		{
			http_send_error(rq, 400, "invalid_input", "a query parameter holds a NUL byte", NULL);
			return;
		}
		if (n > 0 && !utf8_valid(query[i], (size_t) n))
		{
			http_send_error(rq, 400, "invalid_input", "a query parameter must be UTF-8", NULL);
			return;
		}
		/* absent and empty are the same: the function's default */
		params[query_params[i].param] = n > 0 ? query[i] : NULL;
	}
	if (route->answer == ANSWER_STREAM)
		export_run(rq, route, params);
	else if (!gate_needed(route))
		call_database(rq, route, params);
	else if (gate_enter())
	{
		call_database(rq, route, params);
		gate_leave();
	}
	else
		http_send_error(rq, 503, "unavailable",
						"too many logins at once; try again shortly", NULL);
}

/* The session token lives in this frame only, and is wiped once answered. */
static void
run_route(struct req *rq, const struct route *route, const struct path_ids *ids,
		  const char *body, size_t body_len)
{
	char token[TOKEN_MAX + 1];
	bool ambiguous;
	bool found = session_token(rq, token, sizeof(token), &ambiguous);

	call_route(rq, route, ids, body, body_len, found ? token : NULL, ambiguous);
	sodium_memzero(token, sizeof(token));
}

/* Whether any version of the API has the path: else it is 404 whatever the database. */
static bool
path_known(const char *path)
{
	struct path_ids ids = {"", ""};
	char			allow[128];
	int				label;

	route_match(path, METHOD_GET, INT_MAX, &ids, allow, sizeof(allow), &label);
	return label >= 0;
}

/*
 * The extension version that selects route rows. The pool learns it with
 * every new connection; before the first one, a request for a path of the
 * API takes one, which learns it, and keeps it in rq->db for its call
 * (db_call), so that a cold start costs one connection, not two; a path no
 * version knows waits for no database. Unknown (database down since the
 * start) means 1.0, which every version answers.
 */
static int
extension_version(struct req *rq)
{
	int v = pool_extension_version();

	if (v == 0 && strncmp(rq->path, "/api/", 5) == 0 && path_known(rq->path))
	{
		rq->db = pool_acquire();
		v = pool_extension_version();
	}
	return v ? v : VERSION_1_0;
}

static bool
reserved_path(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 ||
		   strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 ||
		   strcmp(path, "/metrics") == 0;
}

/*
 * Requests holding a body larger than BODY_MAX (an import's) now: each may
 * cost FINOTE_IMPORT_MAX_BYTES of disk in its spool and of memory in its
 * database transaction, and the body is read before the session is known,
 * so their number is bounded (FINOTE_IMPORT_MAX) rather than left to the
 * worker threads.
 */
static int large_bodies;

static void
dispatch_body(struct req *rq, size_t body_max, bool spooled)
{
	struct path_ids		ids = {"", ""};
	char				allow[128];
	char			   *body = NULL;
	size_t				body_len = 0;
	const struct route *route;
	bool				has_body = rq->ri->content_length > 0 ||
					mg_get_header(rq->conn, "Transfer-Encoding") != NULL;

	if (has_body && spooled && !(rq->spool = spool_open()))
	{
		fprintf(stderr, "finote-shim: import: cannot spool its body in FINOTE_EXPORT_DIR: %s\n",
				strerror(errno));
		rq->close = true; /* its body is not read */
		http_send_error(rq, 503, "unavailable", "the import cannot be received now", NULL);
		return;
	}
	if (has_body)
	{
		switch (rq->spool ? http_spool_body(rq, body_max, rq->spool, &body_len)
						  : http_read_body(rq, body_max, &body, &body_len))
		{
			case BODY_OK:
				break;
			case BODY_SPOOL_FAILED:
				fprintf(stderr, "finote-shim: import: cannot spool its body in FINOTE_EXPORT_DIR\n");
				http_send_error(rq, 503, "unavailable", "the import cannot be received now", NULL);
				return;
			case BODY_TOO_LARGE:
			{
				char message[64];

				snprintf(message, sizeof(message), "the body is over the %zu byte limit",
						 body_max);
				http_send_error(rq, 413, "payload_too_large",
								body_max == BODY_MAX ? "the body is over the 1 MiB limit"
													 : message,
								NULL);
				return;
			}
			case BODY_TIMEOUT:
				http_send_error(rq, 408, "request_timeout",
								"the body did not arrive in time", NULL);
				return;
			case BODY_BROKEN:
				http_send_error(rq, 400, "bad_request",
								"the body is incomplete or malformed", NULL);
				return;
		}
	}

	route = route_match(rq->path, rq->method, extension_version(rq), &ids,
						allow, sizeof(allow), &rq->label);
	if (rq->db && (!route || route->builtin))
	{
		pool_release(rq->db); /* no call to use it */
		rq->db = NULL;
	}
	/* %00 matches no row, but the path cut at the NUL could name an {id} or a file */
	if (strstr(rq->path, "%00"))
		http_send_error(rq, 400, "invalid_input", "the path holds a NUL byte", NULL);
	else if (!route && rq->label >= 0)
	{
		const char *const headers[] = {"Allow", allow, NULL};

		if (rq->method == METHOD_OPTIONS)
			answer_options(rq, allow);
		else
			http_send_error(rq, 405, "method_not_allowed",
							"this path does not take that method", headers);
	}
	else if (!route)
	{
		if ((rq->method == METHOD_GET || rq->method == METHOD_HEAD) &&
			!reserved_path(rq->path) && static_serve(rq))
			rq->label = label_static;
		else
			http_send_error(rq, 404, "not_found", "no such route", NULL);
	}
	else if (route->builtin)
		route->builtin(rq);
	else
		run_route(rq, route, &ids, body, body_len);
	if (rq->db)
	{
		/* a route that answered before its call (401, 415, ...): small answers */
		pool_release(rq->db);
		rq->db = NULL;
	}
	wipe_free(body, body_len);
}

/*
 * A route with a body limit of its own (POST /api/import) has its body
 * spooled to a file (spool.c) and sent to the database in parts
 * (bodyparts.c); every other body is read into memory, 1 MiB at most.
 */
static void
dispatch(struct req *rq)
{
	size_t body_max = route_body_max(rq->path, rq->method);
	bool   spooled = body_max > BODY_MAX;
	bool   large = spooled && (rq->ri->content_length > BODY_MAX ||
							   (rq->ri->content_length < 0 &&
								mg_get_header(rq->conn, "Transfer-Encoding") != NULL));

	if (large && __atomic_add_fetch(&large_bodies, 1, __ATOMIC_SEQ_CST) > cfg.import_max)
	{
		const char *const retry[] = {"Retry-After", "5", NULL};

		__atomic_sub_fetch(&large_bodies, 1, __ATOMIC_SEQ_CST);
		rq->close = true; /* its body is not read */
		http_send_error(rq, 503, "unavailable", "too many imports at once; try again shortly",
						retry);
		return;
	}
	dispatch_body(rq, spooled ? body_max : BODY_MAX, spooled);
	if (rq->spool)
		fclose(rq->spool);
	if (large)
		__atomic_sub_fetch(&large_bodies, 1, __ATOMIC_SEQ_CST);
}

/* Before the server starts: the labels of requests no route row owns. */
void
handler_init(void)
{
	label_static = metrics_label("static");
	label_unmatched = metrics_label("unmatched");
}

/* civetweb's begin_request callback: every request starts here. */
int
handle_request(struct mg_connection *conn)
{
	struct req rq = {0};

	rq.conn = conn;
	rq.ri = mg_get_request_info(conn);
	rq.started = now_seconds();
	rq.method = method_index(rq.ri->request_method);
	rq.path = rq.ri->local_uri_raw;
	rq.label = -1;
	rq.cors_origin = cors_allowed(mg_get_header(conn, "Origin"));
	__atomic_add_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&draining, __ATOMIC_SEQ_CST))
	{
		rq.close = true;
		http_send_error(&rq, 503, "shutting_down", "the server is stopping", NULL);
	}
	else if (!head_check(&rq))
		; /* answered */
	else if (!rq.path || rq.path[0] != '/')
		http_send_error(&rq, 404, "not_found", "no such route", NULL);
	else
		dispatch(&rq);
	finish(&rq);
	__atomic_sub_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
	return rq.status;
}

/*
 * The first half of a graceful stop. civetweb's mg_stop drops whatever a
 * worker writes once the stop began, so an answer in progress would be lost:
 * we first refuse new requests (503, connection closed) and wait for the
 * ones in flight to finish, at most timeout_ms; then main calls mg_stop.
 */
void
handler_drain(int timeout_ms)
{
	__atomic_store_n(&draining, true, __ATOMIC_SEQ_CST);
	for (int waited = 0; waited < timeout_ms &&
						 __atomic_load_n(&in_flight, __ATOMIC_SEQ_CST) > 0;
		 waited += 10)
		usleep(10 * 1000);
}

/*
 * civetweb's http_error callback: errors it finds before our handler runs
 * (unparsable request, headers over max_request_size, header timeout). We
 * answer them in the contract's JSON too, and close the connection.
 */
int
handle_civetweb_error(struct mg_connection *conn, int status, const char *msg)
{
	struct req rq = {0};

	rq.conn = conn;
	rq.ri = mg_get_request_info(conn);
	/* msg may quote the request line (a bad version, say): status only */
	(void) msg;
	fprintf(stderr, "finote-shim: civetweb refused a request from %s with %d\n",
			rq.ri ? rq.ri->remote_addr : "?", status);
	rq.started = now_seconds();
	rq.method = rq.ri && rq.ri->request_method ? method_index(rq.ri->request_method) : METHOD_OTHER;
	rq.label = -1;
	rq.close = true;
	/*
	 * civetweb 1.15 reports headers over max_request_size as a malformed
	 * request (400), like any unparsable one; we cannot tell them apart.
	 */
	if (status >= 400 && status < 500)
		http_send_error(&rq, 400, "bad_request",
						"the request could not be parsed (malformed, or headers over 16 KiB)",
						NULL);
	else if (status == 505)
		http_send_error(&rq, 505, "http_version_not_supported",
						"only HTTP/1.0 and HTTP/1.1 are spoken here", NULL);
	else
		http_send_error(&rq, 500, "internal", "internal error", NULL);
	finish(&rq);
	return 0;
}
