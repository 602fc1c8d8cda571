/*
 * metrics.c: counters and histograms, served as Prometheus text at /metrics.
 *
 * Label values come only from fixed sets (the route table's patterns, eight
 * method names, the statuses the shim can send), never from request text,
 * so a client cannot blow up the number of series. One mutex guards all of
 * it: an update is a few additions, far cheaper than the request it counts.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

#define MAX_LABELS 32
static const char *labels[MAX_LABELS];
static int		   n_labels;

static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 408,
							   409, 413, 415, 429, 431, 500, 503, 507, 0};
#define N_STATUS (sizeof(statuses) / sizeof(statuses[0])) /* 0: any other */

static const double bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
								0.5, 1, 2.5, 5, 10};
#define N_BOUNDS (sizeof(bounds) / sizeof(bounds[0]))

struct histogram
{
	uint64_t buckets[N_BOUNDS]; /* non-cumulative; summed when printed */
	uint64_t count;
	double	 sum;
};

static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t			requests[MAX_LABELS][METHOD_COUNT][N_STATUS];
static struct histogram latency[MAX_LABELS];
static struct histogram pool_wait;
static uint64_t			pool_timeouts;
static uint64_t			db_errors_connect;
static uint64_t			db_errors_query;
static uint64_t			db_reconnects;
static uint64_t			db_retries_lost;
static uint64_t			db_retries_read_only;
static double			start_time;

void
metrics_init(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	start_time = (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Register (or find) a route label; only called before the server starts. */
int
metrics_label(const char *name)
{
	for (int i = 0; i < n_labels; i++)
		if (strcmp(labels[i], name) == 0)
			return i;
	if (n_labels == MAX_LABELS)
		abort(); /* the route table outgrew MAX_LABELS */
	labels[n_labels] = name;
	return n_labels++;
}

static void
observe(struct histogram *h, double v)
{
	size_t i = 0;

	while (i < N_BOUNDS && v > bounds[i])
		i++;
	if (i < N_BOUNDS)
		h->buckets[i]++;
	h->count++;
	h->sum += v;
}

void
metrics_observe_request(int label, int method, int status, double seconds)
{
	size_t s = 0;

	while (statuses[s] != 0 && statuses[s] != status)
		s++;
	pthread_mutex_lock(&lock);
	requests[label][method][s]++;
	observe(&latency[label], seconds);
	pthread_mutex_unlock(&lock);
}

void
metrics_observe_pool_wait(double seconds, bool timed_out)
{
	pthread_mutex_lock(&lock);
	observe(&pool_wait, seconds);
	pool_timeouts += timed_out;
	pthread_mutex_unlock(&lock);
}

void
metrics_db_error(const char *kind)
{
	pthread_mutex_lock(&lock);
	if (strcmp(kind, "connect") == 0)
		db_errors_connect++;
	else
		db_errors_query++;
	pthread_mutex_unlock(&lock);
}

/* A connection opened in place of one that was closed (pool.c). */
void
metrics_db_reconnect(void)
{
	pthread_mutex_lock(&lock);
	db_reconnects++;
	pthread_mutex_unlock(&lock);
}

/* A statement sent again on a new connection (dbcall.c): "connection_lost" or "read_only". */
void
metrics_db_retry(const char *reason)
{
	pthread_mutex_lock(&lock);
	if (strcmp(reason, "read_only") == 0)
		db_retries_read_only++;
	else
		db_retries_lost++;
	pthread_mutex_unlock(&lock);
}

/* A growing text buffer; metrics output is a few kilobytes. */
struct buf
{
	char  *data;
	size_t len,
		cap;
};

static void
bprintf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int		n;

	for (;;)
	{
		va_start(ap, fmt);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t) n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t) n + 1;
		b->data = realloc(b->data, b->cap);
		if (!b->data)
			abort();
	}
	b->len += (size_t) n;
}

static void
print_histogram(struct buf *b, const char *name, const char *label,
				const struct histogram *h)
{
	uint64_t	cum = 0;
	const char *sep = *label ? "," : "";

	for (size_t i = 0; i < N_BOUNDS; i++)
	{
		cum += h->buckets[i];
		bprintf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, label, sep, bounds[i],
				(unsigned long long) cum);
	}
	bprintf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, label, sep,
			(unsigned long long) h->count);
	bprintf(b, "%s_sum%s%s%s %.6f\n", name, *label ? "{" : "", label, *label ? "}" : "", h->sum);
	bprintf(b, "%s_count%s%s%s %llu\n", name, *label ? "{" : "", label, *label ? "}" : "",
			(unsigned long long) h->count);
}

