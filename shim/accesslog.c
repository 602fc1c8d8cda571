/*
 * accesslog.c: the access log, one line per request on stdout, written in
 * batches.
 *
 * Writing each line as it comes cost every request a write(2) and, so that
 * lines never interleave, a lock held across that write, on which the
 * worker threads queued (test/bench/FINDINGS.md). Instead a line is copied
 * into a buffer, under a lock held only for the copy, and a background
 * thread writes the buffer out at most FLUSH_MS after the first line that
 * found it empty; a request that finds the buffer full writes it out
 * itself. Every write ends at the end of a line, and writes happen in the
 * order the lines were added. access_log_stop writes what is left; a crash
 * loses at most the last FLUSH_MS of lines.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

#define FLUSH_MS 100
#define BUF_SIZE (64 * 1024) /* ~600 lines */

/*
 * Lines are added to bufs[filling]; a flush swaps in the other buffer under
 * lock and writes the full one without it. write_lock makes the flushes one
 * at a time, so that the batches reach stdout in order.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  wake; /* lines arrived in an empty buffer, or stopping */
static char			   bufs[2][BUF_SIZE];
static int			   filling;
static size_t		   used;
static bool			   stopping;
static pthread_t	   flusher_thread;

/* Write out what the buffer holds. Called without lock. */
static void
flush(void)
{
	const char *p;
	size_t		n;

	pthread_mutex_lock(&write_lock);
	pthread_mutex_lock(&lock);
	p = bufs[filling];
	n = used;
	filling = 1 - filling;
	used = 0;
	pthread_mutex_unlock(&lock);
	while (n > 0)
	{
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* stdout is gone: the log is lost, not the service */
		p += w;
		n -= (size_t) w;
	}
	pthread_mutex_unlock(&write_lock);
}

static void *
flusher(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&lock);
	while (!stopping)
	{
		struct timespec deadline;

		if (used == 0)
		{
			pthread_cond_wait(&wake, &lock);
			continue;
		}
		/* let the batch grow; only a stop cuts the wait short */
		deadline = deadline_in_ms(FLUSH_MS);
		while (!stopping && pthread_cond_timedwait(&wake, &lock, &deadline) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&lock);
		flush();
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

void
access_log_start(void)
{
	cond_init_monotonic(&wake);
	if (pthread_create(&flusher_thread, NULL, flusher, NULL) != 0)
		abort();
}

/* At shutdown, after the HTTP server has finished every request. */
void
access_log_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(flusher_thread, NULL);
	flush();
	pthread_cond_destroy(&wake);
}

/* Add one whole line (shorter than BUF_SIZE) to the log. */
static void
add_line(const char *line, size_t n)
{
	bool was_empty;

	pthread_mutex_lock(&lock);
	/*
	 * used <= BUF_SIZE always, so BUF_SIZE - used cannot wrap; the form
	 * used + n > BUF_SIZE could (for a used near SIZE_MAX), and gcc >= 14
	 * warns that the memcpy below might then write before bufs.
	 */
	while (n > BUF_SIZE - used)
	{
		pthread_mutex_unlock(&lock);
		flush();
		pthread_mutex_lock(&lock);
	}
	was_empty = used == 0;
	memcpy(bufs[filling] + used, line, n);
	used += n;
	pthread_mutex_unlock(&lock);
	if (was_empty)
		pthread_cond_signal(&wake);
}

/* The current second as 2026-11-21T23:29:45Z. */
static const char *
log_time(void)
{
	static __thread struct wall_second cache = {.last = -1};

	return wall_second(&cache, WALL_ISO8601);
}

/*
 * The request's line: time, client, method, path without query string,
 * status, body bytes, duration. Nothing else of the request is logged: no
 * token, cookie, password or query string.
 */
void
access_log(const struct req *rq)
{
	char		line[512];
	char		path[256];
	size_t		i;
	int			n;
	const char *p = rq->path ? rq->path : "-";

	/* the path is the client's: keep the log line one line of printable text */
	for (i = 0; i < sizeof(path) - 1 && p[i]; i++)
		path[i] = (p[i] > 32 && p[i] < 127) ? p[i] : '?';
	path[i] = '\0';
	n = snprintf(line, sizeof(line), "%s %s %s %s %d %lld %.1fms\n", log_time(),
				 rq->ri ? rq->ri->remote_addr : "-", method_names[rq->method], path,
				 rq->status, rq->bytes_sent, (now_seconds() - rq->started) * 1000.0);
	/* always fits: the path is the only long field */
	if (n > 0 && (size_t) n < sizeof(line))
		add_line(line, (size_t) n);
}
