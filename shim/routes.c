/*
 * routes.c: the route table. Adding a route is adding a row.
 *
 * A row is a method, a path pattern, what it needs (a session, a JSON
 * body), its success status, what it does to the session cookie, and the one
 * SQL statement it becomes. Every statement gets the same parameters, all
 * text, all from the request; none is ever pasted into SQL:
 *
 *   $1 session token    $2 raw JSON body     $3 the {id} path segment
 *   $4 ?q=              $5 ?limit=           $6 ?cursor=        $7 ?tag=
 *
 * Postgres parses the body ($2::jsonb, malformed JSON is SQLSTATE 22P02, a
 * 400) and casts ids and limits, so the shim needs no JSON parser. The
 * statement's first column is the response body, unless the success status
 * is 204 (the void functions). A SESSION_SET row returns the token in column 2 and the
 * cookie lifetime in seconds in column 3.
 *
 * A row also says from which extension version on it works. For a request,
 * the row with the highest version not above the database's is used; paths
 * whose rows are all newer than the database do not exist for it (404). So
 * one shim serves a 1.0 database and, after ALTER EXTENSION finote UPDATE,
 * the same database at 1.1 (the version is learned on each new connection
 * and by /readyz). 1.0 calls are positional on the parameters INTERFACE.md
 * fixes, and stay valid on 1.1, which appends optional parameters.
 */
#include <stdio.h>
#include <string.h>

#include "shim.h"

/*
 * Fragments shared by the 1.1 rows: pinned must be a JSON boolean and tags
 * an array of strings; absent or null leaves the field as it is (NULL).
 * Anything else makes Postgres raise a class 22 error, a 400.
 */
#define SQL_PINNED "CASE WHEN jsonb_typeof(b->'pinned') <> 'null' THEN (b->'pinned')::boolean END"
#define SQL_TAGS   "CASE WHEN jsonb_typeof(b->'tags') <> 'null' " \
				 "THEN ARRAY(SELECT jsonb_array_elements_text(b->'tags')) END"
#define FROM_BODY " FROM (SELECT $2::jsonb AS b) AS body"

const struct route routes[] = {
	{VERSION_1_0, "POST", "/api/auth/register", AUTH_NONE, true, 201, SESSION_KEEP,
	 "SELECT jsonb_build_object('user', finote.register(b->>'username', b->>'password'))" FROM_BODY, NULL},
	{VERSION_1_0, "POST", "/api/auth/login", AUTH_NONE, true, 200, SESSION_SET,
	 "SELECT r, r->>'token', "
	 "greatest(0, ceil(extract(epoch FROM (r->>'expires_at')::timestamptz - now())))::bigint "
	 "FROM (SELECT $2::jsonb AS b) AS body, "
	 "finote.login(b->>'username', b->>'password') AS r",
	 NULL},
	{VERSION_1_0, "POST", "/api/auth/logout", AUTH_OPTIONAL, false, 204, SESSION_CLEAR,
	 "SELECT finote.logout($1)", NULL},
	{VERSION_1_0, "GET", "/api/auth/me", AUTH_REQUIRED, false, 200, SESSION_KEEP,
	 "SELECT jsonb_build_object('user', finote.whoami($1))", NULL},
	{VERSION_1_0, "PUT", "/api/auth/password", AUTH_REQUIRED, true, 204, SESSION_KEEP,
	 "SELECT finote.change_password($1, b->>'current_password', b->>'new_password')" FROM_BODY, NULL},
	{VERSION_1_0, "GET", "/api/notes", AUTH_REQUIRED, false, 200, SESSION_KEEP,
	 "SELECT finote.note_list($1, $4, coalesce($5::int, 20), $6)", NULL},
	{VERSION_1_1, "GET", "/api/notes", AUTH_REQUIRED, false, 200, SESSION_KEEP,
	 "SELECT finote.note_list($1, $4, coalesce($5::int, 20), $6, $7)", NULL},
	{VERSION_1_0, "POST", "/api/notes", AUTH_REQUIRED, true, 201, SESSION_KEEP,
	 "SELECT jsonb_build_object('note', finote.note_create($1, b->>'title', b->>'content'))" FROM_BODY, NULL},
	{VERSION_1_1, "POST", "/api/notes", AUTH_REQUIRED, true, 201, SESSION_KEEP,
	 "SELECT jsonb_build_object('note', finote.note_create($1, b->>'title', b->>'content', " SQL_PINNED ", " SQL_TAGS "))" FROM_BODY, NULL},
	{VERSION_1_0, "GET", "/api/notes/{id}", AUTH_REQUIRED, false, 200, SESSION_KEEP,
	 "SELECT jsonb_build_object('note', finote.note_get($1, $3::uuid))", NULL},
	{VERSION_1_0, "PATCH", "/api/notes/{id}", AUTH_REQUIRED, true, 200, SESSION_KEEP,
	 "SELECT jsonb_build_object('note', finote.note_update($1, $3::uuid, "
	 "b->>'title', b->>'content'))" FROM_BODY,
	 NULL},
	{VERSION_1_1, "PATCH", "/api/notes/{id}", AUTH_REQUIRED, true, 200, SESSION_KEEP,
	 "SELECT jsonb_build_object('note', finote.note_update($1, $3::uuid, "
	 "b->>'title', b->>'content', " SQL_PINNED ", " SQL_TAGS "))" FROM_BODY,
	 NULL},
	{VERSION_1_0, "DELETE", "/api/notes/{id}", AUTH_REQUIRED, false, 204, SESSION_KEEP,
	 "SELECT finote.note_delete($1, $3::uuid)", NULL},
	{VERSION_1_1, "GET", "/api/tags", AUTH_REQUIRED, false, 200, SESSION_KEEP,
	 "SELECT finote.note_tags($1)", NULL},
	{VERSION_1_0, "GET", "/api/openapi.json", AUTH_NONE, false, 200, SESSION_KEEP, NULL, openapi_serve},
	{VERSION_1_0, "GET", "/healthz", AUTH_NONE, false, 200, SESSION_KEEP, NULL, probe_healthz},
	{VERSION_1_0, "GET", "/readyz", AUTH_NONE, false, 200, SESSION_KEEP, NULL, probe_readyz},
	{VERSION_1_0, "GET", "/metrics", AUTH_NONE, false, 200, SESSION_KEEP, NULL, metrics_serve},
};
const int n_routes = sizeof(routes) / sizeof(routes[0]);

