/*
 * probes.c: the routes that are not SQL calls: liveness, readiness,
 * /metrics (its counters and exposition live in metrics.c) and the OpenAPI
 * document.
 */
#include <stdio.h>
#include <string.h>

#include "shim.h"

/* openapi.json, linked into the binary by the Makefile (ld -r -b binary). */
extern const char _binary_openapi_json_start[];
extern const char _binary_openapi_json_end[];

/* Liveness: the process answers. Never touches the database. */
void
probe_healthz(struct req *rq)
{
	http_send_json(rq, 200, "{\"status\":\"ok\"}", NULL);
}

/* Readiness: the database answers and its extension speaks the API this
 * shim is built for: VERSION_NEWEST's major.minor, at its patch or a later
 * one. A patch release changes no API (semantic versions; 1.2.1 changed
 * only when a revision is kept), so a 1.2 shim is ready at 1.2.1 and needs
 * no new build for it. An older database still gets its own routes (a
 * rollout migrates first, and an old connection may briefly see the old
 * version), but reports not ready, so that an orchestrator keeps the
 * previous shim serving until `ALTER EXTENSION finote UPDATE` ran; a newer
 * minor or major is not ready either: its API is not this shim's. */
static bool
version_ready(int version)
{
	return version / 100 == VERSION_NEWEST / 100 && version >= VERSION_NEWEST;
}

/*
 * Whether the server says it only reads: a standby (in_hot_standby, which
 * servers from PostgreSQL 14 report to their clients unasked) or
 * default_transaction_read_only. Costs no query.
 */
static bool
read_only(PGconn *db)
{
	const char *standby = PQparameterStatus(db, "in_hot_standby");
	const char *ro = PQparameterStatus(db, "default_transaction_read_only");

	return (standby && strcmp(standby, "on") == 0) || (ro && strcmp(ro, "on") == 0);
}

/*
 * Ready means: a working connection now. The probe does not wait for a
 * database that is away (pool.c): while the requests ride through, it
 * answers 503 at once.
 */
void
probe_readyz(struct req *rq)
{
	PGconn	 *db = pool_acquire_by(0);
	PGresult *res;
	int		  state;
	bool	  writable;
	char	  version[32] = "";
	char	  body[160];

	if (!db)
	{
		http_send_unavailable(rq);
		return;
	}
	/* the connection goes back before the answer is written */
	res = pool_query_version(db);
	state = PQresultStatus(res) != PGRES_TUPLES_OK ? -1 : PQntuples(res);
	if (state == 1)
		snprintf(version, sizeof(version), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	writable = !read_only(db);
	if (writable)
		pool_release(db);
	else
		pool_drop(db);

	if (state < 0)
		http_send_unavailable(rq);
	else if (!writable)
		http_send_error(rq, 503, "database_read_only",
						"the database only reads: its leader is changing, or "
						"DATABASE_URL names a standby (target_session_attrs=read-write)",
						NULL);
	else if (state != 1)
		http_send_error(rq, 503, "extension_missing",
						"the finote extension is not installed", NULL);
	else if (!version_ready(version_parse(version)))
	{
		char newest[16];

		version_format(VERSION_NEWEST, newest, sizeof(newest));
		snprintf(body, sizeof(body),
				 "the database has finote %s; this shim needs %s or a later patch of it"
				 " (ALTER EXTENSION finote UPDATE)",
				 version, newest);
		http_send_error(rq, 503, "extension_version_unsupported", body, NULL);
	}
	else
	{
		snprintf(body, sizeof(body),
				 "{\"status\":\"ready\",\"extension_version\":\"%s\"}", version);
		http_send_json(rq, 200, body, NULL);
	}
}

/* The metrics, with the pool's connections counted now. */
void
probe_metrics(struct req *rq)
{
	int in_use,
		idle;

	pool_counts(&in_use, &idle);
	metrics_serve(rq, in_use, idle);
}

void
openapi_serve(struct req *rq)
{
	http_send(rq, 200, "application/json; charset=utf-8", _binary_openapi_json_start,
			  (size_t) (_binary_openapi_json_end - _binary_openapi_json_start), NULL);
}
