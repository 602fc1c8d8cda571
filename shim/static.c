/*
 * static.c: the web app's files, from FINOTE_WEB_ROOT.
 *
 * civetweb's file serving stays off (no document_root): it lists
 * directories and follows symlinks anywhere. Here a path is served only if
 * it names a regular file that really lies inside the web root: encoded
 * dots and slashes, "..", dotfiles and empty segments are refused before
 * the file system is asked, and realpath() catches symlinks that lead out.
 * Anything refused or missing is the ordinary JSON 404.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

#define FILE_MAX (64 * 1024 * 1024)

static const struct
{
	const char *ext;
	const char *type;
} content_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json; charset=utf-8"},
	{".map", "application/json; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".jpg", "image/jpeg"},
	{".jpeg", "image/jpeg"},
	{".gif", "image/gif"},
	{".webp", "image/webp"},
	{".ico", "image/x-icon"},
	{".woff2", "font/woff2"},
	{".woff", "font/woff"},
	{".txt", "text/plain; charset=utf-8"},
	{".webmanifest", "application/manifest+json"},
};

static const char *
content_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(content_types) / sizeof(content_types[0]); i++)
		if (strcasecmp(dot, content_types[i].ext) == 0)
			return content_types[i].type;
	return "application/octet-stream";
}

/* Decode the URL path to a relative file name, or refuse it. */
static bool
safe_relative_path(const char *raw, char *out, size_t outlen)
{
	const char *seg;

	if (strcmp(raw, "/") == 0)
		raw = "/index.html";
	/* %2e, %2f, %5c: an encoded dot or separator has no business here (a
	 * %00 never gets here: handler.c answers it with 400) */
	if (strcasestr(raw, "%2e") || strcasestr(raw, "%2f") ||
		strcasestr(raw, "%5c") || strchr(raw, '\\'))
		return false;
	if (mg_url_decode(raw + 1, (int) strlen(raw + 1), out, (int) outlen, 0) < 0)
		return false;
	/* an empty segment (also a trailing slash), ".", ".." or a dotfile */
	for (seg = out; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL)
		if (*seg == '/' || *seg == '.' || *seg == '\0')
			return false;
	for (const char *p = out; *p; p++)
		if ((unsigned char) *p < 32 || *p == 127)
			return false;
	return true;
}

/* Serve the file for rq->path; false when there is none to serve. */
bool
static_serve(struct req *rq)
{
	char		rel[1024];
	char		full[PATH_MAX];
	char	   *real;
	size_t		rootlen;
	int			fd;
	struct stat st;
	char	   *data;
	bool		ok = false;

	if (!cfg.web_root || !safe_relative_path(rq->path, rel, sizeof(rel)))
		return false;
	rootlen = strlen(cfg.web_root);
	if (rootlen + 1 + strlen(rel) >= sizeof(full))
		return false;
	memcpy(full, cfg.web_root, rootlen);
	full[rootlen] = '/';
	strcpy(full + rootlen + 1, rel);
	if (!(real = realpath(full, NULL)))
		return false;
	/*
	 * Only a regular file is opened: opening a FIFO blocks until a writer
	 * comes, holding the worker and a graceful stop with it. O_NONBLOCK and
	 * fstat cover a file swapped for one between stat and open.
	 */
	if (strncmp(real, cfg.web_root, rootlen) == 0 && real[rootlen] == '/' &&
		stat(real, &st) == 0 && S_ISREG(st.st_mode) &&
		(fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) >= 0)
	{
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= FILE_MAX &&
			(data = malloc((size_t) st.st_size + 1)))
		{
			ssize_t n = read(fd, data, (size_t) st.st_size);

			if (n == st.st_size)
			{
				bool			  immutable = strncmp(rel, "assets/", 7) == 0;
				const char *const headers[] = {
					"Cache-Control",
					immutable ? "public, max-age=31536000, immutable" : "no-cache",
					NULL};

				http_send(rq, 200, content_type(rel), data, (size_t) n, headers);
				ok = true;
			}
			free(data);
		}
		close(fd);
	}
	free(real);
	return ok;
}