/*
 * What route_match needs of each row, worked out once: every request tries
 * every row, and comparing method names and searching patterns for "{id}"
 * each time was a few percent of the shim's CPU per request.
 */
static struct
{
	int	   label;  /* metrics label */
	int	   method; /* method_index of the row's method */
	size_t id_at;  /* offset of "{id}" in the pattern, or 0: none */
} row_info[sizeof(routes) / sizeof(routes[0])];

void
routes_init(void)
{
	for (int i = 0; i < n_routes; i++)
	{
		const char *brace = strstr(routes[i].pattern, "{id}");

		row_info[i].label = metrics_label(routes[i].pattern);
		row_info[i].method = method_index(routes[i].method);
		row_info[i].id_at = brace ? (size_t) (brace - routes[i].pattern) : 0;
	}
}

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 8-4-4-4-12 hex digits; anything else cannot name a note. */
static bool
is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		bool dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return false;
	}
	return true;
}

/* Does path match row i's pattern? On a match, the {id} segment goes to id[]. */
static bool
path_matches(int i, const char *path, char *id, size_t idlen)
{
	const char *pattern = routes[i].pattern;
	size_t		prefix = row_info[i].id_at;
	size_t		seg;

	if (prefix == 0)
		return strcmp(pattern, path) == 0;
	if (strncmp(pattern, path, prefix) != 0)
		return false;
	seg = strcspn(path + prefix, "/");
	if (!is_uuid(path + prefix, seg) || strcmp(pattern + prefix + 4, path + prefix + seg) != 0 ||
		seg >= idlen)
		return false;
	memcpy(id, path + prefix, seg);
	id[seg] = '\0';
	return true;
}

/*
 * Find the row for (path, method) at the database's extension version.
 * With no row for the method but some for the path, returns NULL with
 * allow[] listing the path's methods (for 405); *label is the path's
 * metrics label, or -1 when the path is unknown at that version.
 */
const struct route *
route_match(const char *path, int method, int version, char *id, size_t idlen,
			char *allow, size_t allowlen, int *label)
{
	const struct route *found = NULL;
	unsigned			methods = 0; /* the path's, as bits of method_index */

	allow[0] = '\0';
	*label = -1;
	for (int i = 0; i < n_routes; i++)
	{
		const struct route *r = &routes[i];

		if (r->since > version || !path_matches(i, path, id, idlen))
			continue;
		*label = row_info[i].label;
		if (row_info[i].method == method && (!found || r->since > found->since))
			found = r;
		methods |= 1u << row_info[i].method;
	}
	/* a path may have a row per version: list each method once */
	for (int m = 0; !found && m < METHOD_COUNT; m++)
		if (methods & (1u << m))
			snprintf(allow + strlen(allow), allowlen - strlen(allow), "%s%s",
					 allow[0] ? ", " : "", method_names[m]);
	return found;
}

/* For `finote-shim --routes`: the table as the OpenAPI drift test reads it. */
void
routes_print(void)
{
	for (int i = 0; i < n_routes; i++)
		printf("%s %s %d %d.%d\n", routes[i].method, routes[i].pattern, routes[i].status,
			   routes[i].since / 100, routes[i].since % 100);
}
