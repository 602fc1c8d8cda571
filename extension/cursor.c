/*
 * cursor.c
 *	  The list's keyset cursor: next_cursor as the API hands it out, and back.
 *
 * A cursor is the position of the last note of a page in list order, the
 * key (pinned, updated_at, id), packed as a format byte, the pinned flag,
 * the timestamp's 8 bytes big-endian and the uuid, then base64url without
 * padding. It is opaque to clients; a cursor that does not decode is 22023,
 * never a wrong page.
 *
 * Copyright (c) 2026, Finote maintainers
 */
#include "finote.h"

#include <sodium.h>

#include "utils/timestamp.h"

#define CURSOR_FORMAT 1
#define CURSOR_BYTES  (1 + 1 + 8 + UUID_LEN)

/*
 * The page size argument `argno` of a paged function (note_list,
 * note_revisions, trash_list): NULL means 20; outside 1-100 is 22023, so that
 * no call can ask for an unbounded page.
 */
#define PAGE_DEFAULT 20
#define PAGE_MAX	 100

int
finote_page_limit(FunctionCallInfo fcinfo, int argno)
{
	int lim = PG_ARGISNULL(argno) ? PAGE_DEFAULT : PG_GETARG_INT32(argno);

	if (lim < 1 || lim > PAGE_MAX)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("lim must be between 1 and %d", PAGE_MAX)));
	return lim;
}

/* The palloc'd cursor of the note at (pinned, updated_at, id). */
char *
finote_cursor_format(bool pinned, TimestampTz updated_at, const pg_uuid_t *id)
{
	unsigned char raw[CURSOR_BYTES];
	uint64		  ts = (uint64) updated_at;
	size_t		  outlen = sodium_base64_ENCODED_LEN(CURSOR_BYTES,
													 sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char		 *out = palloc(outlen);

	raw[0] = CURSOR_FORMAT;
	raw[1] = pinned ? 1 : 0;
	for (int i = 0; i < 8; i++)
		raw[2 + i] = (unsigned char) (ts >> (56 - 8 * i));
	memcpy(raw + 10, id->data, UUID_LEN);
	return sodium_bin2base64(out, outlen, raw, sizeof(raw),
							 sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Decode cursor into the note position it names, or raise 22023. */
void
finote_cursor_parse(text *cursor, bool *pinned, TimestampTz *updated_at, pg_uuid_t *id)
{
	unsigned char raw[CURSOR_BYTES];
	size_t		  rawlen = 0;
	uint64		  ts = 0;

	if (sodium_base642bin(raw, sizeof(raw), VARDATA_ANY(cursor),
						  VARSIZE_ANY_EXHDR(cursor), NULL, &rawlen, NULL,
						  sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
		rawlen != CURSOR_BYTES || raw[0] != CURSOR_FORMAT || raw[1] > 1)
		ereport(ERROR,
				(errcode(FINOTE_ERRCODE_BAD_INPUT),
				 errmsg("cursor is not valid"),
				 errhint("Pass the next_cursor of the previous page unchanged.")));
	*pinned = raw[1] == 1;
	for (int i = 0; i < 8; i++)
		ts = (ts << 8) | raw[2 + i];
	*updated_at = (TimestampTz) ts;
	memcpy(id->data, raw + 10, UUID_LEN);
}
