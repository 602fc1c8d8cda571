/*
 * watchdog.c: the body watchdog, a thread that ends reads that took too long.
 *
 * civetweb's mg_read blocks until its buffer is full, and each byte that
 * arrives restarts its idle timeout, so a client trickling a body could hold
 * a worker thread forever. A request reading its body registers a watch
 * with a deadline (FINOTE_REQUEST_TIMEOUT_MS after it started); past the
 * deadline this thread shuts down the reading side of the connection's
 * socket, which wakes the blocked mg_read with end-of-file. civetweb does not
 * expose the socket, so client_socket finds it among our descriptors by its
 * address pair (unique for a TCP connection); while the handler waits for
 * the body the connection cannot close, so the descriptor cannot be reused.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "shim.h"

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  watch_stop_cond;
static struct watch	  *watches;
static bool			   watch_stopping;
static pthread_t	   watch_thread;

/*
 * The descriptor of the connection a request came on, or -1. It costs a
 * look at each of our descriptors: only for the rare request that needs it.
 */
int
client_socket(const struct mg_request_info *ri)
{
	DIR			  *d = opendir("/proc/self/fd");
	struct dirent *e;
	int			   found = -1;

	if (!d)
		return -1;
	while (found < 0 && (e = readdir(d)))
	{
		int						fd = atoi(e->d_name);
		struct sockaddr_storage local,
			peer;
		socklen_t llen = sizeof(local),
				  plen = sizeof(peer);
		char addr[INET6_ADDRSTRLEN];
		int	 lport,
			pport;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
			getsockname(fd, (struct sockaddr *) &local, &llen) != 0 ||
			getpeername(fd, (struct sockaddr *) &peer, &plen) != 0)
			continue;
		if (peer.ss_family == AF_INET)
		{
			inet_ntop(AF_INET, &((struct sockaddr_in *) &peer)->sin_addr, addr, sizeof(addr));
			pport = ntohs(((struct sockaddr_in *) &peer)->sin_port);
			lport = ntohs(((struct sockaddr_in *) &local)->sin_port);
		}
		else if (peer.ss_family == AF_INET6)
		{
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &peer)->sin6_addr, addr, sizeof(addr));
			pport = ntohs(((struct sockaddr_in6 *) &peer)->sin6_port);
			lport = ntohs(((struct sockaddr_in6 *) &local)->sin6_port);
		}
		else
			continue;
		if (lport == ri->server_port && pport == ri->remote_port &&
			strcmp(addr, ri->remote_addr) == 0)
			found = fd;
	}
	closedir(d);
	return found;
}

static void *
watchdog(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&watch_lock);
	while (!watch_stopping)
	{
		struct timespec ts;
		double			now = now_seconds();

		for (struct watch *w = watches; w; w = w->next)
			if (!w->fired && now > w->deadline)
			{
				int fd = client_socket(w->ri);

				if (fd >= 0)
					shutdown(fd, SHUT_RD);
				w->fired = true;
			}
		ts = deadline_in_ms(100);
		pthread_cond_timedwait(&watch_stop_cond, &watch_lock, &ts);
	}
	pthread_mutex_unlock(&watch_lock);
	return NULL;
}

void
watchdog_start(void)
{
	cond_init_monotonic(&watch_stop_cond);
	if (pthread_create(&watch_thread, NULL, watchdog, NULL) != 0)
		abort();
}

void
watchdog_stop(void)
{
	pthread_mutex_lock(&watch_lock);
	watch_stopping = true;
	pthread_cond_signal(&watch_stop_cond);
	pthread_mutex_unlock(&watch_lock);
	pthread_join(watch_thread, NULL);
}

/* Watch w until watchdog_remove; its connection is shut for reading at w->deadline. */
void
watchdog_add(struct watch *w)
{
	pthread_mutex_lock(&watch_lock);
	w->next = watches;
	watches = w;
	pthread_mutex_unlock(&watch_lock);
}

void
watchdog_remove(struct watch *w)
{
	pthread_mutex_lock(&watch_lock);
	for (struct watch **p = &watches; *p; p = &(*p)->next)
		if (*p == w)
		{
			*p = w->next;
			break;
		}
	pthread_mutex_unlock(&watch_lock);
}
