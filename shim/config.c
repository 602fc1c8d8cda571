/*
 * config.c: the shim's configuration, from the environment.
 *
 * The variables are those of the deployment the shim replaces (shim/README.md, Configuration);
 * a few FINOTE_* ones tune what the contract leaves open. Every value is
 * checked here, once, so that a typo stops the start with a message naming
 * the variable instead of surfacing later as a strange request failure.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <errno.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "shim.h"

struct config cfg;

#define SECRET_MIN 32 /* bytes: crypto_auth keys are 256 bits */

static const char *
env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return (v && *v) ? v : fallback;
}

/* Parse an integer variable within [min, max]; report and fail otherwise. */
static int
env_int(const char *name, int fallback, int min, int max, int *out)
{
	const char *v = getenv(name);
	char	   *end;
	long		n;

	if (!v || !*v)
	{
		*out = fallback;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max)
	{
		fprintf(stderr, "finote-shim: %s must be an integer from %d to %d, not \"%s\"\n",
				name, min, max, v);
		return -1;
	}
	*out = (int) n;
	return 0;
}

/* The cores this process may run on (its CPU affinity, as in a container). */
static int
cores(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	return 1;
}

/* A cookie name is an RFC 6265 token: no separators, no controls. */
static bool
valid_cookie_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (*s <= 32 || *s >= 127 || strchr("()<>@,;:\\\"/[]?={}", *s))
			return false;
	return true;
}

/*
 * An origin is scheme://host[:port], nothing after it. Browsers send exactly
 * that, so anything else in CORS_ORIGIN could never match and is a mistake.
 */
static bool
valid_origin(const char *s)
{
	const char *host;

	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return false;
	if (!*host)
		return false;
	for (; *host; host++)
		if (!(host[0] == '.' || host[0] == '-' || host[0] == ':' ||
			  host[0] == '[' || host[0] == ']' ||
			  (host[0] >= '0' && host[0] <= '9') ||
			  (host[0] >= 'a' && host[0] <= 'z') ||
			  (host[0] >= 'A' && host[0] <= 'Z')))
			return false;
	return true;
}

static int
load_cors(void)
{
	const char *v = env_or("CORS_ORIGIN", "");
	char	   *save = NULL;
	char	   *item;
	int			n = 0;

	cfg.cors_buf = strdup(v);
	cfg.cors_origins = calloc(strlen(v) / 2 + 2, sizeof(char *));
	if (!cfg.cors_buf || !cfg.cors_origins)
		return -1;
	for (item = strtok_r(cfg.cors_buf, ",", &save); item; item = strtok_r(NULL, ",", &save))
	{
		while (*item == ' ')
			item++;
		for (char *e = item + strlen(item); e > item && e[-1] == ' '; e--)
			e[-1] = '\0';
		if (!*item)
			continue;
		if (!valid_origin(item))
		{
			fprintf(stderr, "finote-shim: CORS_ORIGIN entries must look like "
							"https://host[:port] (credentials rule out \"*\"), not \"%s\"\n",
					item);
			return -1;
		}
		cfg.cors_origins[n++] = item;
	}
	return 0;
}

/*
 * The session key. Production refuses to guess one: a missing or short secret
 * would make every cookie forgeable or void on restart. Development makes up
 * a random one per process, so sessions simply end when the shim restarts.
 */
static int
load_secret(void)
{
	const char *secret = getenv("SESSION_SECRET");

	if (secret && strlen(secret) >= SECRET_MIN)
	{
		cookie_set_key(secret);
		return 0;
	}
	if (cfg.production)
	{
		fprintf(stderr, "finote-shim: NODE_ENV=production needs SESSION_SECRET of at least %d bytes%s\n",
				SECRET_MIN, secret && *secret ? " (the one given is too short)" : "");
		return -1;
	}
	if (secret && *secret)
	{
		fprintf(stderr, "finote-shim: warning: SESSION_SECRET is shorter than %d bytes; "
						"production would refuse it\n",
				SECRET_MIN);
		cookie_set_key(secret);
		return 0;
	}
	randombytes_buf(cfg.session_key, sizeof(cfg.session_key));
	fprintf(stderr, "finote-shim: SESSION_SECRET is not set: using a random secret for this "
					"process (sessions end when it stops)\n");
	return 0;
}

/*
 * The server settings every connection of the shim starts with, as libpq's
 * "options": a search path of pg_catalog alone (the route table qualifies
 * every name, routes.c; this keeps a name it missed from reaching a
 * look-alike in public), and generic plans, so that no request's values (a
 * password in a login's body) become constants of a plan that EXPLAIN or
 * auto_explain would show. The route statements only call finote.*
 * functions on their parameters, so a generic plan is the plan a custom one
 * would be, made once; the extension's own statements that need a plan per
 * call ask for one (CURSOR_OPT_CUSTOM_PLAN), which the setting does not
 * override. Options that DATABASE_URL or PGOPTIONS give come after ours, so
 * an operator may still change either on purpose.
 */
#define DB_OPTIONS "-c search_path=pg_catalog,pg_temp -c plan_cache_mode=force_generic_plan"

void
config_db_options(void)
{
	PQconninfoOption *parsed = PQconninfoParse(cfg.database_url, NULL);
	const char		 *theirs = getenv("PGOPTIONS");
	size_t			  len;

	/* a URL libpq cannot parse fails at connect, with libpq's own message */
	for (PQconninfoOption *o = parsed; o && o->keyword; o++)
		if (strcmp(o->keyword, "options") == 0 && o->val)
			theirs = o->val;
	len = strlen(DB_OPTIONS) + (theirs ? strlen(theirs) + 1 : 0) + 1;
	if (!(cfg.db_options = malloc(len)))
		abort();
	snprintf(cfg.db_options, len, "%s%s%s", DB_OPTIONS, theirs ? " " : "", theirs ? theirs : "");
	PQconninfoFree(parsed);
}

