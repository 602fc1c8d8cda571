/*
 * http.c: writing responses, and reading request bodies within limits.
 *
 * Every response goes through http_send, so the security headers, CORS
 * headers and the keep-alive decision are made in one place.
 *
 * Bodies are where civetweb 1.15 needs help. Its max_request_size bounds the
 * headers only; mg_read blocks until the buffer is full, and each byte that
 * arrives restarts its idle timeout, so a client trickling a chunked body
 * could hold a worker thread forever. We read at most the route's limit + 1
 * bytes (BODY_MAX, or FINOTE_IMPORT_MAX_BYTES for POST /api/import),
 * and the body watchdog (watchdog.c) enforces FINOTE_REQUEST_TIMEOUT_MS over
 * the whole body.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "shim.h"

const char *const method_names[METHOD_COUNT] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"};

int
method_index(const char *name)
{
	for (int i = 0; i < METHOD_OTHER; i++)
		if (strcmp(method_names[i], name) == 0)
			return i;
	return METHOD_OTHER;
}

#define SMALL_BODY		16384 /* sent in the same write as the head */
#define RETRY_AFTER_503 "1"	  /* seconds */
#define HEAD_MAX		4096

/* The response head being built; at most HEAD_MAX - 1 bytes, the rest is cut. */
struct head
{
	char  *text;
	size_t len;
};

static void
head_add(struct head *h, const char *s)
{
	size_t n = strlen(s);

	if (n > HEAD_MAX - 1 - h->len)
		n = HEAD_MAX - 1 - h->len;
	memcpy(h->text + h->len, s, n);
	h->len += n;
}

/* Append one header line (copies, not snprintf: this runs ~15 times an answer). */
static void
add_header(struct head *h, const char *name, const char *value)
{
	head_add(h, name);
	head_add(h, ": ");
	head_add(h, value);
	head_add(h, "\r\n");
}

/* The Date header's value for the current second. */
static const char *
http_date(void)
{
	static __thread struct wall_second cache = {.last = -1};

	return wall_second(&cache, WALL_HTTP);
}

/*
 * Whether the connection stays open after this response: the rule civetweb
 * applies after our handler returns (HTTP/1.1 unless the client says close,
 * HTTP/1.0 only if it asks), unless we close it: after an error that leaves
 * the rest of the connection's bytes unknown (rq->close), or when workers
 * are scarce (conn.c). Then civetweb is made to close it too, so the header
 * tells the truth.
 */
static bool
keep_alive(struct req *rq)
{
	const char *c = mg_get_header(rq->conn, "Connection");
	bool		keep;

	if (rq->close || conn_workers_scarce())
		keep = false;
	else if (c)
		keep = strcasestr(c, "keep-alive") != NULL;
	else
		keep = rq->ri && rq->ri->http_version && strcmp(rq->ri->http_version, "1.1") == 0;
	if (!keep)
		conn_close_after(rq);
	return keep;
}

/*
 * The head of a response, into buf (HEAD_MAX bytes); returns its length.
 * headers: NULL-terminated "Name", "value" pairs.
 * The page is never framed, never sniffed, never leaks a referrer, and runs
 * no script but our own (CSP); API answers are never cached.
 *
 * The head is written by hand, not with mg_response_header_*: those refuse
 * to work once anything was written, and "100 Continue" must be.
 */
