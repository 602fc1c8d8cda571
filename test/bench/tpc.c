/*
 * tpc.c: the least a thread-per-connection server can spend on the shim's
 * GET, for test/bench/floor.
 *
 * What civetweb's model makes every such server do, and nothing else: a
 * thread per client connection that sleeps in poll (with a timeout: a
 * server facing the internet cannot wait for a client forever) until a
 * request comes, reads it, borrows a connection from a pool smaller than
 * the number of clients (a mutex and a condition, first come first served
 * in effect), sends one prepared statement with libpq, sleeps in poll until
 * the answer comes, and writes the answer in one send. No parsing beyond
 * the end of the head, no routing, no session, no headers but the length,
 * no access log, no metrics, no liveness check of the pooled connection.
 * The shim's CPU per GET over this one's is what the shim spends beyond its
 * model; this one's over the floor (the shim's /healthz plus pgbench's
 * client per call) is what the model itself costs.
 *
 *   tpc PORT POOL CONNINFO SQL
 *
 * Listens on 127.0.0.1:PORT until killed; every request, whatever it is,
 * runs SQL (no parameters) and gets its first value as the body. A bench
 * tool, not a server: it trusts its one client, wrk.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libpq-fe.h>

#define CLIENT_TIMEOUT_MS 2000

static PGconn		 **idle;
static int			   n_idle;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  freed = PTHREAD_COND_INITIALIZER;

static PGconn *
borrow(void)
{
	PGconn *conn;

	pthread_mutex_lock(&lock);
	while (n_idle == 0)
		pthread_cond_wait(&freed, &lock);
	conn = idle[--n_idle];
	pthread_mutex_unlock(&lock);
	return conn;
}

static void
give_back(PGconn *conn)
{
	pthread_mutex_lock(&lock);
	idle[n_idle++] = conn;
	pthread_cond_signal(&freed);
	pthread_mutex_unlock(&lock);
}

/* The statement's first value into buf; its length, or -1. */
static int
run(char *buf, int size)
{
	PGconn		 *conn = borrow();
	PGresult	 *res;
	int			  len = -1;
	struct pollfd pfd = {PQsocket(conn), POLLIN, 0};

	if (PQsendQueryPrepared(conn, "get", 0, NULL, NULL, NULL, 0))
	{
		/* poll, then read: as the shim's dbwait.c does, and libpq's own PQexec */
		while (PQisBusy(conn) && poll(&pfd, 1, -1) >= 0 && PQconsumeInput(conn))
			;
		while ((res = PQgetResult(conn)))
		{
			if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
				PQgetlength(res, 0, 0) < size)
			{
				len = PQgetlength(res, 0, 0);
				memcpy(buf, PQgetvalue(res, 0, 0), (size_t) len);
			}
			PQclear(res);
		}
	}
	give_back(conn);
	return len;
}

static void *
serve(void *arg)
{
	int	 fd = (int) (intptr_t) arg;
	char in[8192];
	char out[16384];
	char body[12288];
	int	 have = 0;

	for (;;)
	{
		struct pollfd pfd = {fd, POLLIN, 0};
		char		 *end;
		ssize_t		  n;
		int			  len, head;

		if (poll(&pfd, 1, CLIENT_TIMEOUT_MS) <= 0 ||
			(n = recv(fd, in + have, sizeof(in) - 1 - (size_t) have, 0)) <= 0)
			break;
		have += (int) n;
		in[have] = '\0';
		if (!(end = strstr(in, "\r\n\r\n")))
		{
			if (have == (int) sizeof(in) - 1)
				break;
			continue;
		}
		if ((len = run(body, sizeof(body))) < 0)
			break;
		head = snprintf(out, sizeof(out),
						"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
						"Content-Length: %d\r\n\r\n",
						len);
		memcpy(out + head, body, (size_t) len);
		if (send(fd, out, (size_t) (head + len), MSG_NOSIGNAL) != head + len)
			break;
		/* wrk waits for each answer: a request never follows another in one read */
		have = 0;
	}
	close(fd);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	int				   one = 1, pool, lfd;

	if (argc != 5 || (pool = atoi(argv[2])) < 1)
	{
		fprintf(stderr, "usage: tpc PORT POOL CONNINFO SQL\n");
		return 2;
	}
	idle = calloc((size_t) pool, sizeof(PGconn *));
	for (int i = 0; i < pool; i++)
	{
		PGconn	 *conn = PQconnectdb(argv[3]);
		PGresult *res = PQprepare(conn, "get", argv[4], 0, NULL);

		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			fprintf(stderr, "tpc: %s", PQerrorMessage(conn));
			return 1;
		}
		PQclear(res);
		idle[n_idle++] = conn;
	}
	addr.sin_port = htons((uint16_t) atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) != 0 || listen(lfd, 128) != 0)
	{
		perror("tpc: listen");
		return 1;
	}
	for (;;)
	{
		int		  fd = accept(lfd, NULL, NULL);
		pthread_t thread;

		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&thread, NULL, serve, (void *) (intptr_t) fd) != 0)
			close(fd);
		else
			pthread_detach(thread);
	}
}
