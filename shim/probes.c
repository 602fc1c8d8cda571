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

/* Readiness: the database answers and its extension is the version this
 * shim is built for (VERSION_NEWEST). An older database still gets its own
 * routes (a rollout migrates first, and an old connection may briefly see
 * the old version), but reports not ready, so that an orchestrator keeps
 * the previous shim serving until `ALTER EXTENSION finote UPDATE` ran. */
void
probe_readyz(struct req *rq)
{
	PGconn	 *db = pool_acquire();
	PGresult *res;
	int		  state;
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
	pool_release(db);

	if (state < 0)
		http_send_unavailable(rq);
	else if (state != 1)
		http_send_error(rq, 503, "extension_missing",
						"the finote extension is not installed", NULL);
	else if (version_parse(version) != VERSION_NEWEST)
	{
		char newest[16];

		version_format(VERSION_NEWEST, newest, sizeof(newest));
		snprintf(body, sizeof(body),
				 "the database has finote %s; this shim needs %s (ALTER EXTENSION finote UPDATE)",
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