/* Process metrics, from /proc (the names are the Prometheus client standard). */
static void
print_process(struct buf *b)
{
	FILE		 *f;
	unsigned long utime = 0,
				  stime = 0,
				  vsize = 0;
	long rss_pages = 0;
	int	 fds = 0;
	DIR *d;

	if ((f = fopen("/proc/self/stat", "r")))
	{
		/* fields 14, 15 (utime, stime) and 23, 24 (vsize, rss); comm may hold spaces */
		char line[1024];

		if (fgets(line, sizeof(line), f))
		{
			char *p = strrchr(line, ')');

			if (p)
				sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu "
							  "%*d %*d %*d %*d %*d %*d %*u %lu %ld",
					   &utime, &stime, &vsize, &rss_pages);
		}
		fclose(f);
	}
	if ((d = opendir("/proc/self/fd")))
	{
		while (readdir(d))
			fds++;
		closedir(d);
		fds -= 3; /* ".", ".." and the directory's own fd */
	}
	bprintf(b, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
			   "# TYPE process_cpu_seconds_total counter\n"
			   "process_cpu_seconds_total %.2f\n",
			(double) (utime + stime) / (double) sysconf(_SC_CLK_TCK));
	bprintf(b, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
			   "# TYPE process_resident_memory_bytes gauge\n"
			   "process_resident_memory_bytes %ld\n",
			rss_pages * sysconf(_SC_PAGESIZE));
	bprintf(b, "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
			   "# TYPE process_virtual_memory_bytes gauge\n"
			   "process_virtual_memory_bytes %lu\n",
			vsize);
	bprintf(b, "# HELP process_open_fds Number of open file descriptors.\n"
			   "# TYPE process_open_fds gauge\n"
			   "process_open_fds %d\n",
			fds);
	bprintf(b, "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
			   "# TYPE process_start_time_seconds gauge\n"
			   "process_start_time_seconds %.3f\n",
			start_time);
}

/*
 * The exposition, with the pool's connections as the caller counted them
 * (probe_metrics): the pool reports to these counters, so asking it from
 * here would make the two files need each other.
 */
void
metrics_serve(struct req *rq, int in_use, int n_idle)
{
	struct buf b = {NULL, 0, 0};
	char	   label[160];

	pthread_mutex_lock(&lock);
	bprintf(&b, "# HELP finote_http_requests_total HTTP requests answered, by route pattern, method and status.\n"
				"# TYPE finote_http_requests_total counter\n");
	for (int l = 0; l < n_labels; l++)
		for (int m = 0; m < METHOD_COUNT; m++)
			for (size_t s = 0; s < N_STATUS; s++)
				if (requests[l][m][s])
				{
					char st[8];

					snprintf(st, sizeof(st), "%d", statuses[s]);
					bprintf(&b, "finote_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} %llu\n",
							labels[l], method_names[m], statuses[s] ? st : "other",
							(unsigned long long) requests[l][m][s]);
				}
	bprintf(&b, "# HELP finote_http_request_duration_seconds Time from request start to response sent.\n"
				"# TYPE finote_http_request_duration_seconds histogram\n");
	for (int l = 0; l < n_labels; l++)
		if (latency[l].count)
		{
			snprintf(label, sizeof(label), "route=\"%s\"", labels[l]);
			print_histogram(&b, "finote_http_request_duration_seconds", label, &latency[l]);
		}
	bprintf(&b, "# HELP finote_db_pool_connections Database connections by state.\n"
				"# TYPE finote_db_pool_connections gauge\n"
				"finote_db_pool_connections{state=\"in_use\"} %d\n"
				"finote_db_pool_connections{state=\"idle\"} %d\n",
			in_use, n_idle);
	bprintf(&b, "# HELP finote_db_pool_max_connections Configured DB_POOL_MAX.\n"
				"# TYPE finote_db_pool_max_connections gauge\n"
				"finote_db_pool_max_connections %d\n",
			cfg.pool_max);
	bprintf(&b, "# HELP finote_db_pool_wait_seconds Time spent waiting for a database connection.\n"
				"# TYPE finote_db_pool_wait_seconds histogram\n");
	print_histogram(&b, "finote_db_pool_wait_seconds", "", &pool_wait);
	bprintf(&b, "# HELP finote_db_pool_timeouts_total Requests that found no free connection in time (503).\n"
				"# TYPE finote_db_pool_timeouts_total counter\n"
				"finote_db_pool_timeouts_total %llu\n",
			(unsigned long long) pool_timeouts);
	bprintf(&b, "# HELP finote_db_errors_total Database failures: failed connects, and queries failing other than by a mapped client error.\n"
				"# TYPE finote_db_errors_total counter\n"
				"finote_db_errors_total{kind=\"connect\"} %llu\n"
				"finote_db_errors_total{kind=\"query\"} %llu\n",
			(unsigned long long) db_errors_connect, (unsigned long long) db_errors_query);
	bprintf(&b, "# HELP finote_db_reconnects_total Database connections opened in place of one that was closed (broken, on a read-only server, timed out).\n"
				"# TYPE finote_db_reconnects_total counter\n"
				"finote_db_reconnects_total %llu\n",
			(unsigned long long) db_reconnects);
	bprintf(&b, "# HELP finote_db_statement_retries_total Statements sent again on a new connection: reads and keyed writes whose connection broke before an answer, calls a read-only server refused.\n"
				"# TYPE finote_db_statement_retries_total counter\n"
				"finote_db_statement_retries_total{reason=\"connection_lost\"} %llu\n"
				"finote_db_statement_retries_total{reason=\"read_only\"} %llu\n",
			(unsigned long long) db_retries_lost, (unsigned long long) db_retries_read_only);
	pthread_mutex_unlock(&lock);
	print_process(&b);
	http_send(rq, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len, NULL);
	free(b.data);
}
