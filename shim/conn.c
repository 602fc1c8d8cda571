/*
 * conn.c: the connections civetweb's workers hold, and closing them.
 *
 * civetweb 1.15 gives every connection a worker thread from accept to
 * close, including the idle time of a keep-alive connection between
 * requests. When most workers are taken, keeping a connection open for a
 * client's next request would keep a worker from a new client, so from
 * three quarters of FINOTE_THREADS connections on, answers say
 * "Connection: close": keep-alive connections are the first to go.
 *
 * civetweb has no call to close a connection after the handler: it keeps
 * it open by its own rule, from the request's Connection header and the
 * HTTP version, whatever our answer said, and then serves a request the
 * client pipelined behind it. conn_close_after makes that rule say close,
 * by setting the request's Connection header, which civetweb reads right
 * after the handler returns (should_keep_alive in civetweb.c), to "close".
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <string.h>
#include <strings.h>

#include "shim.h"

static int open_connections;

/* civetweb's init_connection callback: a worker took a new connection. */
int
conn_opened(const struct mg_connection *conn, void **conn_data)
{
	(void) conn;
	*conn_data = NULL;
	__atomic_add_fetch(&open_connections, 1, __ATOMIC_RELAXED);
	return 0;
}

/* civetweb's connection_close callback. */
void
conn_closed(const struct mg_connection *conn)
{
	(void) conn;
	__atomic_sub_fetch(&open_connections, 1, __ATOMIC_RELAXED);
}

int
conn_open_count(void)
{
	return __atomic_load_n(&open_connections, __ATOMIC_RELAXED);
}

/* Whether workers are scarce enough that connections should not idle. */
bool
conn_workers_scarce(void)
{
	return conn_open_count() * 4 >= cfg.threads * 3;
}

/*
 * Make civetweb close the connection once this request is answered. The
 * request's headers live in civetweb's own buffer for as long as the
 * request does; the handler runs on the only thread that uses them.
 */
void
conn_close_after(struct req *rq)
{
	struct mg_request_info *ri = (struct mg_request_info *) rq->ri;
	int						i;

	if (!ri)
		return;
	for (i = 0; i < ri->num_headers; i++)
		if (strcasecmp(ri->http_headers[i].name, "Connection") == 0)
			break;
	if (i == MG_MAX_HEADERS)
		i = MG_MAX_HEADERS - 1; /* a request refused for its 64 headers anyway */
	else if (i == ri->num_headers)
		ri->num_headers++;
	ri->http_headers[i].name = "Connection";
	ri->http_headers[i].value = "close";
}
