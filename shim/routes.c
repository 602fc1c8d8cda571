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
 *   $8 the client's address (clientaddr.c)
 *   $9 the version If-Match names (ifmatch.c; NULL when absent or "*")
 *   $10 the {rev} path segment                $11 ?revisions=
 *   $12 the Idempotency-Key (idemkey.c)       $13 the request: method and path
 *
 * Postgres parses the body and casts ids and limits, so the shim needs no
 * JSON parser. From finote 1.1.3 on, finote.body_json parses it (malformed
 * JSON and duplicate keys are SQLSTATE 22P02, a 400, with no input quoted in
 * the error or the server log) and finote.body_text/body_tags read its fields
 * with their JSON types checked; the older rows cast ($2::jsonb), whose error
 * context PostgreSQL logs with the body in it. The
 * statement's first column is the response body, unless the success status
 * is 204 (the void functions). A SESSION_SET row returns the token in column 2 and the
 * cookie lifetime in seconds in column 3. An ANSWER_ETAG row returns the
 * note's version in column 2, sent as its strong ETag; an ANSWER_STREAM row
 * returns the body in as many rows as it likes (export.c). A row with
 * if_match passes If-Match on as $9, and its function raises PT412 when the
 * note is at another version (errors.c; handler.c adds the current note).
 *
 * A row also says from which extension version on it works. For a request,
 * the row with the highest version not above the database's is used; paths
 * whose rows are all newer than the database do not exist for it (404). So
 * one shim serves a 1.0 database and, after ALTER EXTENSION finote UPDATE,
 * the same database at 1.1 (the version is learned on each new connection
 * and by /readyz). 1.0 calls are positional on the parameters 1.0's SQL API (extension/README.md)
 * fixes, and stay valid on 1.1, which appends optional parameters; 1.2
 * appends if_version to note_update and note_delete the same way.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <stdio.h>
#include <string.h>

#include "shim.h"

/*
 * Every name is pinned to its schema. finote_app's search path may put
 * public before pg_catalog's look-alikes in the running (a role with CREATE
 * on public can add public.jsonb_build_object(text, jsonb), and PostgreSQL
 * prefers a more specific signature to pg_catalog's VARIADIC "any", or an
 * operator ->>(jsonb, jsonb)), so functions, operators and the types casts
 * name are written schema-qualified. COALESCE, GREATEST, ARRAY() and
 * EXTRACT are syntax (EXTRACT becomes pg_catalog.extract); int, bigint and
 * boolean are keywords for pg_catalog's types. The connection pins the
 * search path too (config.c), as a second wall.
 */
#define PG(name)		  "pg_catalog." name
#define OP(op)			  " OPERATOR(pg_catalog." op ") "
#define AS(type)		  "::pg_catalog." type
#define OBJECT			  PG("jsonb_build_object")
/* b->>'key' and b->'key' */
#define TEXT_AT(obj, key) obj OP("->>") "'" key "'"
#define JSON_AT(obj, key) "(" obj OP("->") "'" key "')"

/*
 * Fragments shared by the 1.1 rows: pinned must be a JSON boolean and tags
 * an array of strings; absent or null leaves the field as it is (NULL).
 * Anything else makes Postgres raise a class 22 error, a 400.
 */
#define NOT_NULL(v) PG("jsonb_typeof") "(" v ")" OP("<>") "'null'"
#define SQL_PINNED	"CASE WHEN " NOT_NULL(JSON_AT("b", "pinned")) " THEN " JSON_AT("b", "pinned") "::boolean END"
#define SQL_TAGS	"CASE WHEN " NOT_NULL(JSON_AT("b", "tags")) " THEN ARRAY(SELECT " PG("jsonb_array_elements_text") "(" JSON_AT("b", "tags") ")) END"
#define FROM_BODY	" FROM (SELECT $2" AS("jsonb") " AS b) AS body"

