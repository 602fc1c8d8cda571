/*
 * origin.c: refusing changes that another site's page makes with the
 * session cookie (cross-site request forgery).
 *
 * A browser attaches the cookie to whatever request a page sends here.
 * SameSite=Lax already keeps it off other sites' POSTs in current browsers,
 * but not off those of a sibling origin of the same site (another subdomain
 * or port), nor in browsers that ignore SameSite; and logout, which takes
 * no body, can be sent by any HTML form. So a request that changes state
 * with the cookie must show it comes from the app's own origin or one of
 * CORS_ORIGIN's:
 *
 *   - a route that takes a JSON body passes: run_route refuses anything but
 *     application/json (415), which no page of another origin can send
 *     without a CORS preflight, and the shim answers preflights only for
 *     CORS_ORIGIN;
 *   - a bearer token passes: a page cannot make a browser add an
 *     Authorization header to another origin's request without a preflight;
 *   - otherwise an Origin in CORS_ORIGIN passes; else Sec-Fetch-Site, which
 *     browsers set and pages cannot, must say same-origin (or none: the user
 *     did it); without Sec-Fetch-Site the Origin must name this server (its
 *     host and port are the Host header's); with neither header the client
 *     is no browser (or one from before 2020, which the app does not run
 *     on), and it passes.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <string.h>
#include <strings.h>

#include "shim.h"

/* Does the Origin header name the server the request was sent to? */
static bool
origin_is_host(const char *origin, const char *host)
{
	const char *sep = strstr(origin, "://");

	return sep && host && strcasecmp(sep + 3, host) == 0;
}

bool
origin_may_change_state(const struct req *rq, const struct route *route)
{
	const char *origin = mg_get_header(rq->conn, "Origin");
	const char *site = mg_get_header(rq->conn, "Sec-Fetch-Site");

	if (rq->method == METHOD_GET || rq->method == METHOD_HEAD || route->json_body ||
		mg_get_header(rq->conn, "Authorization"))
		return true;
	if (rq->cors_origin)
		return true;
	if (site)
		return strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0;
	if (origin)
		return origin_is_host(origin, mg_get_header(rq->conn, "Host"));
	return true;
}