static size_t
build_head(struct req *rq, char *buf, int status, const char *content_type,
		   long long len, const char *const *headers)
{
	struct head head = {buf, 0};
	char		value[64];
	bool		has_cache_control = false;
	bool		has_retry_after = false;

	snprintf(value, sizeof(value), "%d ", status);
	head_add(&head, "HTTP/1.1 ");
	head_add(&head, value);
	head_add(&head, mg_get_response_code_text(rq->conn, status));
	head_add(&head, "\r\n");
	add_header(&head, "Date", http_date());
	if (content_type)
		add_header(&head, "Content-Type", content_type);
	snprintf(value, sizeof(value), "%lld", len);
	if (status != 204)
		add_header(&head, "Content-Length", value);
	add_header(&head, "Content-Security-Policy",
			   "default-src 'self'; script-src 'self'; style-src 'self'; "
			   "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
			   "base-uri 'none'; form-action 'self'");
	add_header(&head, "X-Content-Type-Options", "nosniff");
	add_header(&head, "Referrer-Policy", "no-referrer");
	add_header(&head, "X-Frame-Options", "DENY");
	/* production is served over HTTPS (a proxy in front): browsers must stay on it */
	if (cfg.production)
		add_header(&head, "Strict-Transport-Security", "max-age=31536000");
	add_header(&head, "Vary", "Origin");
	if (rq->cors_origin)
	{
		add_header(&head, "Access-Control-Allow-Origin", rq->cors_origin);
		add_header(&head, "Access-Control-Allow-Credentials", "true");
		add_header(&head, "Access-Control-Expose-Headers", "ETag, Retry-After, Content-Disposition, Idempotent-Replayed");
	}
	for (; headers && headers[0]; headers += 2)
	{
		add_header(&head, headers[0], headers[1]);
		has_cache_control |= strcasecmp(headers[0], "Cache-Control") == 0;
		has_retry_after |= strcasecmp(headers[0], "Retry-After") == 0;
	}
	/* every 503 is short-lived: overload, a stop, a database away */
	if (status == 503 && !has_retry_after)
		add_header(&head, "Retry-After", RETRY_AFTER_503);
	if (!has_cache_control)
		add_header(&head, "Cache-Control", "no-store");
	add_header(&head, "Connection", keep_alive(rq) ? "keep-alive" : "close");
	head_add(&head, "\r\n");
	rq->status = status;
	rq->bytes_sent = len;
	return head.len;
}

/* Send a whole response (build_head says which headers it has). */
void
http_send(struct req *rq, int status, const char *content_type,
		  const char *body, size_t len, const char *const *headers)
{
	char   buf[HEAD_MAX + SMALL_BODY];
	size_t head_len = build_head(rq, buf, status, content_type, (long long) len, headers);
	bool   with_body = len > 0 && rq->method != METHOD_HEAD;

	/* one write for a small answer: one packet, no wait on the peer's ACK */
	if (with_body && len <= SMALL_BODY)
	{
		memcpy(buf + head_len, body, len);
		mg_write(rq->conn, buf, head_len + len);
		sodium_memzero(buf + head_len, len); /* a login's answer holds the token */
	}
	else
	{
		mg_write(rq->conn, buf, head_len);
		if (with_body)
			mg_write(rq->conn, body, len);
	}
	sodium_memzero(buf, head_len); /* and its Set-Cookie the cookie */
}

/* The head alone, for a body of len bytes the caller writes (export.c). */
void
http_send_head(struct req *rq, int status, const char *content_type,
			   long long len, const char *const *headers)
{
	char buf[HEAD_MAX];

	mg_write(rq->conn, buf, build_head(rq, buf, status, content_type, len, headers));
}

void
http_send_json(struct req *rq, int status, const char *json,
			   const char *const *headers)
{
	http_send(rq, status, "application/json; charset=utf-8", json,
			  json ? strlen(json) : 0, headers);
}

/*
 * Escape text for a JSON string. Output is truncated (at a character
 * boundary) to fit dstlen; returns the length written.
 */
static size_t
json_escape(char *dst, size_t dstlen, const char *src)
{
	size_t n = 0;

	for (; *src; src++)
	{
		unsigned char c = (unsigned char) *src;
		char		  esc[8];
		size_t		  k;

		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20)
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		else
			snprintf(esc, sizeof(esc), "%c", c);
		k = strlen(esc);
		if (n + k >= dstlen)
			break;
		memcpy(dst + n, esc, k);
		n += k;
	}
	/* do not leave half a UTF-8 sequence behind */
	while (*src && n > 0 && ((unsigned char) dst[n - 1] & 0xC0) == 0x80)
		n--;
	if (*src && n > 0 && ((unsigned char) dst[n - 1] & 0xC0) == 0xC0)
		n--;
	if (dstlen)
		dst[n] = '\0';
	return n;
}