/* 1.1.3: the body through finote.body_json, its fields typed. */
#define FROM_BODY_1_1_3 " FROM (SELECT finote.body_json($2) AS b) AS body"
#define FIELD(name)		"finote.body_text(b, '" name "')"
#define SQL_TAGS_1_1_3	"finote.body_tags(b)"
#define CLIENT			"$8" AS("inet")
#define ID				"$3" AS("uuid")
#define REV				"$10" AS("uuid")

/* A login's cookie lifetime: whole seconds until its expires_at, 0 at least. */
#define EXPIRES_AT	 "(" TEXT_AT("r", "expires_at") ")" AS("timestamptz")
#define SECONDS_LEFT "greatest(0, " PG("ceil") "(extract(epoch FROM " EXPIRES_AT OP("-") PG("now") "())))::bigint"

/* 1.2: a note function's answer as the body and, in column 2, the ETag. */
#define NOTE_AND_VERSION "SELECT " OBJECT "('note', n), " TEXT_AT("n", "version") " FROM "
#define BODY_AND		 "(SELECT finote.body_json($2) AS b) AS body, "
#define NOTE_PATH		 "/api/notes/{id}"

/*
 * 1.3: a keyed write (Idempotency-Key: handler.c, idemkey.c). One statement:
 * finote.idempotency_claim first, in a subquery of its own (OFFSET 0 keeps
 * it from being merged into the next one), which gives the answer kept for
 * the key, marked replayed, or NULL having reserved the key; only on NULL
 * does the CASE evaluate the write (a CASE evaluates only the branch it
 * takes), whose body and ETag finote.idempotency_store keeps with the key.
 * The outer OFFSET 0 keeps the three columns from evaluating the CASE three
 * times. answer is the write's answer as {"body": ..., "etag": ...};
 * KEYED_NOTE's from is the FROM list of a write of a note, named n.
 */
/* clang-format off */
#define KEYED(answer) \
	"SELECT " TEXT_AT("a", "body") ", " TEXT_AT("a", "etag") ", " TEXT_AT("a", "replayed") \
	" FROM (SELECT CASE WHEN k.c IS NULL THEN finote.idempotency_store($1, $12, " answer ")" \
	" ELSE k.c END AS a" \
	" FROM (SELECT finote.idempotency_claim($1, $12, $13, $2) AS c OFFSET 0) AS k OFFSET 0) AS w"
#define KEYED_NOTE(from) \
	KEYED("(SELECT " OBJECT "('body', " OBJECT "('note', n), 'etag', " TEXT_AT("n", "version") ") FROM " from ")")
/* clang-format on */

/*
 * 1.3: an import, whose answer the keyed row keeps without an ETag. Its body
 * is not $2 but the parts sent before, in the same transaction (bodyparts.c);
 * $2 is the body's digest, which a keyed row's claim compares.
 */
#define IMPORT "finote.import($1, finote.body_json(finote.import_parts()))"

/*
 * Each row names its fields, and leaves out those that are false or NULL (no
 * JSON body, no SQL, no builtin, no If-Match); clang-format would join its
 * lines into one.
 */
