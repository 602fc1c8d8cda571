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