void
http_send_error(struct req *rq, int status, const char *code,
				const char *message, const char *const *headers)
{
	http_send_error_with(rq, status, code, message, NULL, headers);
}

/*
 * An error with more beside it: object is a JSON object from the database
 * ("{"note": ...}"), whose members follow "error" in the body.
 */
void
http_send_error_with(struct req *rq, int status, const char *code,
					 const char *message, const char *object,
					 const char *const *headers)
{
	char   msg[512];
	char   small[640];
	char  *body = small;
	size_t n = sizeof(small);
	bool   more = object && object[0] == '{' && object[1] && object[1] != '}';

	json_escape(msg, sizeof(msg), message);
	if (more && !(body = malloc(n = sizeof(small) + strlen(object))))
		abort();
	snprintf(body, n, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}%s%s",
			 code, msg, more ? "," : "}", more ? object + 1 : "");
	http_send_json(rq, status, body, headers);
	if (body != small)
		free(body);
}

/* The database could not be reached, or no connection came free in time. */
void
http_send_unavailable(struct req *rq)
{
	http_send_error(rq, 503, "unavailable", "the database is unavailable", NULL);
}

/*
 * Stop reading from the client: a blocked mg_read returns, and civetweb,
 * finding end-of-file, will not wait for the rest of the body after we
 * answered; the connection closes after the response.
 */
static void
abandon_body(struct req *rq)
{
	int fd = client_socket(rq->ri);

	if (fd >= 0)
		shutdown(fd, SHUT_RD);
	rq->close = true;
}

/*
 * A body being read: allocated as it arrives, so that a small body costs a
 * small buffer (a declared length is allocated at once, a chunked body
 * grows from BODY_FIRST), never the limit up front.
 */
#define BODY_FIRST 16384

struct body
{
	char  *data;
	size_t size; /* allocated */
	size_t max;	 /* the body's limit */
	FILE  *file; /* or, spooled (http_spool_body): where the bytes go */
	bool   file_failed;
};

/* Room for at least need bytes, at most the limit + 2; false if out of memory. */
static bool
body_reserve(struct body *b, size_t need)
{
	size_t size = b->size ? b->size : BODY_FIRST;
	char  *data;

	if (need <= b->size)
		return true;
	while (size < need)
		size *= 2;
	if (size > b->max + 2)
		size = b->max + 2;
	/* not realloc: the old block holds body bytes (a password) to wipe */
	if (!(data = malloc(size)))
		return false;
	if (b->data)
		memcpy(data, b->data, b->size);
	wipe_free(b->data, b->size);
	b->data = data;
	b->size = size;
	return true;
}

/*
 * Read body bytes until the body ends, an error, or more than limit bytes;
 * the first keep bytes land in b (NULL: none kept), the rest is discarded.
 * Returns the number of bytes read; *ended tells whether the body ended
 * cleanly, *stalled whether civetweb gave up waiting for the next bytes
 * (FINOTE_HEADER_TIMEOUT_MS, its timeout for each read; a read that fails
 * sooner is a broken body, not a slow one).
 */
static size_t
pull_body(struct req *rq, struct body *b, size_t keep, size_t limit, bool *ended,
		  bool *stalled)
{
	char   scratch[8192];
	size_t n = 0;
	int	   r = 0;
	double last = now_seconds();

	while (n <= limit)
	{
		char  *dst = scratch;
		size_t want = sizeof(scratch);

		if (b && b->file && n < keep)
		{
			if ((r = mg_read(rq->conn, scratch, sizeof(scratch))) <= 0)
				break;
			if (fwrite(scratch, 1, (size_t) r, b->file) != (size_t) r)
			{
				b->file_failed = true;
				break;
			}
			n += (size_t) r;
			last = now_seconds();
			continue;
		}
		if (b && n < keep)
		{
			if (n == b->size && !body_reserve(b, n + 1))
				break;
			dst = b->data + n;
			want = (b->size < keep ? b->size : keep) - n;
		}
		if ((r = mg_read(rq->conn, dst, want)) <= 0)
			break;
		n += (size_t) r;
		last = now_seconds();
	}
	if (n > keep || (b && b->file))
		sodium_memzero(scratch, sizeof(scratch)); /* body bytes too */
	*ended = r == 0 && (rq->ri->content_length < 0 || (long long) n == rq->ri->content_length);
	*stalled = !*ended && now_seconds() - last >= cfg.header_timeout_ms / 1000.0 * 0.9;
	return n;
}

