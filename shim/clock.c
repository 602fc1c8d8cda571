/*
 * clock.c: the monotonic clock, for durations and deadlines.
 *
 * Everything that waits or measures uses CLOCK_MONOTONIC, so a change of
 * the wall clock (NTP, an operator) neither fires timeouts early nor skews
 * the latency metrics. Condition variables are set up to wait on it too.
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
