/*
 * clientaddr.c: the client's address, which the database's attempt budgets
 * key on (finote 1.1.3: login, change of password, registration).
 *
 * It is the peer's address, unless the peer is a proxy listed in
 * FINOTE_TRUSTED_PROXIES (comma-separated addresses or CIDR prefixes, e.g.
 * "10.0.0.0/8, ::1"). Then X-Forwarded-For is read from its right end,
 * skipping proxies that are trusted too, and the first address that is not
 * one is the client. Entries further left were written by the client itself
 * and prove nothing, so a client cannot pick the address it is counted
 * under; an entry that is not an address ends the walk at the proxy that
 * wrote it down.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shim.h"

#define XFF_MAX 64 /* entries examined per header: each costs a parse */

struct prefix
{
	int			  family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int			  bits;
};

static struct prefix *trusted;
static int			  n_trusted;

/* An address as bytes; an IPv4-mapped IPv6 address becomes IPv4. */
static bool
parse_addr(const char *s, int *family, unsigned char *addr)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (inet_pton(AF_INET, s, addr) == 1)
	{
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, addr) != 1)
		return false;
	*family = AF_INET6;
	if (memcmp(addr, mapped, sizeof(mapped)) == 0)
	{
		memmove(addr, addr + 12, 4);
		*family = AF_INET;
	}
	return true;
}

static bool
is_trusted(int family, const unsigned char *addr)
{
	for (int i = 0; i < n_trusted; i++)
	{
		const struct prefix *p = &trusted[i];
		int					 full = p->bits / 8,
			rest = p->bits % 8;

		if (p->family != family || memcmp(p->addr, addr, full) != 0)
			continue;
		if (rest == 0 || ((p->addr[full] ^ addr[full]) & (0xff << (8 - rest)) & 0xff) == 0)
			return true;
	}
	return false;
}

int
trusted_proxies_load(const char *spec)
{
	char *buf = strdup(spec);
	char *save = NULL;

	trusted = calloc(strlen(spec) / 2 + 1, sizeof(*trusted));
	if (!buf || !trusted)
	{
		free(buf);
		return -1;
	}
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save))
	{
		struct prefix *p = &trusted[n_trusted];
		char		  *slash;
		char		  *end = NULL;
		long		   bits;

		item += strspn(item, " ");
		item[strcspn(item, " ")] = '\0';
		if (!*item)
			continue;
		slash = strchr(item, '/');
		if (slash)
			*slash = '\0';
		if (!parse_addr(item, &p->family, p->addr))
			goto bad;
		p->bits = p->family == AF_INET ? 32 : 128;
		if (slash)
		{
			bits = strtol(slash + 1, &end, 10);
			if (end == slash + 1 || *end || bits < 0 || bits > p->bits)
				goto bad;
			p->bits = (int) bits;
		}
		n_trusted++;
		continue;
bad:
		fprintf(stderr, "finote-shim: FINOTE_TRUSTED_PROXIES entries must be IP addresses or "
						"CIDR prefixes (10.0.0.0/8, ::1), not \"%s%s%s\"\n",
				item, slash ? "/" : "", slash ? slash + 1 : "");
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

void
trusted_proxies_free(void)
{
	free(trusted);
	trusted = NULL;
	n_trusted = 0;
}

/* Walk one X-Forwarded-For value right to left; false when a client was found. */
static bool
walk_header(const char *value, int *family, unsigned char *addr)
{
	const char *end = value + strlen(value);

	for (int n = 0; n < XFF_MAX && end > value; n++)
	{
		const char	 *start = end;
		char		  entry[64];
		size_t		  len;
		int			  f;
		unsigned char a[16];

		while (start > value && start[-1] != ',')
			start--;
		while (start < end && *start == ' ')
			start++;
		len = (size_t) (end - start);
		while (len > 0 && start[len - 1] == ' ')
			len--;
		end = start > value ? start - 1 : value;
		if (len == 0)
			continue;
		if (len >= sizeof(entry))
			return false; /* not an address: the proxy's peer stays */
		memcpy(entry, start, len);
		entry[len] = '\0';
		if (!parse_addr(entry, &f, a))
			return false;
		*family = f;
		memcpy(addr, a, sizeof(a));
		if (!is_trusted(f, a))
			return false;
	}
	return true;
}

/*
 * The client's address as text in out (at least INET6_ADDRSTRLEN bytes), or
 * an empty string when civetweb does not know the peer.
 */
void
client_address(const struct req *rq, char *out, size_t outlen)
{
	int			  family;
	unsigned char addr[16];

	out[0] = '\0';
	if (!parse_addr(rq->ri->remote_addr, &family, addr))
		return;
	if (is_trusted(family, addr))
	{
		/* The last header is the nearest proxy's; earlier ones, further away. */
		for (int i = rq->ri->num_headers - 1; i >= 0; i--)
			if (strcasecmp(rq->ri->http_headers[i].name, "X-Forwarded-For") == 0 &&
				!walk_header(rq->ri->http_headers[i].value, &family, addr))
				break;
	}
	inet_ntop(family, addr, out, (socklen_t) outlen);
}