/* clang-format off */
const struct route routes[] = {
	{.since = VERSION_1_0, .method = "POST", .pattern = "/api/auth/register",
	 .auth = AUTH_NONE, .json_body = true, .status = 201, .session = SESSION_KEEP,
	 .sql = "SELECT " OBJECT "('user', finote.register(" TEXT_AT("b", "username") ", " TEXT_AT("b", "password") "))" FROM_BODY,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_1_3, .method = "POST", .pattern = "/api/auth/register",
	 .auth = AUTH_NONE, .json_body = true, .status = 201, .session = SESSION_KEEP,
	 .sql = "SELECT " OBJECT "('user', finote.register(" FIELD("username") ", " FIELD("password") ", " CLIENT "))" FROM_BODY_1_1_3,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_0, .method = "POST", .pattern = "/api/auth/login",
	 .auth = AUTH_NONE, .json_body = true, .status = 200, .session = SESSION_SET,
	 .sql = "SELECT r, " TEXT_AT("r", "token") ", " SECONDS_LEFT " FROM (SELECT $2" AS("jsonb") " AS b) AS body, finote.login(" TEXT_AT("b", "username") ", " TEXT_AT("b", "password") ") AS r",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_1_3, .method = "POST", .pattern = "/api/auth/login",
	 .auth = AUTH_NONE, .json_body = true, .status = 200, .session = SESSION_SET,
	 .sql = "SELECT r, " TEXT_AT("r", "token") ", " SECONDS_LEFT " FROM (SELECT finote.body_json($2) AS b) AS body, finote.login(" FIELD("username") ", " FIELD("password") ", " CLIENT ") AS r",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_0, .method = "POST", .pattern = "/api/auth/logout",
	 .auth = AUTH_OPTIONAL, .status = 204, .session = SESSION_CLEAR,
	 .sql = "SELECT finote.logout($1)",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_0, .method = "GET", .pattern = "/api/auth/me",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT " OBJECT "('user', finote.whoami($1))",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_2, .method = "DELETE", .pattern = "/api/auth/me",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 204, .session = SESSION_CLEAR,
	 .sql = "SELECT finote.account_delete($1, " FIELD("password") ", " CLIENT ")" FROM_BODY_1_1_3,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_0, .method = "PUT", .pattern = "/api/auth/password",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 204, .session = SESSION_KEEP,
	 .sql = "SELECT finote.change_password($1, " TEXT_AT("b", "current_password") ", " TEXT_AT("b", "new_password") ")" FROM_BODY,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_1_3, .method = "PUT", .pattern = "/api/auth/password",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 204, .session = SESSION_KEEP,
	 .sql = "SELECT finote.change_password($1, " FIELD("current_password") ", " FIELD("new_password") ", " CLIENT ")" FROM_BODY_1_1_3,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_0, .method = "GET", .pattern = "/api/notes",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT finote.note_list($1, $4, coalesce($5::int, 20), $6)",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_1, .method = "GET", .pattern = "/api/notes",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT finote.note_list($1, $4, coalesce($5::int, 20), $6, $7)",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_0, .method = "POST", .pattern = "/api/notes",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 201, .session = SESSION_KEEP,
	 .sql = "SELECT " OBJECT "('note', finote.note_create($1, " TEXT_AT("b", "title") ", " TEXT_AT("b", "content") "))" FROM_BODY,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_1, .method = "POST", .pattern = "/api/notes",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 201, .session = SESSION_KEEP,
	 .sql = "SELECT " OBJECT "('note', finote.note_create($1, " TEXT_AT("b", "title") ", " TEXT_AT("b", "content") ", " SQL_PINNED ", " SQL_TAGS "))" FROM_BODY,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_1_3, .method = "POST", .pattern = "/api/notes",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 201, .session = SESSION_KEEP,
	 .sql = "SELECT " OBJECT "('note', finote.note_create($1, " FIELD("title") ", " FIELD("content") ", " SQL_PINNED ", " SQL_TAGS_1_1_3 "))" FROM_BODY_1_1_3,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_2, .method = "POST", .pattern = "/api/notes",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 201, .session = SESSION_KEEP,
	 .sql = NOTE_AND_VERSION BODY_AND "finote.note_create($1, " FIELD("title") ", " FIELD("content") ", " SQL_PINNED ", " SQL_TAGS_1_1_3 ") AS n",
	 .answer = ANSWER_ETAG},
	{.since = VERSION_1_3, .method = "POST", .pattern = "/api/notes",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 201, .session = SESSION_KEEP,
	 .sql = KEYED_NOTE(BODY_AND "finote.note_create($1, " FIELD("title") ", " FIELD("content") ", " SQL_PINNED ", " SQL_TAGS_1_1_3 ") AS n"),
	 .answer = ANSWER_ETAG, .keyed = true},
	{.since = VERSION_1_0, .method = "GET", .pattern = "/api/notes/{id}",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT " OBJECT "('note', finote.note_get($1, " ID "))",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_2, .method = "GET", .pattern = "/api/notes/{id}",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = NOTE_AND_VERSION "finote.note_get($1, " ID ") AS n",
	 .answer = ANSWER_ETAG},
	{.since = VERSION_1_0, .method = "PATCH", .pattern = "/api/notes/{id}",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT " OBJECT "('note', finote.note_update($1, " ID ", " TEXT_AT("b", "title") ", " TEXT_AT("b", "content") "))" FROM_BODY,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_1, .method = "PATCH", .pattern = "/api/notes/{id}",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT " OBJECT "('note', finote.note_update($1, " ID ", " TEXT_AT("b", "title") ", " TEXT_AT("b", "content") ", " SQL_PINNED ", " SQL_TAGS "))" FROM_BODY,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_1_3, .method = "PATCH", .pattern = "/api/notes/{id}",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT " OBJECT "('note', finote.note_update($1, " ID ", " FIELD("title") ", " FIELD("content") ", " SQL_PINNED ", " SQL_TAGS_1_1_3 "))" FROM_BODY_1_1_3,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_2, .method = "PATCH", .pattern = "/api/notes/{id}",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 200, .session = SESSION_KEEP,
	 .sql = NOTE_AND_VERSION BODY_AND "finote.note_update($1, " ID ", " FIELD("title") ", " FIELD("content") ", " SQL_PINNED ", " SQL_TAGS_1_1_3 ", $9::bigint) AS n",
	 .answer = ANSWER_ETAG, .if_match = NOTE_PATH},
	{.since = VERSION_1_3, .method = "PATCH", .pattern = "/api/notes/{id}",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 200, .session = SESSION_KEEP,
	 .sql = NOTE_AND_VERSION BODY_AND "finote.note_update($1, " ID ", " FIELD("title") ", " FIELD("content") ", " SQL_PINNED ", " SQL_TAGS_1_1_3 ", $9::bigint, " FIELD("writer") ") AS n",
	 .answer = ANSWER_ETAG, .if_match = NOTE_PATH},
	{.since = VERSION_1_0, .method = "DELETE", .pattern = "/api/notes/{id}",
	 .auth = AUTH_REQUIRED, .status = 204, .session = SESSION_KEEP,
	 .sql = "SELECT finote.note_delete($1, " ID ")",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_2, .method = "DELETE", .pattern = "/api/notes/{id}",
	 .auth = AUTH_REQUIRED, .status = 204, .session = SESSION_KEEP,
	 .sql = "SELECT finote.note_delete($1, " ID ", $9::bigint)",
	 .answer = ANSWER_ROW, .if_match = NOTE_PATH},
	{.since = VERSION_1_2, .method = "GET", .pattern = "/api/notes/{id}/revisions",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT finote.note_revisions($1, " ID ", coalesce($5::int, 20), $6)",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_2, .method = "GET", .pattern = "/api/notes/{id}/revisions/{rev}",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT finote.note_revision($1, " ID ", " REV ")",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_2, .method = "POST", .pattern = "/api/notes/{id}/revisions/{rev}/restore",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = NOTE_AND_VERSION "finote.note_restore($1, " ID ", " REV ", $9::bigint) AS n",
	 .answer = ANSWER_ETAG, .if_match = NOTE_PATH},
	{.since = VERSION_1_3, .method = "POST", .pattern = "/api/notes/{id}/revisions/{rev}/restore",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = KEYED_NOTE("finote.note_restore($1, " ID ", " REV ", $9::bigint) AS n"),
	 .answer = ANSWER_ETAG, .if_match = NOTE_PATH, .keyed = true},
	{.since = VERSION_1_2, .method = "GET", .pattern = "/api/trash",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT finote.trash_list($1, coalesce($5::int, 20), $6)",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_2, .method = "POST", .pattern = "/api/trash/{id}/restore",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = NOTE_AND_VERSION "finote.trash_restore($1, " ID ") AS n",
	 .answer = ANSWER_ETAG},
	{.since = VERSION_1_3, .method = "POST", .pattern = "/api/trash/{id}/restore",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = KEYED_NOTE("finote.trash_restore($1, " ID ") AS n"),
	 .answer = ANSWER_ETAG, .keyed = true},
	{.since = VERSION_1_2, .method = "DELETE", .pattern = "/api/trash/{id}",
	 .auth = AUTH_REQUIRED, .status = 204, .session = SESSION_KEEP,
	 .sql = "SELECT finote.trash_delete($1, " ID ")",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_2, .method = "GET", .pattern = "/api/export",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT finote.export($1, coalesce($11::boolean, false))",
	 .answer = ANSWER_STREAM},
	{.since = VERSION_1_3, .method = "POST", .pattern = "/api/import",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT " IMPORT,
	 .answer = ANSWER_ROW, .body_max = &cfg.import_max_bytes, .timeout_ms = &cfg.import_timeout_ms},
	{.since = VERSION_1_3, .method = "POST", .pattern = "/api/import",
	 .auth = AUTH_REQUIRED, .json_body = true, .status = 200, .session = SESSION_KEEP,
	 .sql = KEYED(OBJECT "('body', " IMPORT ")"),
	 .answer = ANSWER_ROW, .keyed = true, .body_max = &cfg.import_max_bytes,
	 .timeout_ms = &cfg.import_timeout_ms},
	{.since = VERSION_1_1, .method = "GET", .pattern = "/api/tags",
	 .auth = AUTH_REQUIRED, .status = 200, .session = SESSION_KEEP,
	 .sql = "SELECT finote.note_tags($1)",
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_0, .method = "GET", .pattern = "/api/openapi.json",
	 .auth = AUTH_NONE, .status = 200, .session = SESSION_KEEP,
	 .builtin = openapi_serve,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_0, .method = "GET", .pattern = "/healthz",
	 .auth = AUTH_NONE, .status = 200, .session = SESSION_KEEP,
	 .builtin = probe_healthz,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_0, .method = "GET", .pattern = "/readyz",
	 .auth = AUTH_NONE, .status = 200, .session = SESSION_KEEP,
	 .builtin = probe_readyz,
	 .answer = ANSWER_ROW},
	{.since = VERSION_1_0, .method = "GET", .pattern = "/metrics",
	 .auth = AUTH_NONE, .status = 200, .session = SESSION_KEEP,
	 .builtin = probe_metrics,
	 .answer = ANSWER_ROW},
};
/* clang-format on */

