/*
 * clock.c: the clocks. The monotonic one for durations and deadlines, the
 * wall clock's current second for the access log and the Date header.
 *
 * Everything that waits or measures uses CLOCK_MONOTONIC, so a change of
 * the wall clock (NTP, an operator) neither fires timeouts early nor skews
 * the latency metrics. Condition variables are set up to wait on it too.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <pthread.h>
#include <time.h>

#include "shim.h"

double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The absolute time ms from now, for pthread_cond_timedwait. */
struct timespec
deadline_in_ms(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long) (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L)
	{
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

void
cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

/*
 * The current UTC second in the given format, kept in *cache (one per thread
 * and format) for the rest of the second: gmtime_r takes glibc's global time
 * zone lock, which every request would otherwise contend for.
 */
const char *
wall_second(struct wall_second *cache, enum wall_format format)
{
	time_t now = time(NULL);

	if (now != cache->last)
	{
		struct tm tm;

		gmtime_r(&now, &tm);
		if (format == WALL_HTTP)
			strftime(cache->text, sizeof(cache->text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		else
			strftime(cache->text, sizeof(cache->text), "%Y-%m-%dT%H:%M:%SZ", &tm);
		cache->last = now;
	}
	return cache->text;
}