/* Where exports are spooled (export.c): a directory we may create files in. */
static int
load_export_dir(void)
{
	struct stat st;

	cfg.export_dir = env_or("FINOTE_EXPORT_DIR", env_or("TMPDIR", "/tmp"));
	if (stat(cfg.export_dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
		access(cfg.export_dir, W_OK | X_OK) != 0)
	{
		fprintf(stderr, "finote-shim: FINOTE_EXPORT_DIR \"%s\" must be a directory "
						"this process can write to\n",
				cfg.export_dir);
		return -1;
	}
	return 0;
}

static int
load_web_root(void)
{
	const char *v = getenv("FINOTE_WEB_ROOT");

	if (!v || !*v)
		return 0;
	cfg.web_root = realpath(v, NULL);
	if (!cfg.web_root)
	{
		fprintf(stderr, "finote-shim: FINOTE_WEB_ROOT \"%s\": %s\n", v, strerror(errno));
		return -1;
	}
	return 0;
}

int
config_load(void)
{
	const char *env = env_or("NODE_ENV", "development");
	int			prepare;
	int			host_prefix;

	cfg.production = strcmp(env, "production") == 0;
	/* loopback unless told: the shim is meant to sit behind a proxy */
	cfg.listen_addr = env_or("FINOTE_LISTEN_ADDR", "127.0.0.1");
	cfg.database_url = env_or("DATABASE_URL", NULL);
	cfg.session_name = env_or("SESSION_NAME", "finote.sid");

	if (env_int("PORT", 3000, 1, 65535, &cfg.port) ||
		env_int("DB_POOL_MAX", 5, 1, 1000, &cfg.pool_max) ||
		env_int("FINOTE_POOL_WAIT_MS", 5000, 1, 600000, &cfg.pool_wait_ms) ||
		env_int("FINOTE_DB_WAIT_MS", 10000, 0, 600000, &cfg.db_wait_ms) ||
		env_int("FINOTE_REQUEST_TIMEOUT_MS", 10000, 100, 600000, &cfg.request_timeout_ms) ||
		env_int("FINOTE_HEADER_TIMEOUT_MS", 5000, 100, 600000, &cfg.header_timeout_ms) ||
		env_int("FINOTE_STATEMENT_TIMEOUT_MS", 5000, 100, 600000, &cfg.statement_timeout_ms) ||
		env_int("FINOTE_THREADS", 256, 1, 4096, &cfg.threads) ||
		env_int("FINOTE_THREAD_STACK_KB", 256, 128, 8192, &cfg.thread_stack_kb) ||
		env_int("FINOTE_HASH_CONCURRENCY", cores(), 1, 1024, &cfg.hash_concurrency) ||
		env_int("FINOTE_HASH_WAIT_MS", 5000, 0, 600000, &cfg.hash_wait_ms) ||
		env_int("FINOTE_PREPARE", 1, 0, 1, &prepare) ||
		env_int("FINOTE_COOKIE_HOST_PREFIX", 1, 0, 1, &host_prefix) ||
		env_int("FINOTE_EXPORT_MAX", 2, 1, 1000, &cfg.export_max) ||
		env_int("FINOTE_EXPORT_TIMEOUT_MS", 60000, 100, 3600000, &cfg.export_timeout_ms) ||
		env_int("FINOTE_EXPORT_SEND_TIMEOUT_MS", 600000, 1000, 86400000, &cfg.export_send_timeout_ms) ||
		env_int("FINOTE_EXPORT_MAX_BYTES", 100 << 20, 1 << 20, INT_MAX, &cfg.export_max_bytes) ||
		env_int("FINOTE_IMPORT_MAX_BYTES", 64 << 20, BODY_MAX, 1 << 30, &cfg.import_max_bytes) ||
		env_int("FINOTE_IMPORT_MAX", 2, 1, 1000, &cfg.import_max) ||
		env_int("FINOTE_IMPORT_TIMEOUT_MS", 60000, 100, 3600000, &cfg.import_timeout_ms))
		return -1;
	cfg.prepare = prepare == 1;
	if (!cfg.database_url)
	{
		fprintf(stderr, "finote-shim: DATABASE_URL is not set "
						"(e.g. postgresql://finote_app@127.0.0.1:5432/finote)\n");
		return -1;
	}
	if (!valid_cookie_name(cfg.session_name))
	{
		fprintf(stderr, "finote-shim: SESSION_NAME \"%s\" is not a valid cookie name\n",
				cfg.session_name);
		return -1;
	}
	/* __Host- needs Secure, which only production's cookie has */
	cfg.host_prefix = cfg.production && host_prefix == 1;
	snprintf(cfg.cookie_name, sizeof(cfg.cookie_name), "%s%s",
			 cfg.host_prefix ? "__Host-" : "", cfg.session_name);
	config_db_options();
	if (load_cors() || load_secret() || load_web_root() || load_export_dir() ||
		trusted_proxies_load(env_or("FINOTE_TRUSTED_PROXIES", "")))
		return -1;
	return 0;
}

/* At exit, so that a leak checker sees only real leaks. */
void
config_free(void)
{
	free(cfg.cors_origins);
	free(cfg.cors_buf);
	free(cfg.web_root);
	free(cfg.db_options);
	trusted_proxies_free();
	sodium_memzero(cfg.session_key, sizeof(cfg.session_key));
}