const int n_routes = sizeof(routes) / sizeof(routes[0]);

/* Every parameter is text: the statements cast what they need. */
#define TEXTOID 25
const Oid route_param_types[ROUTE_PARAMS] = {
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};

/*
 * What route_match needs of each row, worked out once: every request tries
 * every row, and comparing method names and searching patterns for "{"
 * each time was a few percent of the shim's CPU per request.
 */
static struct
{
	int	   label;  /* metrics label */
	int	   method; /* method_index of the row's method */
	size_t id_at;  /* offset of the first "{id}" or "{rev}", or 0: none */
} row_info[sizeof(routes) / sizeof(routes[0])];

void
routes_init(void)
{
	for (int i = 0; i < n_routes; i++)
	{
		const char *brace = strchr(routes[i].pattern, '{');

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

/*
 * Does path match row i's pattern? Past the first placeholder, the pattern
 * is walked segment by segment: "{id}" and "{rev}" take one UUID segment
 * each (into ids), any other segment must be equal.
 */
static bool
path_matches(int i, const char *path, struct path_ids *ids)
{
	const char *pattern = routes[i].pattern;
	size_t		prefix = row_info[i].id_at;

	if (prefix == 0)
		return strcmp(pattern, path) == 0;
	if (strncmp(pattern, path, prefix) != 0)
		return false;
	pattern += prefix;
	path += prefix;
	for (;;)
	{
		size_t pseg = strcspn(pattern, "/");
		size_t seg = strcspn(path, "/");
		char  *into = NULL;

		if (pseg == 4 && strncmp(pattern, "{id}", 4) == 0)
			into = ids->id;
		else if (pseg == 5 && strncmp(pattern, "{rev}", 5) == 0)
			into = ids->rev;
		if (into)
		{
			if (!is_uuid(path, seg))
				return false;
			memcpy(into, path, seg);
			into[seg] = '\0';
		}
		else if (pseg != seg || strncmp(pattern, path, seg) != 0)
			return false;
		pattern += pseg;
		path += seg;
		if (*pattern != *path)
			return false; /* one ends, the other goes on */
		if (!*pattern)
			return true;
		pattern++;
		path++;
	}
}

/*
 * Find the row for (path, method) at the database's extension version.
 * With no row for the method but some for the path, returns NULL with
 * allow[] listing the path's methods (for 405); *label is the path's
 * metrics label, or -1 when the path is unknown at that version.
 */
const struct route *
route_match(const char *path, int method, int version, struct path_ids *ids,
			char *allow, size_t allowlen, int *label)
{
	const struct route *found = NULL;
	unsigned			methods = 0; /* the path's, as bits of method_index */

	allow[0] = '\0';
	*label = -1;
	for (int i = 0; i < n_routes; i++)
	{
		const struct route *r = &routes[i];

		if (r->keyed || r->since > version || !path_matches(i, path, ids))
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

/*
 * The keyed row of route's method and pattern at version (the highest
 * since), or NULL: the path takes no Idempotency-Key at that version.
 */
const struct route *
route_keyed(const struct route *route, int version)
{
	const struct route *found = NULL;

	for (int i = 0; i < n_routes; i++)
	{
		const struct route *r = &routes[i];

		if (r->keyed && r->since <= version && strcmp(r->method, route->method) == 0 &&
			strcmp(r->pattern, route->pattern) == 0 && (!found || r->since > found->since))
			found = r;
	}
	return found;
}

/*
 * The body limit of (path, method): a row's own (whatever the database's
 * version: the body is read before the version is known), else BODY_MAX.
 */
size_t
route_body_max(const char *path, int method)
{
	struct path_ids ids;

	for (int i = 0; i < n_routes; i++)
		if (routes[i].body_max && row_info[i].method == method && path_matches(i, path, &ids))
			return (size_t) *routes[i].body_max;
	return BODY_MAX;
}

/*
 * For `finote-shim --routes`: the table as the OpenAPI drift test reads it;
 * a keyed row is its path's other statement, not another route.
 */
void
routes_print(void)
{
	for (int i = 0; i < n_routes; i++)
	{
		char since[16];

		if (routes[i].keyed)
			continue;
		version_format(routes[i].since, since, sizeof(since));
		printf("%s %s %d %s\n", routes[i].method, routes[i].pattern, routes[i].status, since);
	}
}

/*
 * For `finote-shim --routes-sql`: each row's statement on one line after
 * its method, pattern and version, as the tests of its names and plans
 * read them (test/t/117_pinned_names.t, 118_plans.t).
 */
void
routes_print_sql(void)
{
	for (int i = 0; i < n_routes; i++)
	{
		char since[16];

		if (!routes[i].sql)
			continue;
		version_format(routes[i].since, since, sizeof(since));
		printf("%s %s %s\t%s\n", routes[i].method, routes[i].pattern, since, routes[i].sql);
	}
}