/*
 * Read the whole body: into a NUL-terminated buffer (http_read_body; the
 * caller frees *out), or into a spool file (http_spool_body).
 *
 * Over the limit, we still read and drop up to DRAIN_MAX bytes before
 * answering 413: most clients send the whole body before they read the
 * answer, and closing on them unread would turn our 413 into a connection
 * reset. A client that asked "Expect: 100-continue" has sent nothing yet and
 * is simply answered. On any failure the connection is closed after the
 * response, so no half-read body is taken for the next request.
 */
#define DRAIN_MAX (16 * 1024 * 1024)

/* The body into b (memory, or b->file), *len bytes of it; see http_read_body. */
static enum body_result
read_body(struct req *rq, struct body *b, size_t *len)
{
	struct watch	 w = {NULL, rq->started + cfg.request_timeout_ms / 1000.0, rq->ri, false};
	const char		*expect = mg_get_header(rq->conn, "Expect");
	bool			 will_wait = expect && strcasecmp(expect, "100-continue") == 0;
	enum body_result result = BODY_OK;
	bool			 ended = false;
	bool			 stalled = false;
	size_t			 max = b->max;
	size_t			 n = 0;

	*len = 0;
	watchdog_add(&w);
	if (rq->ri->content_length > (long long) max)
		result = BODY_TOO_LARGE;
	else if (!b->file &&
			 !body_reserve(b, rq->ri->content_length > 0 ? (size_t) rq->ri->content_length + 1 : 1))
		result = BODY_BROKEN;
	else
	{
		/* civetweb leaves the interim answer to the handler */
		if (will_wait)
			mg_printf(rq->conn, "HTTP/1.1 100 Continue\r\n\r\n");
		n = pull_body(rq, b, max + 1, max, &ended, &stalled);
		if (n > max)
			result = BODY_TOO_LARGE;
		else if (b->file_failed)
			result = BODY_SPOOL_FAILED;
		else if (!ended || (!b->file && !body_reserve(b, n + 1)))
			result = BODY_BROKEN;
	}
	if (result == BODY_TOO_LARGE && !(will_wait && n == 0))
		pull_body(rq, NULL, 0, DRAIN_MAX, &ended, &stalled);
	watchdog_remove(&w);

	if (w.fired || (stalled && result == BODY_BROKEN))
		result = BODY_TIMEOUT;
	if (result != BODY_OK)
	{
		/* drained to the end, the connection could stay; we close anyway */
		if (!ended || result != BODY_TOO_LARGE)
			abandon_body(rq);
		rq->close = true;
		return result;
	}
	*len = n;
	return BODY_OK;
}

enum body_result
http_read_body(struct req *rq, size_t max, char **out, size_t *len)
{
	struct body		 b = {NULL, 0, max, NULL, false};
	enum body_result result = read_body(rq, &b, len);

	*out = NULL;
	if (result != BODY_OK)
	{
		wipe_free(b.data, b.size);
		*len = 0;
		return result;
	}
	b.data[*len] = '\0';
	*out = b.data;
	return BODY_OK;
}

/*
 * The whole body into file (a spool: spool.c), at most max bytes, with the
 * same deadlines and answers as http_read_body; BODY_SPOOL_FAILED when the
 * file took no more (a full disk).
 */
enum body_result
http_spool_body(struct req *rq, size_t max, FILE *file, size_t *len)
{
	struct body		 b = {NULL, 0, max, file, false};
	enum body_result result = read_body(rq, &b, len);

	/* what stdio still buffers: a full disk may only say so now */
	if (result == BODY_OK && fflush(file) != 0)
	{
		rq->close = true;
		result = BODY_SPOOL_FAILED;
	}
	return result;
}
