/*
 * main.c: start, serve, and stop finote-shim.
 *
 * Start: read the environment (config.c), then start civetweb with the
 * options that make it ours: its CORS answers, URL decoding and file serving
 * off, every request handed to handle_request before civetweb looks at it.
 * civetweb gives each connection a worker thread, idle or not, so there are
 * many workers (FINOTE_THREADS) on small stacks (FINOTE_THREAD_STACK_KB:
 * civetweb 1.15 has no option for it, but creates its threads with default
 * attributes, which pthread_setattr_default_np sets), and a short deadline
 * for a request's head (FINOTE_HEADER_TIMEOUT_MS), apart from its body's.
 *
 * Stop: SIGTERM and SIGINT are taken by sigwait in the main thread (they are
 * blocked in every other thread), so the stop runs as ordinary code, not in
 * a signal handler. New requests are refused with 503 while those in flight
 * finish (handler_drain), then mg_stop closes the listening socket and joins
 * the workers, the pool is closed and we exit 0, which is what container
 * runtimes expect.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "shim.h"

/* How long a stop waits for requests in flight (Kubernetes allows 30 s). */
#define DRAIN_TIMEOUT_MS 25000

/*
 * civetweb's own messages quote request bytes (a request line cut to fit
 * its buffer, say), and a request line can hold a password or a token: we
 * log a fixed line instead, never its text.
 */
static int
log_message(const struct mg_connection *conn, const char *message)
{
	const struct mg_request_info *ri = conn ? mg_get_request_info(conn) : NULL;

	(void) message;
	fprintf(stderr, "finote-shim: civetweb reported a problem%s%s (its text is not logged: "
					"it may quote request bytes)\n",
			ri && ri->remote_addr[0] ? " with a request from " : "",
			ri && ri->remote_addr[0] ? ri->remote_addr : "");
	return 1;
}

static void
usage(void)
{
	fprintf(stderr,
			"usage: finote-shim            serve (configured by the environment)\n"
			"       finote-shim --routes   print the route table and exit\n"
			"       finote-shim --routes-sql  print each route's statement and exit\n"
			"       finote-shim --db-options  print the connections' server options and exit\n");
}

int
main(int argc, char **argv)
{
	struct mg_callbacks callbacks;
	struct mg_context  *ctx;
	char				listen[128];
	char				threads[16];
	char				timeout[16];
	pthread_attr_t		attr;
	sigset_t			stop_signals;
	int					sig;

	if (argc == 2 && strcmp(argv[1], "--routes") == 0)
	{
		routes_print();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--routes-sql") == 0)
	{
		routes_print_sql();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--db-options") == 0)
	{
		cfg.database_url = getenv("DATABASE_URL") ? getenv("DATABASE_URL") : "";
		config_db_options();
		printf("%s\n", cfg.db_options);
		config_free();
		return 0;
	}
	if (argc != 1)
	{
		usage();
		return 2;
	}
	if (sodium_init() < 0)
	{
		fprintf(stderr, "finote-shim: libsodium failed to initialize\n");
		return 1;
	}
	if (config_load() != 0)
	{
		config_free();
		return 1;
	}

	/*
	 * Memory goes back after a burst. Blocks of 64 KiB and more (an answer
	 * of up to a page of notes, in libpq's result) are mmapped and unmapped
	 * when freed: glibc's default threshold rises to the largest block
	 * freed, and then keeps such blocks in its heaps for good. And few
	 * arenas: hundreds of workers would otherwise get up to 8 a core, each
	 * keeping what it once held.
	 */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	mallopt(M_ARENA_MAX, 4);

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

	metrics_init();
	routes_init();
	handler_init();
	pool_init();
	mg_init_library(0);
	watchdog_start();
	access_log_start();

	snprintf(listen, sizeof(listen), "%s:%d", cfg.listen_addr, cfg.port);
	snprintf(threads, sizeof(threads), "%d", cfg.threads);
	/* civetweb times the head with it, and each wait for body bytes; the
	 * body as a whole has FINOTE_REQUEST_TIMEOUT_MS (http.c's watchdog) */
	snprintf(timeout, sizeof(timeout), "%d", cfg.header_timeout_ms);
	pthread_attr_init(&attr);
	if (pthread_attr_setstacksize(&attr, (size_t) cfg.thread_stack_kb * 1024) != 0 ||
		pthread_setattr_default_np(&attr) != 0)
		fprintf(stderr, "finote-shim: cannot set the threads' stack size\n");
	pthread_attr_destroy(&attr);
	{
		const char *options[] = {
			"listening_ports", listen,
			"num_threads", threads,
			"request_timeout_ms", timeout,
			"enable_keep_alive", "yes",
			"tcp_nodelay", "1", /* answers are whole: never wait for ACKs */
			"keep_alive_timeout_ms", "2000",
			"max_request_size", "16384", /* headers; bodies: BODY_MAX */
			"decode_url", "no",			 /* static.c decodes, after checking */
			"enable_directory_listing", "no",
			/* empty: civetweb neither answers preflights nor adds CORS headers */
			"access_control_allow_origin", "",
			"access_control_allow_methods", "",
			"access_control_allow_headers", "",
			NULL};

		memset(&callbacks, 0, sizeof(callbacks));
		callbacks.begin_request = handle_request;
		callbacks.http_error = handle_civetweb_error;
		callbacks.log_message = log_message;
		callbacks.init_connection = conn_opened;
		callbacks.connection_close = conn_closed;
		ctx = mg_start(&callbacks, NULL, options);
	}
	if (!ctx)
	{
		fprintf(stderr, "finote-shim: cannot listen on %s\n", listen);
		access_log_stop();
		watchdog_stop();
		pool_close();
		config_free();
		return 1;
	}
	fprintf(stderr, "finote-shim: listening on http://%s (%s)\n", listen,
			cfg.production ? "production" : "development");

	while (sigwait(&stop_signals, &sig) != 0)
		;
	fprintf(stderr, "finote-shim: %s: finishing requests in flight\n",
			sig == SIGTERM ? "SIGTERM" : "SIGINT");
	handler_drain(DRAIN_TIMEOUT_MS);
	mg_stop(ctx);
	access_log_stop();
	watchdog_stop();
	pool_close();
	mg_exit_library();
	config_free();
	fprintf(stderr, "finote-shim: stopped\n");
	return 0;
}
