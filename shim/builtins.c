/*
 * builtins.c: the routes that are not SQL calls: liveness, readiness and
 * the OpenAPI document (/metrics lives with its counters in metrics.c).
 */
#include <stdio.h>
#include <string.h>

#include "shim.h"

/* Extension versions whose SQL API this shim's route table speaks. */
static const char *const supported_versions[] = {"1.0", "1.1", NULL};

/* openapi.json, linked into the binary by the Makefile (ld -r -b binary). */
extern const char _binary_openapi_json_start[];
extern const char _binary_openapi_json_end[];

/* Liveness: the process answers. Never touches the database. */
void
probe_healthz(struct req *rq)
{
	http_send_json(rq, 200, "{\"status\":\"ok\"}", NULL);
}

/* Readiness: the database answers and has an extension version we speak. */
void
probe_readyz(struct req *rq)
{
	PGconn	   *db = pool_acquire();
	PGresult   *res;
	char		body[128];

	if (!db)
	{
		http_send_unavailable(rq);
		return;
	}
	res = PQexec(db, "SELECT extversion FROM pg_extension WHERE extname = 'finote'");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		http_send_unavailable(rq);
	else if (PQntuples(res) != 1)
		http_send_error(rq, 503, "extension_missing",
						"the finote extension is not installed", NULL);
	else
	{
		const char *version = PQgetvalue(res, 0, 0);
		const char *const *v = supported_versions;

		while (*v && strcmp(*v, version) != 0)
			v++;
		if (*v)
		{
			snprintf(body, sizeof(body),
					 "{\"status\":\"ready\",\"extension_version\":\"%s\"}", version);
			http_send_json(rq, 200, body, NULL);
		}
		else
			http_send_error(rq, 503, "extension_version_unsupported",
							"the installed finote extension version is not one this shim speaks",
							NULL);
	}
	PQclear(res);
	pool_release(db);
}

void
openapi_serve(struct req *rq)
{
	http_send(rq, 200, "application/json; charset=utf-8", _binary_openapi_json_start,
			  (size_t) (_binary_openapi_json_end - _binary_openapi_json_start), NULL);
}
